/*
 * scan-buffer.h - one message's bytes, kept for the scanner.
 *
 * The first memory_max bytes stay in memory; beyond that the whole
 * message moves to an unlinked temporary file in tmp_dir.  Past
 * total_max bytes nothing more is stored and the buffer is marked
 * oversize (the caller applies the oversize policy; the stored prefix is
 * never scanned as if it were the whole message).
 */
#ifndef CASIER_SCAN_BUFFER_H
#define CASIER_SCAN_BUFFER_H

#include "casier.h"

#include <stddef.h>

struct scan_buffer {
	char *mem;
	size_t mem_len;
	size_t mem_cap;
	size_t memory_max;
	size_t total_max;
	size_t total; /* bytes stored (memory or file) */
	int fd;	      /* -1 while in memory */
	bool oversize;
	const char *tmp_dir;
};

void scan_buffer_init(struct scan_buffer *buf, size_t memory_max,
		      size_t total_max, const char *tmp_dir);
/*
 * Append n bytes.  0 on success (also when the data was dropped because
 * the buffer is oversize); -1 on an I/O or allocation error, with errno
 * set — the caller must not scan (or deliver) this message unscanned.
 */
int scan_buffer_append(struct scan_buffer *buf, const void *data, size_t n);
/* Forget the contents, keep the settings (a new message). */
void scan_buffer_reset(struct scan_buffer *buf);
void scan_buffer_free(struct scan_buffer *buf);

#endif
