/*
 * scan-buffer.c - bounded message buffer with spill to a temporary file.
 *
 * Called from libmilter session threads (one buffer per session, never
 * shared) as user casier.  Temporary files are created with O_TMPFILE
 * (or mkstemp + unlink) in tmp_dir, so nothing is left behind if the
 * process dies.  Failures return -1 with errno; the milter then applies
 * its error policy (temporary failure by default).
 */
#define _GNU_SOURCE
#include "scan-buffer.h"

#include "str.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void
scan_buffer_init(struct scan_buffer *buf, size_t memory_max, size_t total_max,
		 const char *tmp_dir)
{
	memset(buf, 0, sizeof(*buf));
	buf->memory_max = memory_max < total_max ? memory_max : total_max;
	buf->total_max = total_max;
	buf->tmp_dir = tmp_dir;
	buf->fd = -1;
}

static int
write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
open_tmpfile(const char *dir)
{
	char path[4096];
	int fd;

	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR &&
			errno != EINVAL && errno != ENOENT))
		return fd;
	if (casier_snprintf(path, sizeof(path), "%s/casier-scan.XXXXXX", dir) <
	    0) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = mkostemp(path, O_CLOEXEC);
	if (fd >= 0)
		(void)unlink(path);
	return fd;
}

/* Move what is in memory to a new temporary file. */
static int
scan_buffer_spill(struct scan_buffer *buf)
{
	int fd = open_tmpfile(buf->tmp_dir);

	if (fd < 0)
		return -1;
	if (write_all(fd, buf->mem, buf->mem_len) < 0) {
		int saved = errno;

		(void)close(fd);
		errno = saved;
		return -1;
	}
	buf->fd = fd;
	buf->mem_len = 0;
	return 0;
}

int
scan_buffer_append(struct scan_buffer *buf, const void *data, size_t n)
{
	if (buf->oversize)
		return 0;
	/* total <= total_max always holds, so the subtraction is safe. */
	if (n > buf->total_max - buf->total) {
		buf->oversize = true;
		return 0;
	}
	if (buf->fd < 0 && buf->mem_len + n > buf->memory_max) {
		if (scan_buffer_spill(buf) < 0)
			return -1;
	}
	if (buf->fd >= 0) {
		if (write_all(buf->fd, data, n) < 0)
			return -1;
	} else {
		if (buf->mem_len + n > buf->mem_cap) {
			/* mem_len + n <= memory_max <= total_max: no overflow
			 * as long as doubling stays under it. */
			size_t cap = buf->mem_cap == 0 ? 8192 : buf->mem_cap;
			char *p;

			while (cap < buf->mem_len + n)
				cap *= 2;
			if (cap > buf->memory_max)
				cap = buf->memory_max;
			p = realloc(buf->mem, cap);
			if (p == NULL)
				return -1;
			buf->mem = p;
			buf->mem_cap = cap;
		}
		memcpy(buf->mem + buf->mem_len, data, n);
		buf->mem_len += n;
	}
	buf->total += n;
	return 0;
}

void
scan_buffer_reset(struct scan_buffer *buf)
{
	if (buf->fd >= 0)
		(void)close(buf->fd);
	buf->fd = -1;
	buf->mem_len = 0;
	buf->total = 0;
	buf->oversize = false;
	/* Do not hold megabytes for an idle connection. */
	if (buf->mem_cap > 65536) {
		free(buf->mem);
		buf->mem = NULL;
		buf->mem_cap = 0;
	}
}

void
scan_buffer_free(struct scan_buffer *buf)
{
	scan_buffer_reset(buf);
	free(buf->mem);
	buf->mem = NULL;
	buf->mem_cap = 0;
}
