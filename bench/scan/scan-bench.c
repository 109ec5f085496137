/*
 * scan-bench.c - direct libclamav scanning throughput for bench/scan/run.
 *
 * Usage: scan-bench SIGNATURES_DIR SECONDS SIZE...
 * For each SIZE (bytes, with k/M suffixes) builds one MIME message of
 * about that size (a text part and a base64 attachment of pseudo-random
 * bytes, which libclamav must decode and scan), then scans it repeatedly
 * for SECONDS through the same code as casier-milter: from memory when it
 * fits the default 1 MiB memory_buffer, from a temporary file otherwise.
 * Prints one line per size: size, path, messages, seconds, msg/s, MB/s.
 * $SCAN_BENCH_TMPDIR replaces /tmp as tmp_dir.  Run as any user; fails with
 * exit 1 when the engine cannot be loaded or a scan is not clean.
 */
#include "scan-buffer.h"
#include "scan-config.h"
#include "scan-engine.h"
#include "str.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MEMORY_BUFFER (1024 * 1024)

static double
now(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static unsigned long long
parse_size(const char *s)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);

	if (*end == 'k' || *end == 'K')
		v *= 1024;
	else if (*end == 'M' || *end == 'm')
		v *= 1024 * 1024;
	return v;
}

static int
build_message(struct str *m, size_t size)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopq"
				  "rstuvwxyz0123456789+/";
	uint32_t x = 2463534242u;
	size_t col = 0;

	if (str_append(m,
		       "Return-Path: <bench@example.org>\r\n"
		       "From: bench@example.org\r\nTo: alice@scan.test\r\n"
		       "Subject: benchmark\r\nMIME-Version: 1.0\r\n"
		       "Content-Type: multipart/mixed; boundary=\"B\"\r\n\r\n"
		       "--B\r\nContent-Type: text/plain\r\n\r\n"
		       "Please find the report attached.\r\n"
		       "--B\r\nContent-Type: application/octet-stream; "
		       "name=report.bin\r\n"
		       "Content-Transfer-Encoding: base64\r\n\r\n") < 0)
		return -1;
	/* base64 text of pseudo-random bytes (xorshift32) up to size */
	while (m->len + 16 < size) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		if (str_append_char(m, tab[x & 63]) < 0)
			return -1;
		if (++col == 76) {
			if (str_append(m, "\r\n") < 0)
				return -1;
			col = 0;
		}
	}
	while (col % 4 != 0) {
		if (str_append_char(m, 'A') < 0)
			return -1;
		col++;
	}
	return str_append(m, "\r\n--B--\r\n");
}

int
main(int argc, char **argv)
{
	struct scan_config cfg;
	struct scan_engine *engine;
	char error[512];
	double seconds;
	int i;

	if (argc < 4) {
		fprintf(stderr, "usage: scan-bench SIGDIR SECONDS SIZE...\n");
		return 2;
	}
	memset(&cfg, 0, sizeof(cfg));
	cfg.signatures_dir = argv[1];
	cfg.tmp_dir = getenv("SCAN_BENCH_TMPDIR") != NULL
			  ? getenv("SCAN_BENCH_TMPDIR")
			  : (char *)"/tmp";
	cfg.max_message_size = 64ULL * 1024 * 1024;
	cfg.max_file_size = 25ULL * 1024 * 1024;
	cfg.memory_buffer = MEMORY_BUFFER;
	cfg.max_recursion = 17;
	cfg.max_files = 10000;
	cfg.max_scan_time = 120;
	seconds = atof(argv[2]);
	if (scan_engine_global_init(error, sizeof(error)) < 0 ||
	    (engine = scan_engine_new(&cfg, error, sizeof(error))) == NULL) {
		fprintf(stderr, "scan-bench: %s\n", error);
		return 1;
	}
	printf("# size_bytes path messages seconds msg_per_s MB_per_s\n");
	for (i = 3; i < argc; i++) {
		size_t size = (size_t)parse_size(argv[i]);
		struct scan_buffer buf;
		struct scan_outcome out;
		struct str m;
		unsigned long n = 0;
		double t0, t;

		str_init(&m, size + 1024);
		if (build_message(&m, size) < 0) {
			fprintf(stderr, "scan-bench: cannot build %zu\n", size);
			return 1;
		}
		scan_buffer_init(&buf, MEMORY_BUFFER, cfg.max_message_size,
				 cfg.tmp_dir);
		if (scan_buffer_append(&buf, m.data, m.len) < 0) {
			perror("scan-bench: buffer");
			return 1;
		}
		t0 = now();
		do {
			if (buf.fd >= 0) {
				(void)lseek(buf.fd, 0, SEEK_SET);
				scan_engine_scan_fd(engine, &cfg, buf.fd, &out);
			} else {
				scan_engine_scan_mem(engine, &cfg, buf.mem,
						     buf.mem_len, &out);
			}
			if (out.verdict != SCAN_CLEAN) {
				fprintf(stderr, "scan-bench: verdict %d (%s)\n",
					out.verdict, out.name);
				return 1;
			}
			n++;
			t = now() - t0;
		} while (t < seconds);
		printf("%zu %s %lu %.2f %.1f %.1f\n", m.len,
		       buf.fd >= 0 ? "file" : "memory", n, t, (double)n / t,
		       (double)n * (double)m.len / t / 1e6);
		scan_buffer_free(&buf);
		str_free(&m);
	}
	scan_engine_release(&engine);
	return 0;
}
