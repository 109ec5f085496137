/*
 * scan-reply.h - the one place where a scan outcome becomes an SMTP
 * answer (STYLE.md rule 4).
 */
#ifndef CASIER_SCAN_REPLY_H
#define CASIER_SCAN_REPLY_H

#include "scan-config.h"
#include "scan-engine.h"

enum scan_action {
	SCAN_ACTION_ACCEPT,
	SCAN_ACTION_REJECT,
	SCAN_ACTION_TEMPFAIL,
};

struct scan_reply {
	enum scan_action action;
	char rcode[4];	  /* "554"; empty for ACCEPT */
	char xcode[8];	  /* "5.7.1"; empty for ACCEPT */
	char text[192];	  /* safe for smfi_setreply: printable, no '%' */
	char header[256]; /* X-Virus-Scanned value, "" = add none */
};

void scan_reply_map(const struct scan_config *cfg,
		    const struct scan_outcome *outcome,
		    struct scan_reply *reply_r);

/*
 * Copy a signature name for an SMTP reply: keep [A-Za-z0-9._:/+-],
 * replace anything else (including '%', which smfi_setreply treats as
 * a format character) with '_'; at most dstsize - 1 bytes.
 */
void scan_reply_safe_name(char *dst, size_t dstsize, const char *name);

#endif
