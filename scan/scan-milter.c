/*
 * scan-milter.c - libmilter callbacks: collect each message (headers and
 * body) in a bounded buffer, scan it at end of data with the current
 * libclamav engine, and answer with scan_reply_map()'s decision.
 *
 * Called by libmilter's session threads (one thread per SMTP
 * connection) in casier-milter, as user casier.  Every failure inside a
 * session (allocation, temp file, engine error) becomes SCAN_ERROR and
 * thus the configured error policy — a temporary 451 4.7.0 by default —
 * so no message is ever accepted unscanned by accident.  If the milter
 * itself is unreachable, Postfix applies milter_default_action (the
 * stack sets tempfail).
 */
#include "scan-milter.h"

#include "log.h"
#include "scan-buffer.h"
#include "scan-reply.h"
#include "str.h"

#include <errno.h>
#include <libmilter/mfapi.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define SCAN_HEADER_NAME "X-Virus-Scanned"

/*
 * libmilter callbacks receive no user pointer for the whole filter, so
 * the configuration and the engine holder are reached through this
 * struct, written once by scan_milter_setup() before smfi_main() starts
 * any thread and only read afterwards.  sessions is an atomic counter.
 */
static struct {
	const struct scan_config *cfg;
	struct scan_engines *engines;
	atomic_uint sessions;
} milter;

struct scan_session {
	struct scan_buffer buf;
	unsigned long pflags;	  /* SMFIP_NR_* the MTA agreed to */
	int error;		  /* errno of a failed append, 0 = fine */
	unsigned int own_headers; /* X-Virus-Scanned headers received */
	char client[64];
	char sender[128];
};

static struct scan_session *
session_get(SMFICTX *ctx)
{
	return smfi_getpriv(ctx);
}

static struct scan_session *
session_new(SMFICTX *ctx)
{
	struct scan_session *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	scan_buffer_init(&s->buf, milter.cfg->memory_buffer,
			 milter.cfg->max_message_size, milter.cfg->tmp_dir);
	if (smfi_setpriv(ctx, s) != MI_SUCCESS) {
		scan_buffer_free(&s->buf);
		free(s);
		return NULL;
	}
	atomic_fetch_add(&milter.sessions, 1);
	return s;
}

static void
session_message_reset(struct scan_session *s)
{
	scan_buffer_reset(&s->buf);
	s->error = 0;
	s->own_headers = 0;
	s->sender[0] = '\0';
}

/* The answer for a stage whose reply the MTA may have waived. */
static sfsistat
session_continue(const struct scan_session *s, unsigned long nr_flag)
{
	return (s != NULL && (s->pflags & nr_flag) != 0) ? SMFIS_NOREPLY
							 : SMFIS_CONTINUE;
}

static void
session_append(struct scan_session *s, const void *data, size_t n)
{
	if (s->error != 0)
		return;
	if (scan_buffer_append(&s->buf, data, n) < 0)
		s->error = errno != 0 ? errno : EIO;
}

static sfsistat
scan_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
	       unsigned long f2, unsigned long f3, unsigned long *pf0,
	       unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
	/* Skip the stages we do not look at, and ask for no reply where
	 * we only collect data, to save round trips per header line. */
	const unsigned long skip =
	    SMFIP_NOHELO | SMFIP_NORCPT | SMFIP_NOUNKNOWN | SMFIP_NODATA;
	const unsigned long noreply = SMFIP_NR_CONN | SMFIP_NR_MAIL |
				      SMFIP_NR_HDR | SMFIP_NR_EOH |
				      SMFIP_NR_BODY;
	struct scan_session *s;

	(void)f2;
	(void)f3;
	/* Postfix offers both; without them the verdict still holds, only
	 * the header is missing (and logged by scan_eom). */
	*pf0 = f0 & (SMFIF_ADDHDRS | SMFIF_CHGHDRS);
	*pf2 = 0;
	*pf3 = 0;
	s = session_get(ctx);
	if (s == NULL)
		s = session_new(ctx);
	if (s == NULL) {
		/* No session: ask for every reply, so that the callbacks
		 * may answer SMFIS_TEMPFAIL at each stage. */
		*pf1 = f1 & skip;
		return SMFIS_CONTINUE;
	}
	*pf1 = (f1 & skip) | (f1 & noreply);
	s->pflags = *pf1;
	return SMFIS_CONTINUE;
}

static sfsistat
scan_connect(SMFICTX *ctx, char *hostname, _SOCK_ADDR *hostaddr)
{
	struct scan_session *s = session_get(ctx);

	(void)hostaddr;
	if (s == NULL)
		s = session_new(ctx);
	if (s == NULL)
		return SMFIS_TEMPFAIL;
	log_sanitize(s->client, sizeof(s->client),
		     hostname != NULL ? hostname : "?",
		     hostname != NULL ? strlen(hostname) : 1);
	return session_continue(s, SMFIP_NR_CONN);
}

static sfsistat
scan_envfrom(SMFICTX *ctx, char **argv)
{
	struct scan_session *s = session_get(ctx);
	const char *from = argv != NULL && argv[0] != NULL ? argv[0] : "<>";

	if (s == NULL)
		return SMFIS_TEMPFAIL;
	session_message_reset(s);
	/* Postfix passes the address with its angle brackets. */
	if (from[0] == '<' && from[strlen(from) - 1] == '>' &&
	    strlen(from) >= 2)
		log_sanitize(s->sender, sizeof(s->sender), from + 1,
			     strlen(from) - 2);
	else
		log_sanitize(s->sender, sizeof(s->sender), from, strlen(from));
	/*
	 * libclamav recognises a mail message by its first header names;
	 * a Return-Path line (what the final delivery would add) makes
	 * sure it does, whatever header the client sent first.
	 */
	session_append(s, "Return-Path: <", 14);
	session_append(s, s->sender, strlen(s->sender));
	session_append(s, ">\r\n", 3);
	return session_continue(s, SMFIP_NR_MAIL);
}

static sfsistat
scan_header(SMFICTX *ctx, char *name, char *value)
{
	struct scan_session *s = session_get(ctx);

	if (s == NULL)
		return SMFIS_TEMPFAIL;
	if (strcasecmp(name, SCAN_HEADER_NAME) == 0)
		s->own_headers++;
	session_append(s, name, strlen(name));
	session_append(s, ": ", 2);
	session_append(s, value, strlen(value));
	session_append(s, "\r\n", 2);
	return session_continue(s, SMFIP_NR_HDR);
}

static sfsistat
scan_eoh(SMFICTX *ctx)
{
	struct scan_session *s = session_get(ctx);

	if (s == NULL)
		return SMFIS_TEMPFAIL;
	session_append(s, "\r\n", 2);
	return session_continue(s, SMFIP_NR_EOH);
}

static sfsistat
scan_body(SMFICTX *ctx, unsigned char *chunk, size_t len)
{
	struct scan_session *s = session_get(ctx);

	if (s == NULL)
		return SMFIS_TEMPFAIL;
	session_append(s, chunk, len);
	return session_continue(s, SMFIP_NR_BODY);
}

static void
scan_session_scan(struct scan_session *s, struct scan_outcome *out)
{
	struct scan_engine *engine;

	memset(out, 0, sizeof(*out));
	if (s->error != 0) {
		out->verdict = SCAN_ERROR;
		(void)casier_snprintf(out->name, sizeof(out->name),
				      "buffering: %s", strerror(s->error));
		return;
	}
	if (s->buf.oversize) {
		out->verdict = SCAN_OVERSIZE;
		return;
	}
	engine = scan_engines_acquire(milter.engines);
	if (s->buf.fd >= 0) {
		if (lseek(s->buf.fd, 0, SEEK_SET) < 0) {
			out->verdict = SCAN_ERROR;
			(void)casier_snprintf(out->name, sizeof(out->name),
					      "lseek: %s", strerror(errno));
		} else {
			scan_engine_scan_fd(engine, milter.cfg, s->buf.fd, out);
		}
	} else {
		scan_engine_scan_mem(engine, milter.cfg, s->buf.mem,
				     s->buf.mem_len, out);
	}
	scan_engine_release(&engine);
}

static const char *
verdict_name(enum scan_verdict v)
{
	switch (v) {
	case SCAN_CLEAN:
		return "clean";
	case SCAN_INFECTED:
		return "infected";
	case SCAN_OVERSIZE:
		return "oversize";
	case SCAN_ERROR:
	default:
		return "error";
	}
}

static sfsistat
scan_eom(SMFICTX *ctx)
{
	struct scan_session *s = session_get(ctx);
	struct scan_outcome outcome;
	struct scan_reply reply;
	const char *queue_id, *auth, *daemon;
	char detail[160], user[96];
	unsigned int i, own_headers;

	if (s == NULL)
		return SMFIS_TEMPFAIL;
	scan_session_scan(s, &outcome);
	scan_reply_map(milter.cfg, &outcome, &reply);
	queue_id = smfi_getsymval(ctx, "i");
	auth = smfi_getsymval(ctx, "{auth_authen}");
	daemon = smfi_getsymval(ctx, "{daemon_name}");
	log_sanitize(detail, sizeof(detail), outcome.name,
		     strlen(outcome.name));
	log_sanitize(user, sizeof(user), auth != NULL ? auth : "",
		     auth != NULL ? strlen(auth) : 0);
	log_info("%s: from=<%s> client=%s daemon=%s auth=%s size=%zu "
		 "verdict=%s%s%s action=%s",
		 queue_id != NULL ? queue_id : "NOQUEUE", s->sender, s->client,
		 daemon != NULL && strlen(daemon) < 40 ? daemon : "-",
		 user[0] != '\0' ? user : "-", s->buf.total,
		 verdict_name(outcome.verdict),
		 detail[0] != '\0' ? " detail=" : "", detail,
		 reply.action == SCAN_ACTION_ACCEPT   ? "accept"
		 : reply.action == SCAN_ACTION_REJECT ? "reject"
						      : "tempfail");
	own_headers = s->own_headers;
	session_message_reset(s);
	if (reply.action != SCAN_ACTION_ACCEPT) {
		if (smfi_setreply(ctx, reply.rcode, reply.xcode, reply.text) !=
		    MI_SUCCESS)
			log_warning("smfi_setreply failed; the MTA uses its "
				    "default text");
		return reply.action == SCAN_ACTION_REJECT ? SMFIS_REJECT
							  : SMFIS_TEMPFAIL;
	}
	if (reply.header[0] != '\0') {
		/* Only our own verdict may reach the mailbox: remove any
		 * X-Virus-Scanned the sender put in (index is 1-based). */
		for (i = own_headers; i > 0; i--)
			(void)smfi_chgheader(ctx, SCAN_HEADER_NAME, (int)i,
					     NULL);
		if (smfi_addheader(ctx, SCAN_HEADER_NAME, reply.header) !=
		    MI_SUCCESS)
			log_warning("%s: could not add %s",
				    queue_id != NULL ? queue_id : "NOQUEUE",
				    SCAN_HEADER_NAME);
	}
	return SMFIS_CONTINUE;
}

static sfsistat
scan_abort(SMFICTX *ctx)
{
	struct scan_session *s = session_get(ctx);

	if (s != NULL)
		session_message_reset(s);
	return SMFIS_CONTINUE;
}

static sfsistat
scan_close(SMFICTX *ctx)
{
	struct scan_session *s = session_get(ctx);

	if (s != NULL) {
		(void)smfi_setpriv(ctx, NULL);
		scan_buffer_free(&s->buf);
		free(s);
		atomic_fetch_sub(&milter.sessions, 1);
	}
	return SMFIS_CONTINUE;
}

static struct smfiDesc scan_desc = {
    .xxfi_name = "casier-milter",
    .xxfi_version = SMFI_VERSION,
    .xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS,
    .xxfi_connect = scan_connect,
    .xxfi_envfrom = scan_envfrom,
    .xxfi_header = scan_header,
    .xxfi_eoh = scan_eoh,
    .xxfi_body = scan_body,
    .xxfi_eom = scan_eom,
    .xxfi_abort = scan_abort,
    .xxfi_close = scan_close,
    .xxfi_negotiate = scan_negotiate,
};

int
scan_milter_setup(const struct scan_config *cfg, struct scan_engines *engines,
		  char *error_r, size_t errsize)
{
	mode_t old_mask;
	int ret;

	milter.cfg = cfg;
	milter.engines = engines;
	atomic_init(&milter.sessions, 0);
	if (smfi_setconn(cfg->socket) != MI_SUCCESS ||
	    smfi_settimeout((int)cfg->milter_timeout) != MI_SUCCESS ||
	    smfi_setbacklog(128) != MI_SUCCESS ||
	    smfi_register(scan_desc) != MI_SUCCESS) {
		(void)casier_snprintf(error_r, errsize,
				      "libmilter refused socket %s",
				      cfg->socket);
		return -1;
	}
	/*
	 * A UNIX socket is created 0666: who may connect is decided by the
	 * permissions of the directory it lives in (the stack's sock/).
	 */
	old_mask = umask(0111);
	ret = smfi_opensocket(true);
	(void)umask(old_mask);
	if (ret != MI_SUCCESS) {
		(void)casier_snprintf(error_r, errsize,
				      "cannot open milter socket %s",
				      cfg->socket);
		return -1;
	}
	return 0;
}

int
scan_milter_run(void)
{
	return smfi_main() == MI_SUCCESS ? 0 : -1;
}

unsigned int
scan_milter_sessions(void)
{
	return atomic_load(&milter.sessions);
}
