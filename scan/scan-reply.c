/*
 * scan-reply.c - map a scan outcome and the configured policies to the
 * milter's answer: accept (with an X-Virus-Scanned value), reject with
 * 554 5.7.1 naming the signature, or a temporary 451 4.7.0.
 *
 * Pure functions, called by the milter's end-of-message callback and by
 * the unit tests.  Cannot fail.
 */
#include "scan-reply.h"

#include "str.h"

#include <string.h>

void
scan_reply_safe_name(char *dst, size_t dstsize, const char *name)
{
	size_t i = 0;

	if (dstsize == 0)
		return;
	for (; name != NULL && *name != '\0' && i + 1 < dstsize; name++) {
		char c = *name;
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || strchr("._:/+-", c) != NULL;

		dst[i++] = ok ? c : '_';
	}
	if (i == 0 && dstsize > 1)
		dst[i++] = '?';
	dst[i] = '\0';
}

static void
reply_set(struct scan_reply *r, enum scan_action action, const char *rcode,
	  const char *xcode, const char *text)
{
	r->action = action;
	(void)casier_snprintf(r->rcode, sizeof(r->rcode), "%s", rcode);
	(void)casier_snprintf(r->xcode, sizeof(r->xcode), "%s", xcode);
	(void)casier_snprintf(r->text, sizeof(r->text), "%s", text);
}

/* Apply on_error / on_oversize. */
static void
reply_policy(const struct scan_config *cfg, struct scan_reply *r,
	     enum scan_policy policy, bool oversize)
{
	switch (policy) {
	case SCAN_POLICY_ACCEPT:
		r->action = SCAN_ACTION_ACCEPT;
		if (cfg->add_header)
			(void)casier_snprintf(
			    r->header, sizeof(r->header), "%s",
			    oversize ? "skipped (too large)"
				     : "skipped (scan error)");
		break;
	case SCAN_POLICY_REJECT:
		if (oversize)
			/* RFC 3463 5.3.4: message too big for system. */
			reply_set(r, SCAN_ACTION_REJECT, "552", "5.3.4",
				  "Message too large for virus scanning");
		else
			reply_set(r, SCAN_ACTION_REJECT, "554", "5.7.0",
				  "Message could not be scanned for viruses");
		break;
	case SCAN_POLICY_TEMPFAIL:
	default:
		reply_set(r, SCAN_ACTION_TEMPFAIL, "451", "4.7.0",
			  oversize ? "Message too large for virus scanning, "
				     "try again later"
				   : "Virus scanner unavailable, try again "
				     "later");
		break;
	}
}

void
scan_reply_map(const struct scan_config *cfg,
	       const struct scan_outcome *outcome, struct scan_reply *reply_r)
{
	char name[100];
	char text[192];

	memset(reply_r, 0, sizeof(*reply_r));
	switch (outcome->verdict) {
	case SCAN_CLEAN:
		reply_r->action = SCAN_ACTION_ACCEPT;
		if (cfg->add_header)
			(void)casier_snprintf(reply_r->header,
					      sizeof(reply_r->header), "%s",
					      cfg->header_value);
		break;
	case SCAN_INFECTED:
		scan_reply_safe_name(name, sizeof(name), outcome->name);
		(void)casier_snprintf(text, sizeof(text),
				      "Virus found: %s; message refused", name);
		reply_set(reply_r, SCAN_ACTION_REJECT, "554", "5.7.1", text);
		break;
	case SCAN_OVERSIZE:
		reply_policy(cfg, reply_r, cfg->on_oversize, true);
		break;
	case SCAN_ERROR:
	default:
		reply_policy(cfg, reply_r, cfg->on_error, false);
		break;
	}
}
