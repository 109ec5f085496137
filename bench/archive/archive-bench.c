/*
 * archive-bench.c - measurements for bench/archive/run (not a test):
 *
 *   archive-bench corpus N                 zstd ratio and speed on a
 *                                          generated corpus of N mails
 *   archive-bench store CONNINFO N ON OFF  archive_store() throughput:
 *                                          N mails to a recipient of the
 *                                          archived domain ON, then of the
 *                                          non-archived domain OFF
 *   archive-bench search CONNINFO DOMAIN R p50/p95/p99 of R runs of each
 *                                          search through the service
 *                                          layer (svc_archive_list)
 *
 * Built by bench/archive/run against the build tree; talks to the bench
 * database only.  The corpus is deterministic (fixed seed): French and
 * English text mails, some with an HTML part, some with a base64
 * attachment.
 */
#include "archive.h"
#include "db.h"
#include "service-archive.h"
#include "service-db.h"
#include "str.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zstd.h>

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static const char *const fr[] = {
    "le",	"la",	     "les",	    "de",	   "des",
    "un",	"une",	     "et",	    "pour",	   "avec",
    "dans",	"sur",	     "nous",	    "vous",	   "facture",
    "commande", "livraison", "client",	    "réunion",	   "projet",
    "semaine",	"prochaine", "merci",	    "bonjour",	   "cordialement",
    "document", "contrat",   "équipe",	    "rendez-vous", "accord",
    "délai",	"prix",	     "fournisseur", "service",	   "été",
    "année",	"problème",  "réponse",	    "question",	   "envoyer",
    "reçu",	"joint",     "veuillez",    "trouver",	   "ci-joint",
    "demande",	"devis",     "paiement",
};
static const char *const en[] = {
    "the",     "a",	   "of",	"and",	    "to",	"in",
    "for",     "with",	   "on",	"we",	    "you",	"invoice",
    "order",   "delivery", "customer",	"meeting",  "project",	"week",
    "next",    "thanks",   "hello",	"regards",  "document", "contract",
    "team",    "schedule", "agreement", "deadline", "price",	"supplier",
    "service", "summer",   "year",	"issue",    "answer",	"question",
    "send",    "received", "attached",	"please",   "find",	"request",
    "quote",   "payment",  "review",	"update",   "report",	"figures",
};

static void
text(struct str *s, const char *const *w, size_t nw, size_t bytes)
{
	size_t start = s->len, col = 0;

	while (s->len - start < bytes) {
		const char *x = w[rnd() % nw];

		(void)str_append(s, x);
		col += strlen(x) + 1;
		if (rnd() % 12 == 0) {
			(void)str_append(s, ".\r\n");
			col = 0;
			if (rnd() % 5 == 0)
				(void)str_append(s, "\r\n");
		} else if (col > 70) {
			(void)str_append(s, "\r\n");
			col = 0;
		} else {
			(void)str_append(s, " ");
		}
	}
	(void)str_append(s, "\r\n");
}

enum kind { K_FR, K_EN, K_FR_HTML, K_ATTACH, K_KINDS };
static const char *const kind_name[] = {"French text", "English text",
					"French text + HTML part",
					"text + attachment"};

/* One message of the corpus into s (cleared). */
static enum kind
message(struct str *s, unsigned int i)
{
	enum kind k = (enum kind)(i % 10 < 4   ? K_FR
				  : i % 10 < 7 ? K_EN
				  : i % 10 < 8 ? K_FR_HTML
					       : K_ATTACH);
	bool french = k != K_EN;
	size_t body = 500 + rnd() % 4000;

	str_clear(s);
	(void)str_appendf(
	    s,
	    "Return-Path: <sender%u@example.net>\r\n"
	    "Received: from mx.example.net (mx.example.net [192.0.2.%u])\r\n"
	    "\tby mx.casier.test (Postfix) with ESMTPS id 4F%08X\r\n"
	    "\tfor <user%u@mondomaine.test>; Mon, 23 Nov 2026 10:%02u:00 "
	    "+0000 (UTC)\r\n"
	    "X-Casier-Inbound: yes\r\n"
	    "From: Sender %u <sender%u@example.net>\r\n"
	    "To: user%u@mondomaine.test\r\n"
	    "Subject: %s %u\r\n"
	    "Date: Mon, 23 Nov 2026 10:%02u:00 +0000\r\n"
	    "Message-ID: <%08x.%u@example.net>\r\nMIME-Version: 1.0\r\n",
	    i % 500, i % 250, (unsigned int)rnd(), i % 50, i % 60, i % 500,
	    i % 500, i % 50, french ? "=?utf-8?q?R=C3=A9union_du?=" : "Meeting",
	    i, i % 60, (unsigned int)rnd(), i);
	if (k == K_FR || k == K_EN) {
		(void)str_append(s,
				 "Content-Type: text/plain; charset=utf-8\r\n"
				 "Content-Transfer-Encoding: 8bit\r\n\r\n");
		text(s, french ? fr : en, french ? 48 : 48, body);
		return k;
	}
	(void)str_append(s, "Content-Type: multipart/mixed; boundary=\"b1\"\r\n"
			    "\r\n--b1\r\nContent-Type: text/plain; "
			    "charset=utf-8\r\n\r\n");
	text(s, french ? fr : en, 48, body);
	if (k == K_FR_HTML) {
		(void)str_append(s, "--b1\r\nContent-Type: text/html; "
				    "charset=utf-8\r\n\r\n<html><body><p>");
		text(s, fr, 48, body);
		(void)str_append(s, "</p></body></html>\r\n");
	} else {
		/* a document-like attachment: half structured text, half
		 * incompressible bytes (images, compressed streams) */
		size_t n = 20000 + rnd() % 180000;
		static const char b64[] =
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmno"
		    "pqrstuvwxyz0123456789+/";
		unsigned char *raw = malloc(n);
		struct str tmp;

		str_init(&tmp, 1 << 22);
		text(&tmp, en, 48, n / 2);
		memcpy(raw, tmp.data, n / 2);
		str_free(&tmp);
		for (size_t j = n / 2; j < n; j++)
			raw[j] = (unsigned char)rnd();
		(void)str_append(s,
				 "--b1\r\nContent-Type: application/pdf; "
				 "name=\"doc.pdf\"\r\n"
				 "Content-Transfer-Encoding: base64\r\n\r\n");
		for (size_t j = 0; j + 3 <= n; j += 3) {
			uint32_t v = (uint32_t)raw[j] << 16 |
				     (uint32_t)raw[j + 1] << 8 | raw[j + 2];
			char q[4] = {b64[v >> 18], b64[(v >> 12) & 63],
				     b64[(v >> 6) & 63], b64[v & 63]};

			(void)str_append_mem(s, q, 4);
			if ((j / 3) % 19 == 18)
				(void)str_append(s, "\r\n");
		}
		(void)str_append(s, "\r\n");
		free(raw);
	}
	(void)str_append(s, "--b1--\r\n");
	return k;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
corpus(unsigned int n)
{
	static const int levels[] = {1, 3, 9};
	double raw[K_KINDS] = {0}, z[3][K_KINDS] = {{0}}, t[3] = {0};
	unsigned int cnt[K_KINDS] = {0};
	struct str s;
	size_t cap = 0;
	void *out = NULL;

	str_init(&s, 1 << 24);
	for (unsigned int i = 0; i < n; i++) {
		enum kind k = message(&s, i);

		cnt[k]++;
		raw[k] += (double)s.len;
		if (ZSTD_compressBound(s.len) > cap) {
			cap = ZSTD_compressBound(s.len);
			out = realloc(out, cap);
		}
		for (int l = 0; l < 3; l++) {
			double t0 = now_s();
			size_t r =
			    ZSTD_compress(out, cap, s.data, s.len, levels[l]);

			t[l] += now_s() - t0;
			if (ZSTD_isError(r))
				return 1;
			z[l][k] += (double)r;
		}
	}
	printf("| kind | messages | mean size | level 1 | level 3 | level 9 "
	       "|\n|---|---:|---:|---:|---:|---:|\n");
	for (int k = 0; k < K_KINDS; k++)
		printf("| %s | %u | %.0f B | %.1f %% | %.1f %% | %.1f %% |\n",
		       kind_name[k], cnt[k], raw[k] / cnt[k],
		       100.0 * (1 - z[0][k] / raw[k]),
		       100.0 * (1 - z[1][k] / raw[k]),
		       100.0 * (1 - z[2][k] / raw[k]));
	{
		double tr = 0, tz[3] = {0};

		for (int k = 0; k < K_KINDS; k++) {
			tr += raw[k];
			for (int l = 0; l < 3; l++)
				tz[l] += z[l][k];
		}
		printf("| **all** | %u | %.0f B | %.1f %% | %.1f %% | %.1f %% "
		       "|\n",
		       n, tr / n, 100.0 * (1 - tz[0] / tr),
		       100.0 * (1 - tz[1] / tr), 100.0 * (1 - tz[2] / tr));
		printf("\n(space saved; compression speed level 1: %.0f MB/s, "
		       "level 3: %.0f MB/s, level 9: %.0f MB/s, one core)\n",
		       tr / t[0] / 1e6, tr / t[1] / 1e6, tr / t[2] / 1e6);
	}
	free(out);
	str_free(&s);
	return 0;
}

static int
store(const char *conninfo, unsigned int n, const char *on, const char *off)
{
	struct db_pool *pool = db_pool_new(conninfo, 1, NULL, 0);
	struct archive_config cfg = {.compression_level = 3,
				     .require_inbound = true};
	struct str s;
	const char *targets[2] = {on, off};
	double rate[2];

	if (pool == NULL)
		return 1;
	str_init(&s, 1 << 24);
	for (int pass = 0; pass < 2; pass++) {
		double t0 = now_s(), bytes = 0;

		for (unsigned int i = 0; i < n; i++) {
			const char *rcpt[1] = {targets[pass]};
			struct archive_envelope env = {
			    .sender = "sender@example.net",
			    .rcpts = rcpt,
			    .nrcpts = 1,
			};
			struct archive_source src;
			struct casier_result res;

			message(&s, i + (unsigned int)pass * n + 1000000u);
			bytes += (double)s.len;
			archive_source_buffer(&src, s.data, s.len);
			archive_store(pool, &cfg, &env, &src, NULL, &res);
			if (res.status != CASIER_OK) {
				fprintf(stderr, "store failed: %s\n", res.text);
				return 1;
			}
		}
		rate[pass] = n / (now_s() - t0);
		printf("| %s | %u | %.0f msg/s | %.1f MB/s |\n",
		       pass == 0 ? "archived domain (compress + 2 INSERTs)"
				 : "non-archived domain (lookup only)",
		       n, rate[pass], bytes / (now_s() - t0) / 1e6);
	}
	printf("\nper message: %.2f ms with archiving, %.2f ms without\n",
	       1000 / rate[0], 1000 / rate[1]);
	str_free(&s);
	db_pool_free(&pool);
	return 0;
}

static int
cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int
search(const char *conninfo, const char *domain, unsigned int runs)
{
	struct {
		const char *name;
		struct svc_archive_query q;
	} cases[] = {
	    {"list (first page)", {0}},
	    {"sender, common (belga.com, 10 %)", {.sender = "belga.com"}},
	    {"sender, rare (jacques42@)", {.sender = "jacques42@"}},
	    {"recipient (valerie)", {.recipient = "valerie"}},
	    {"subject, common (facture)", {.subject = "facture"}},
	    {"subject, rare (#4242)", {.subject = "#4242 "}},
	    {"date range (one day)",
	     {.after = "2026-11-01", .before = "2026-11-01"}},
	    {"sender + subject + dates",
	     {.sender = "belga",
	      .subject = "factur",
	      .after = "2026-10-01",
	      .before = "2026-11-15"}},
	    {"no match (zzzqqq)", {.subject = "zzzqqq"}},
	};
	struct svc svc = {0};
	struct svc_identity id = {.admin_id = 1, .superuser = true};
	double *lat = calloc(runs, sizeof(double));

	svc.db = db_pool_new(conninfo, 1, svc_statements, svc_nstatements);
	if (svc.db == NULL || lat == NULL)
		return 1;
	printf("| search | rows | p50 | p95 | p99 |\n|---|---:|---:|---:|---:|"
	       "\n");
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		size_t rows = 0;

		for (unsigned int r = 0; r < runs; r++) {
			struct svc_archive_list l;
			struct svc_result res;
			double t0 = now_s();

			if (svc_archive_list(&svc, &id, domain, &cases[c].q, 30,
					     NULL, &l, &res) < 0) {
				fprintf(stderr, "%s: %s\n", cases[c].name,
					res.message);
				return 1;
			}
			lat[r] = (now_s() - t0) * 1000;
			rows = l.n;
			svc_archive_list_free(&l);
		}
		qsort(lat, runs, sizeof(double), cmp_d);
		printf("| %s | %zu | %.1f ms | %.1f ms | %.1f ms |\n",
		       cases[c].name, rows, lat[runs / 2],
		       lat[(size_t)(runs * 0.95)], lat[(size_t)(runs * 0.99)]);
	}
	free(lat);
	db_pool_free(&svc.db);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "corpus") == 0)
		return corpus((unsigned int)strtoul(argv[2], NULL, 10));
	if (argc == 6 && strcmp(argv[1], "store") == 0)
		return store(argv[2], (unsigned int)strtoul(argv[3], NULL, 10),
			     argv[4], argv[5]);
	if (argc == 5 && strcmp(argv[1], "search") == 0)
		return search(argv[2], argv[3],
			      (unsigned int)strtoul(argv[4], NULL, 10));
	fprintf(stderr, "usage: see the comment at the top of the file\n");
	return 64;
}
