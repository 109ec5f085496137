/*
 * test-scan.c - unit tests for casier-milter's pure parts and its engine
 * wrapper: [scan] configuration, policy names, the reply mapping of scan
 * outcomes, the bounded message buffer (memory, spill, oversize), and
 * scanning with the shipped test signatures (plain, base64, zip, custom
 * pattern, malformed MIME) plus the engine swap.  Run by `make check`;
 * needs $CASIER_SRCDIR for tests/data/signatures.
 */
#include "scan-buffer.h"
#include "scan-config.h"
#include "scan-engine.h"
#include "scan-reply.h"
#include "str.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define EICAR                                                                  \
	"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+"  \
	"H*"
#define CUSTOM "CASIER-TEST-MALWARE-PATTERN-7f3a9c"

/* ---- helpers ---------------------------------------------------------- */

static char *
write_temp(const char *content)
{
	char *path = strdup("/tmp/test-scan-XXXXXX");
	int fd;

	ck_assert_ptr_nonnull(path);
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, content, strlen(content)),
			 (ssize_t)strlen(content));
	close(fd);
	return path;
}

static void
sigdir(char *out, size_t size)
{
	const char *src = getenv("CASIER_SRCDIR");

	ck_assert_int_ge(casier_snprintf(out, size, "%s/tests/data/signatures",
					 src != NULL ? src : ".."),
			 0);
}

/* A configuration as scan_config_load() would produce, for engine tests. */
static void
engine_config(struct scan_config *cfg, char *dir)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->signatures_dir = dir;
	cfg->tmp_dir = (char *)"/tmp";
	cfg->max_message_size = 10 * 1024 * 1024;
	cfg->max_file_size = 10 * 1024 * 1024;
	cfg->memory_buffer = 1024 * 1024;
	cfg->max_recursion = 17;
	cfg->max_files = 1000;
	cfg->max_scan_time = 60;
}

/* ---- configuration ---------------------------------------------------- */

static const struct {
	const char *text;
	int ret;
	const char *error_part; /* expected in the message when ret < 0 */
} config_cases[] = {
    {.text = "[scan]\nsocket = unix:/tmp/m.sock\n", .ret = 0},
    {.text = "[scan]\nsocket = inet:8890@127.0.0.1\non_error = reject\n"
	     "on_oversize = tempfail\n",
     .ret = 0},
    {.text = "[scan]\nsignatures_dir = /x\n",
     .ret = -1,
     .error_part = "socket"},
    {.text = "[scan]\nsocket = unix:/s\non_error = ignore\n",
     .ret = -1,
     .error_part = "on_error"},
    {.text = "[scan]\nsocket = unix:/s\non_oversize = drop\n",
     .ret = -1,
     .error_part = "on_oversize"},
    {.text = "[scan]\nsocket = /tmp/m.sock\n",
     .ret = -1,
     .error_part = "socket must start"},
    {.text = "[scan]\nsocket = unix:/s\nsignatures_dir = sigs\n",
     .ret = -1,
     .error_part = "signatures_dir"},
    {.text = "[scan]\nsocket = unix:/s\ntmp_dir = tmp\n",
     .ret = -1,
     .error_part = "tmp_dir"},
    {.text = "[scan]\nsocket = unix:/s\nuser = root\n",
     .ret = -1,
     .error_part = "user"},
    {.text = "[scan]\nsocket = unix:/s\nmax_message_size = 100\n",
     .ret = -1,
     .error_part = ":3:"},
    {.text = "[scan]\nsocket = unix:/s\nmax_recursion = 0\n",
     .ret = -1,
     .error_part = ":3:"},
    {.text = "[scan]\nsocket = unix:/s\nmax_scan_time = 2h\n",
     .ret = -1,
     .error_part = ":3:"},
    {.text = "[scan]\nsocket = unix:/s\nno_such_key = 1\n",
     .ret = -1,
     .error_part = ":3:"},
    {.text = "[scan]\nsocket = unix:/s\nheader_value = a\tb\n",
     .ret = -1,
     .error_part = "header_value"},
    {.text = "[log]\nlevel = debug\nsyslog = yes\n[scan]\nsocket = unix:/s\n",
     .ret = 0},
    {.text = "[log]\nlevel = loud\n[scan]\nsocket = unix:/s\n",
     .ret = -1,
     .error_part = ":2:"},
    /* Other programs' sections are skipped. */
    {.text = "[web]\nwhatever = 1\n[scan]\nsocket = unix:/s\n", .ret = 0},
};

START_TEST(test_config_cases)
{
	struct scan_config cfg;
	char error[512] = "";
	char *path = write_temp(config_cases[_i].text);
	int ret = scan_config_load(path, &cfg, error, sizeof(error));

	ck_assert_msg(ret == config_cases[_i].ret, "case %d: ret %d (%s)", _i,
		      ret, error);
	if (ret < 0)
		ck_assert_msg(strstr(error, config_cases[_i].error_part) !=
				  NULL,
			      "case %d: '%s' lacks '%s'", _i, error,
			      config_cases[_i].error_part);
	scan_config_free(&cfg);
	unlink(path);
	free(path);
}
END_TEST

START_TEST(test_config_defaults)
{
	struct scan_config cfg;
	char error[512] = "";
	char *path = write_temp("[scan]\nsocket = unix:/tmp/m.sock\n");

	ck_assert_int_eq(scan_config_load(path, &cfg, error, sizeof(error)), 0);
	ck_assert_str_eq(cfg.signatures_dir, "/var/lib/clamav");
	ck_assert_int_eq(cfg.on_error, SCAN_POLICY_TEMPFAIL);
	ck_assert_int_eq(cfg.on_oversize, SCAN_POLICY_ACCEPT);
	ck_assert(cfg.add_header);
	ck_assert_uint_eq(cfg.max_message_size, 50ULL * 1024 * 1024);
	ck_assert_uint_eq(cfg.memory_buffer, 1024 * 1024);
	ck_assert_int_eq(cfg.max_recursion, 17);
	ck_assert_int_eq(cfg.max_scan_time, 120);
	ck_assert_int_eq(cfg.reload_interval, 5);
	ck_assert_str_eq(cfg.user, "casier");
	ck_assert_int_eq(cfg.log_level, 1); /* info */
	ck_assert(!cfg.log_syslog);
	scan_config_free(&cfg);
	unlink(path);
	free(path);
}
END_TEST

START_TEST(test_config_memory_clamped)
{
	struct scan_config cfg;
	char error[512] = "";
	char *path = write_temp("[scan]\nsocket = unix:/s\n"
				"max_message_size = 64k\nmemory_buffer = 1M\n");

	ck_assert_int_eq(scan_config_load(path, &cfg, error, sizeof(error)), 0);
	ck_assert_uint_eq(cfg.memory_buffer, 64 * 1024);
	scan_config_free(&cfg);
	unlink(path);
	free(path);
}
END_TEST

static const struct {
	const char *text;
	int ret;
	enum scan_policy policy;
} policy_cases[] = {
    {.text = "tempfail", .ret = 0, .policy = SCAN_POLICY_TEMPFAIL},
    {.text = "reject", .ret = 0, .policy = SCAN_POLICY_REJECT},
    {.text = "accept", .ret = 0, .policy = SCAN_POLICY_ACCEPT},
    {.text = "Accept", .ret = -1},
    {.text = "", .ret = -1},
    {.text = NULL, .ret = -1},
};

START_TEST(test_policy_parse)
{
	enum scan_policy p = (enum scan_policy)99;

	ck_assert_int_eq(scan_policy_parse(policy_cases[_i].text, &p),
			 policy_cases[_i].ret);
	if (policy_cases[_i].ret == 0) {
		ck_assert_int_eq(p, policy_cases[_i].policy);
		ck_assert_str_eq(scan_policy_name(p), policy_cases[_i].text);
	}
}
END_TEST

/* ---- reply mapping ---------------------------------------------------- */

static const struct {
	enum scan_verdict verdict;
	const char *name;
	enum scan_policy on_error, on_oversize;
	bool add_header;
	enum scan_action action;
	const char *rcode, *xcode, *text_part, *header;
} reply_cases[] = {
    {.verdict = SCAN_CLEAN,
     .add_header = true,
     .action = SCAN_ACTION_ACCEPT,
     .rcode = "",
     .xcode = "",
     .text_part = "",
     .header = "clean (test)"},
    {.verdict = SCAN_CLEAN,
     .add_header = false,
     .action = SCAN_ACTION_ACCEPT,
     .rcode = "",
     .xcode = "",
     .text_part = "",
     .header = ""},
    {.verdict = SCAN_INFECTED,
     .name = "Casier.Test.EICAR",
     .add_header = true,
     .action = SCAN_ACTION_REJECT,
     .rcode = "554",
     .xcode = "5.7.1",
     .text_part = "Virus found: Casier.Test.EICAR",
     .header = ""},
    /* on_error=accept never turns a virus into an accept */
    {.verdict = SCAN_INFECTED,
     .name = "X",
     .on_error = SCAN_POLICY_ACCEPT,
     .on_oversize = SCAN_POLICY_ACCEPT,
     .action = SCAN_ACTION_REJECT,
     .rcode = "554",
     .xcode = "5.7.1",
     .text_part = "X",
     .header = ""},
    {.verdict = SCAN_INFECTED,
     .name = "Evil%s\r\nName",
     .action = SCAN_ACTION_REJECT,
     .rcode = "554",
     .xcode = "5.7.1",
     .text_part = "Evil_s__Name",
     .header = ""},
    {.verdict = SCAN_ERROR,
     .name = "CL_ETIMEOUT",
     .on_error = SCAN_POLICY_TEMPFAIL,
     .add_header = true,
     .action = SCAN_ACTION_TEMPFAIL,
     .rcode = "451",
     .xcode = "4.7.0",
     .text_part = "try again later",
     .header = ""},
    {.verdict = SCAN_ERROR,
     .on_error = SCAN_POLICY_REJECT,
     .action = SCAN_ACTION_REJECT,
     .rcode = "554",
     .xcode = "5.7.0",
     .text_part = "could not be scanned",
     .header = ""},
    {.verdict = SCAN_ERROR,
     .on_error = SCAN_POLICY_ACCEPT,
     .add_header = true,
     .action = SCAN_ACTION_ACCEPT,
     .rcode = "",
     .xcode = "",
     .text_part = "",
     .header = "skipped (scan error)"},
    {.verdict = SCAN_OVERSIZE,
     .on_oversize = SCAN_POLICY_ACCEPT,
     .add_header = true,
     .action = SCAN_ACTION_ACCEPT,
     .rcode = "",
     .xcode = "",
     .text_part = "",
     .header = "skipped (too large)"},
    {.verdict = SCAN_OVERSIZE,
     .on_oversize = SCAN_POLICY_ACCEPT,
     .add_header = false,
     .action = SCAN_ACTION_ACCEPT,
     .rcode = "",
     .xcode = "",
     .text_part = "",
     .header = ""},
    {.verdict = SCAN_OVERSIZE,
     .on_oversize = SCAN_POLICY_TEMPFAIL,
     .on_error = SCAN_POLICY_ACCEPT,
     .action = SCAN_ACTION_TEMPFAIL,
     .rcode = "451",
     .xcode = "4.7.0",
     .text_part = "too large",
     .header = ""},
    {.verdict = SCAN_OVERSIZE,
     .on_oversize = SCAN_POLICY_REJECT,
     .action = SCAN_ACTION_REJECT,
     .rcode = "552",
     .xcode = "5.3.4",
     .text_part = "too large",
     .header = ""},
};

START_TEST(test_reply_map)
{
	struct scan_config cfg;
	struct scan_outcome out;
	struct scan_reply reply;

	memset(&cfg, 0, sizeof(cfg));
	cfg.header_value = (char *)"clean (test)";
	cfg.add_header = reply_cases[_i].add_header;
	cfg.on_error = reply_cases[_i].on_error;
	cfg.on_oversize = reply_cases[_i].on_oversize;
	memset(&out, 0, sizeof(out));
	out.verdict = reply_cases[_i].verdict;
	if (reply_cases[_i].name != NULL)
		(void)casier_snprintf(out.name, sizeof(out.name), "%s",
				      reply_cases[_i].name);
	scan_reply_map(&cfg, &out, &reply);
	ck_assert_int_eq(reply.action, reply_cases[_i].action);
	ck_assert_str_eq(reply.rcode, reply_cases[_i].rcode);
	ck_assert_str_eq(reply.xcode, reply_cases[_i].xcode);
	ck_assert_msg(strstr(reply.text, reply_cases[_i].text_part) != NULL,
		      "case %d: '%s' lacks '%s'", _i, reply.text,
		      reply_cases[_i].text_part);
	ck_assert_ptr_null(strchr(reply.text, '%'));
	ck_assert_str_eq(reply.header, reply_cases[_i].header);
}
END_TEST

static const struct {
	const char *in;
	size_t size;
	const char *out;
} name_cases[] = {
    {.in = "Casier.Test.EICAR", .size = 64, .out = "Casier.Test.EICAR"},
    {.in = "Win.Trojan.Agent-123:1/x+y",
     .size = 64,
     .out = "Win.Trojan.Agent-123:1/x+y"},
    {.in = "a%b c\r\n", .size = 64, .out = "a_b_c__"},
    {.in = "\xc3\xa9", .size = 64, .out = "__"},
    {.in = "abcdef", .size = 4, .out = "abc"},
    {.in = "", .size = 8, .out = "?"},
};

START_TEST(test_reply_safe_name)
{
	char buf[64];

	scan_reply_safe_name(buf, name_cases[_i].size, name_cases[_i].in);
	ck_assert_str_eq(buf, name_cases[_i].out);
}
END_TEST

/* ---- buffer ----------------------------------------------------------- */

static size_t
fd_read_all(int fd, char *out, size_t max)
{
	ssize_t n;

	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	n = read(fd, out, max);
	ck_assert_int_ge(n, 0);
	return (size_t)n;
}

static const struct {
	size_t memory_max, total_max;
	size_t chunks[4]; /* appended in order; 0 ends */
	bool in_file, oversize;
	size_t total;
} buffer_cases[] = {
    {.memory_max = 100,
     .total_max = 1000,
     .chunks = {10, 20},
     .in_file = false,
     .oversize = false,
     .total = 30},
    /* exactly the memory limit stays in memory */
    {.memory_max = 100,
     .total_max = 1000,
     .chunks = {60, 40},
     .in_file = false,
     .oversize = false,
     .total = 100},
    /* one byte over moves everything to the file */
    {.memory_max = 100,
     .total_max = 1000,
     .chunks = {60, 41},
     .in_file = true,
     .oversize = false,
     .total = 101},
    /* exactly the total limit is still scanned */
    {.memory_max = 100,
     .total_max = 1000,
     .chunks = {500, 500},
     .in_file = true,
     .oversize = false,
     .total = 1000},
    /* one byte more is oversize; nothing more is stored */
    {.memory_max = 100,
     .total_max = 1000,
     .chunks = {500, 500, 1, 7},
     .in_file = true,
     .oversize = true,
     .total = 1000},
    {.memory_max = 0,
     .total_max = 50,
     .chunks = {10},
     .in_file = true,
     .oversize = false,
     .total = 10},
    {.memory_max = 1000,
     .total_max = 50,
     .chunks = {40, 11},
     .in_file = false,
     .oversize = true,
     .total = 40},
};

START_TEST(test_buffer_limits)
{
	struct scan_buffer buf;
	static char data[2048], back[2048];
	size_t off = 0, i;

	for (i = 0; i < sizeof(data); i++)
		data[i] = (char)('a' + i % 26);
	scan_buffer_init(&buf, buffer_cases[_i].memory_max,
			 buffer_cases[_i].total_max, "/tmp");
	for (i = 0; i < 4 && buffer_cases[_i].chunks[i] != 0; i++) {
		ck_assert_int_eq(scan_buffer_append(&buf, data + off,
						    buffer_cases[_i].chunks[i]),
				 0);
		off += buffer_cases[_i].chunks[i];
	}
	ck_assert_int_eq(buf.fd >= 0, buffer_cases[_i].in_file);
	ck_assert_int_eq(buf.oversize, buffer_cases[_i].oversize);
	ck_assert_uint_eq(buf.total, buffer_cases[_i].total);
	/* What is stored is the prefix of the input, byte for byte. */
	if (buf.fd >= 0) {
		ck_assert_uint_eq(fd_read_all(buf.fd, back, sizeof(back)),
				  buf.total);
		ck_assert_int_eq(memcmp(back, data, buf.total), 0);
	} else {
		ck_assert_uint_eq(buf.mem_len, buf.total);
		ck_assert_int_eq(memcmp(buf.mem, data, buf.total), 0);
	}
	scan_buffer_reset(&buf);
	ck_assert_int_eq(buf.fd, -1);
	ck_assert(!buf.oversize);
	ck_assert_uint_eq(buf.total, 0);
	ck_assert_int_eq(scan_buffer_append(&buf, "xy", 2), 0);
	ck_assert_uint_eq(buf.total, 2);
	scan_buffer_free(&buf);
}
END_TEST

START_TEST(test_buffer_spill_failure)
{
	struct scan_buffer buf;

	scan_buffer_init(&buf, 4, 100, "/nonexistent/dir");
	ck_assert_int_eq(scan_buffer_append(&buf, "abcd", 4), 0);
	ck_assert_int_eq(scan_buffer_append(&buf, "e", 1), -1);
	scan_buffer_free(&buf);
}
END_TEST

/* ---- engine ----------------------------------------------------------- */

static struct scan_engine *
load_test_engine(struct scan_config *cfg, char *dir, size_t dirsize)
{
	static bool inited;
	char error[512];
	struct scan_engine *engine;

	sigdir(dir, dirsize);
	engine_config(cfg, dir);
	if (!inited) {
		ck_assert_int_eq(scan_engine_global_init(error, sizeof(error)),
				 0);
		inited = true;
	}
	engine = scan_engine_new(cfg, error, sizeof(error));
	ck_assert_msg(engine != NULL, "%s", error);
	return engine;
}

static void
b64(struct str *out, const unsigned char *in, size_t n)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopq"
				  "rstuvwxyz0123456789+/";
	size_t i, col = 0;

	for (i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;

		if (i + 1 < n)
			v |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < n)
			v |= in[i + 2];
		ck_assert_int_eq(str_append_char(out, tab[(v >> 18) & 63]), 0);
		ck_assert_int_eq(str_append_char(out, tab[(v >> 12) & 63]), 0);
		ck_assert_int_eq(
		    str_append_char(out, i + 1 < n ? tab[(v >> 6) & 63] : '='),
		    0);
		ck_assert_int_eq(
		    str_append_char(out, i + 2 < n ? tab[v & 63] : '='), 0);
		if ((col += 4) >= 72) {
			ck_assert_int_eq(str_append(out, "\r\n"), 0);
			col = 0;
		}
	}
	ck_assert_int_eq(str_append(out, "\r\n"), 0);
}

static uint32_t
crc32_of(const unsigned char *p, size_t n)
{
	uint32_t c = 0xffffffffu;

	while (n-- > 0) {
		c ^= *p++;
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1)));
	}
	return ~c;
}

static void
le16(struct str *s, unsigned int v)
{
	ck_assert_int_eq(str_append_char(s, (char)(v & 0xff)), 0);
	ck_assert_int_eq(str_append_char(s, (char)((v >> 8) & 0xff)), 0);
}

static void
le32(struct str *s, uint32_t v)
{
	le16(s, v & 0xffff);
	le16(s, v >> 16);
}

/*
 * A zip archive with one stored (uncompressed) member; with encrypted,
 * the "encrypted" flag (general purpose bit 0) is set on the member.
 */
static void
make_zip_flags(struct str *z, const char *name, const char *data,
	       bool encrypted)
{
	const unsigned int flags = encrypted ? 1 : 0;
	size_t nlen = strlen(name), dlen = strlen(data);
	uint32_t crc = crc32_of((const unsigned char *)data, dlen);
	size_t cd_off, cd_size;

	le32(z, 0x04034b50);
	le16(z, 10), le16(z, flags), le16(z, 0), le16(z, 0), le16(z, 0);
	le32(z, crc), le32(z, (uint32_t)dlen), le32(z, (uint32_t)dlen);
	le16(z, (unsigned int)nlen), le16(z, 0);
	ck_assert_int_eq(str_append(z, name), 0);
	ck_assert_int_eq(str_append(z, data), 0);
	cd_off = z->len;
	le32(z, 0x02014b50);
	le16(z, 20), le16(z, 10), le16(z, flags), le16(z, 0), le16(z, 0),
	    le16(z, 0);
	le32(z, crc), le32(z, (uint32_t)dlen), le32(z, (uint32_t)dlen);
	le16(z, (unsigned int)nlen), le16(z, 0), le16(z, 0), le16(z, 0),
	    le16(z, 0);
	le32(z, 0), le32(z, 0);
	ck_assert_int_eq(str_append(z, name), 0);
	cd_size = z->len - cd_off;
	le32(z, 0x06054b50);
	le16(z, 0), le16(z, 0), le16(z, 1), le16(z, 1);
	le32(z, (uint32_t)cd_size);
	le32(z, (uint32_t)cd_off), le16(z, 0);
}

static void
make_zip(struct str *z, const char *name, const char *data)
{
	make_zip_flags(z, name, data, false);
}

enum body_kind {
	BODY_PLAIN,
	BODY_BASE64,
	BODY_ZIP,
	BODY_CUSTOM,
	BODY_CLEAN,
	BODY_UNTERMINATED,
	BODY_BROKEN_BASE64,
	BODY_DEEP_NESTING,
	BODY_ENCRYPTED_ZIP,
};

static void
make_mail(struct str *m, enum body_kind kind)
{
	struct str att, zip;
	int i;

	str_init(&att, 1 << 20);
	str_init(&zip, 1 << 20);
	ck_assert_int_eq(str_append(m, "Return-Path: <a@example.org>\r\n"
				       "From: a@example.org\r\n"
				       "To: b@example.net\r\n"
				       "Subject: test\r\n"
				       "MIME-Version: 1.0\r\n"),
			 0);
	switch (kind) {
	case BODY_PLAIN:
		ck_assert_int_eq(str_append(m, "\r\n" EICAR "\r\n"), 0);
		break;
	case BODY_CUSTOM:
		ck_assert_int_eq(str_append(m, "\r\nhello " CUSTOM " bye\r\n"),
				 0);
		break;
	case BODY_CLEAN:
		ck_assert_int_eq(str_append(m, "\r\nJust a clean message.\r\n"),
				 0);
		break;
	case BODY_BASE64:
	case BODY_ZIP:
	case BODY_UNTERMINATED:
	case BODY_BROKEN_BASE64:
	case BODY_ENCRYPTED_ZIP:
		if (kind == BODY_ENCRYPTED_ZIP) {
			make_zip_flags(&zip, "secret.txt", "not really secret",
				       true);
			b64(&att, (const unsigned char *)zip.data, zip.len);
		} else if (kind == BODY_ZIP) {
			make_zip(&zip, "eicar.com", EICAR);
			b64(&att, (const unsigned char *)zip.data, zip.len);
		} else if (kind == BODY_BROKEN_BASE64) {
			ck_assert_int_eq(str_append(&att,
						    "WDVPIVAlQEFQ!!!=*==\r\n"
						    "@@@@\r\n"),
					 0);
		} else {
			b64(&att, (const unsigned char *)EICAR, strlen(EICAR));
		}
		ck_assert_int_eq(
		    str_appendf(m,
				"Content-Type: multipart/mixed; "
				"boundary=\"XX\"\r\n\r\n--XX\r\n"
				"Content-Type: text/plain\r\n\r\nhi\r\n"
				"--XX\r\nContent-Type: application/"
				"octet-stream; name=a.bin\r\n"
				"Content-Transfer-Encoding: base64\r\n\r\n"
				"%s%s",
				att.data,
				kind == BODY_UNTERMINATED ? "" : "--XX--\r\n"),
		    0);
		break;
	case BODY_DEEP_NESTING:
		ck_assert_int_eq(str_append(m, "Content-Type: multipart/mixed; "
					       "boundary=\"b0\"\r\n\r\n"),
				 0);
		for (i = 1; i < 200; i++)
			ck_assert_int_eq(str_appendf(m,
						     "--b%d\r\nContent-Type: "
						     "multipart/mixed; "
						     "boundary=\"b%d\"\r\n\r\n",
						     i - 1, i),
					 0);
		ck_assert_int_eq(str_appendf(m, "--b199\r\nContent-Type: "
						"text/plain\r\n\r\nleaf\r\n"),
				 0);
		break;
	}
	str_free(&att);
	str_free(&zip);
}

static const struct {
	enum body_kind kind;
	enum scan_verdict verdict;
	const char *name_prefix; /* for SCAN_INFECTED */
} scan_cases[] = {
    {.kind = BODY_PLAIN,
     .verdict = SCAN_INFECTED,
     .name_prefix = "Casier.Test.EICAR"},
    {.kind = BODY_BASE64,
     .verdict = SCAN_INFECTED,
     .name_prefix = "Casier.Test.EICAR"},
    {.kind = BODY_ZIP,
     .verdict = SCAN_INFECTED,
     .name_prefix = "Casier.Test.EICAR"},
    {.kind = BODY_CUSTOM,
     .verdict = SCAN_INFECTED,
     .name_prefix = "Casier.Test.Custom"},
    {.kind = BODY_CLEAN, .verdict = SCAN_CLEAN},
    /* Malformed MIME: an unterminated multipart still gets decoded. */
    {.kind = BODY_UNTERMINATED,
     .verdict = SCAN_INFECTED,
     .name_prefix = "Casier.Test.EICAR"},
    {.kind = BODY_BROKEN_BASE64, .verdict = SCAN_CLEAN},
    {.kind = BODY_DEEP_NESTING, .verdict = SCAN_CLEAN},
};

START_TEST(test_engine_scan)
{
	struct scan_config cfg;
	char dir[4096];
	struct scan_engine *engine = load_test_engine(&cfg, dir, sizeof(dir));
	struct scan_outcome out, out_fd;
	struct scan_buffer buf;
	struct str m;

	str_init(&m, 8 << 20);
	make_mail(&m, scan_cases[_i].kind);
	scan_engine_scan_mem(engine, &cfg, m.data, m.len, &out);
	ck_assert_msg(out.verdict == scan_cases[_i].verdict,
		      "case %d: verdict %d (%s)", _i, out.verdict, out.name);
	if (out.verdict == SCAN_INFECTED)
		ck_assert_msg(strncmp(out.name, scan_cases[_i].name_prefix,
				      strlen(scan_cases[_i].name_prefix)) == 0,
			      "case %d: name %s", _i, out.name);
	/* The same message spilled to a file scans the same. */
	scan_buffer_init(&buf, 0, m.len, "/tmp");
	ck_assert_int_eq(scan_buffer_append(&buf, m.data, m.len), 0);
	ck_assert_int_ge(buf.fd, 0);
	ck_assert_int_eq(lseek(buf.fd, 0, SEEK_SET), 0);
	scan_engine_scan_fd(engine, &cfg, buf.fd, &out_fd);
	ck_assert_int_eq(out_fd.verdict, out.verdict);
	ck_assert_str_eq(out_fd.name, out.name);
	scan_buffer_free(&buf);
	str_free(&m);
	scan_engine_release(&engine);
}
END_TEST

/* block_encrypted turns an encrypted archive into a refusal. */
START_TEST(test_engine_block_encrypted)
{
	struct scan_config cfg;
	char dir[4096];
	struct scan_engine *engine = load_test_engine(&cfg, dir, sizeof(dir));
	struct scan_outcome out;
	struct str m;

	str_init(&m, 1 << 20);
	make_mail(&m, BODY_ENCRYPTED_ZIP);
	scan_engine_scan_mem(engine, &cfg, m.data, m.len, &out);
	ck_assert_msg(out.verdict == SCAN_CLEAN, "off: verdict %d (%s)",
		      out.verdict, out.name);
	/* A fresh engine: libclamav caches clean verdicts per engine, and
	 * the milter never changes options on a live engine. */
	scan_engine_release(&engine);
	engine = load_test_engine(&cfg, dir, sizeof(dir));
	cfg.block_encrypted = true;
	scan_engine_scan_mem(engine, &cfg, m.data, m.len, &out);
	ck_assert_msg(out.verdict == SCAN_INFECTED, "on: verdict %d (%s)",
		      out.verdict, out.name);
	ck_assert_msg(strstr(out.name, "Encrypted") != NULL, "name %s",
		      out.name);
	str_free(&m);
	scan_engine_release(&engine);
}
END_TEST

START_TEST(test_engine_empty_dir_fails)
{
	struct scan_config cfg;
	char dir[] = "/tmp/test-scan-empty-XXXXXX";
	char error[512] = "";

	ck_assert_ptr_nonnull(mkdtemp(dir));
	engine_config(&cfg, dir);
	ck_assert_int_eq(scan_engine_global_init(error, sizeof(error)), 0);
	ck_assert_ptr_null(scan_engine_new(&cfg, error, sizeof(error)));
	ck_assert_str_ne(error, "");
	rmdir(dir);
}
END_TEST

START_TEST(test_engine_swap_keeps_old_alive)
{
	struct scan_config cfg;
	char dir[4096];
	struct scan_engine *first = load_test_engine(&cfg, dir, sizeof(dir));
	struct scan_engine *second = load_test_engine(&cfg, dir, sizeof(dir));
	struct scan_engines *engines = scan_engines_new(first);
	struct scan_engine *held, *now;
	struct scan_outcome out;
	struct str m;

	ck_assert_ptr_nonnull(engines);
	held = scan_engines_acquire(engines);
	ck_assert_ptr_eq(held, first);
	ck_assert_uint_eq(scan_engine_generation(held), 1);
	scan_engines_swap(engines, second);
	/* A scan that started before the swap still works on its engine. */
	str_init(&m, 1 << 20);
	make_mail(&m, BODY_PLAIN);
	scan_engine_scan_mem(held, &cfg, m.data, m.len, &out);
	ck_assert_int_eq(out.verdict, SCAN_INFECTED);
	scan_engine_release(&held);
	ck_assert_ptr_null(held);
	now = scan_engines_acquire(engines);
	ck_assert_ptr_eq(now, second);
	ck_assert_uint_eq(scan_engine_generation(now), 2);
	scan_engine_release(&now);
	scan_engines_free(&engines);
	ck_assert_ptr_null(engines);
	str_free(&m);
}
END_TEST

START_TEST(test_fingerprint_changes)
{
	char dir[] = "/tmp/test-scan-fp-XXXXXX";
	char path[4096];
	uint64_t a, b, c;
	FILE *f;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_eq(scan_signatures_fingerprint(dir, &a), 0);
	ck_assert_int_ge(casier_snprintf(path, sizeof(path), "%s/x.ndb", dir),
			 0);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("A:0:*:41414141\n", f);
	fclose(f);
	ck_assert_int_eq(scan_signatures_fingerprint(dir, &b), 0);
	ck_assert_uint_ne(a, b);
	ck_assert_int_eq(scan_signatures_fingerprint(dir, &c), 0);
	ck_assert_uint_eq(b, c);
	f = fopen(path, "a");
	fputs("B:0:*:42424242\n", f);
	fclose(f);
	ck_assert_int_eq(scan_signatures_fingerprint(dir, &c), 0);
	ck_assert_uint_ne(b, c);
	unlink(path);
	rmdir(dir);
	ck_assert_int_eq(scan_signatures_fingerprint(dir, &c), -1);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("scan");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_config_cases, 0,
			    (int)CASIER_ARRAY_LEN(config_cases));
	tcase_add_test(tc, test_config_defaults);
	tcase_add_test(tc, test_config_memory_clamped);
	tcase_add_loop_test(tc, test_policy_parse, 0,
			    (int)CASIER_ARRAY_LEN(policy_cases));
	tcase_add_loop_test(tc, test_reply_map, 0,
			    (int)CASIER_ARRAY_LEN(reply_cases));
	tcase_add_loop_test(tc, test_reply_safe_name, 0,
			    (int)CASIER_ARRAY_LEN(name_cases));
	tcase_add_loop_test(tc, test_buffer_limits, 0,
			    (int)CASIER_ARRAY_LEN(buffer_cases));
	tcase_add_test(tc, test_buffer_spill_failure);
	tcase_add_loop_test(tc, test_engine_scan, 0,
			    (int)CASIER_ARRAY_LEN(scan_cases));
	tcase_add_test(tc, test_engine_block_encrypted);
	tcase_add_test(tc, test_engine_empty_dir_fails);
	tcase_add_test(tc, test_engine_swap_keeps_old_alive);
	tcase_add_test(tc, test_fingerprint_changes);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
