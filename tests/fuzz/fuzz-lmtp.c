/*
 * fuzz-lmtp.c - libFuzzer target for the LMTP parser: arbitrary bytes go
 * through the line splitter, the command parser and, after a DATA
 * command, the dot-unstuffing decoder, in chunks whose sizes come from
 * the input, with the invariants the server relies on checked.
 *
 * fuzz-sources: lib/casier.c lib/str.c delivery/lmtp-parse.c
 * fuzz-libs:
 */
#include "lmtp-parse.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct lmtp_linebuf lb;
	static char out[4097];
	struct lmtp_data d;
	bool in_data = false;
	size_t off = 0, chunk;

	if (size < 1)
		return 0;
	/* the first byte chooses the read size, as a socket would split */
	chunk = (size_t)data[0] % 64 + 1;
	data++;
	size--;
	lmtp_linebuf_init(&lb);
	while (off < size) {
		size_t n = size - off < chunk ? size - off : chunk;

		if (in_data) {
			size_t outlen, used;

			used = lmtp_data_decode(&d, (const char *)data + off, n,
						out, &outlen);
			if (used > n || outlen > n + 1)
				abort();
			off += used;
			if (d.state == LMTP_DATA_END)
				in_data = false;
			else if (used != n)
				abort();
		} else {
			const char *line;
			size_t linelen, used;
			enum lmtp_line_status st;

			st = lmtp_linebuf_feed(&lb, (const char *)data + off, n,
					       &used, &line, &linelen);
			if (used == 0 || used > n)
				abort();
			off += used;
			if (st == LMTP_LINE_OK) {
				struct lmtp_command cmd;
				struct casier_result res;
				int code;

				if (linelen > LMTP_LINE_MAX)
					abort();
				if (lmtp_command_parse(line, linelen, &cmd,
						       &code, &res) == 0) {
					if (strlen(cmd.arg) > LMTP_PATH_MAX)
						abort();
					if (cmd.verb == LMTP_VERB_DATA) {
						lmtp_data_init(&d);
						in_data = true;
					}
				} else if (code < 500 || code > 555 ||
					   res.dsn[0] != '5') {
					abort();
				}
			}
		}
	}
	return 0;
}
