/*
 * spool.c - message bodies for casier-deliverd.
 *
 * Called by the LMTP session for every DATA.  Small messages stay in
 * memory; larger ones go to an unlinked file (mkstemp + unlink, mode
 * 0600, owned by the mail uid) under the run directory so memory stays
 * bounded whatever the message size.  Write errors are returned to the
 * caller, which answers 451 (temporary): a full disk never loses mail.
 */
#include "spool.h"
#include "str.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct spool {
	char *dir;
	size_t mem_max;
	char *mem;
	size_t mem_len;
	size_t mem_cap;
	int fd; /* -1 while in memory */
	uint64_t size;
};

struct spool *
spool_new(const char *dir, size_t mem_max)
{
	struct spool *sp = calloc(1, sizeof(*sp));

	if (sp == NULL)
		return NULL;
	sp->dir = strdup(dir != NULL ? dir : "/tmp");
	if (sp->dir == NULL) {
		free(sp);
		return NULL;
	}
	sp->mem_max = mem_max;
	sp->fd = -1;
	return sp;
}

void
spool_reset(struct spool *sp)
{
	if (sp->fd >= 0)
		(void)close(sp->fd);
	sp->fd = -1;
	sp->mem_len = 0;
	sp->size = 0;
}

void
spool_free(struct spool **spp)
{
	struct spool *sp = *spp;

	if (sp == NULL)
		return;
	spool_reset(sp);
	free(sp->mem);
	free(sp->dir);
	free(sp);
	*spp = NULL;
}

static int
spool_to_file(struct spool *sp)
{
	char path[4096];
	int fd;

	if (casier_snprintf(path, sizeof(path), "%s/deliverd-spool.XXXXXX",
			    sp->dir) < 0) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = mkstemp(path);
	if (fd < 0)
		return -1;
	(void)unlink(path);
	if (sp->mem_len > 0 &&
	    write(fd, sp->mem, sp->mem_len) != (ssize_t)sp->mem_len) {
		int e = errno != 0 ? errno : EIO;

		(void)close(fd);
		errno = e;
		return -1;
	}
	sp->fd = fd;
	sp->mem_len = 0;
	return 0;
}

int
spool_write(struct spool *sp, const void *data, size_t len)
{
	if (len == 0)
		return 0;
	if (sp->fd < 0 && len > sp->mem_max - sp->mem_len) {
		if (spool_to_file(sp) < 0)
			return -1;
	}
	if (sp->fd >= 0) {
		const char *p = data;
		size_t left = len;

		while (left > 0) {
			ssize_t n = write(sp->fd, p, left);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				return -1;
			p += n;
			left -= (size_t)n;
		}
	} else {
		if (sp->mem_len + len > sp->mem_cap) {
			/* mem_len + len <= mem_max (checked above) */
			size_t cap = sp->mem_cap == 0 ? 8192 : sp->mem_cap;
			char *n;

			while (cap < sp->mem_len + len)
				cap *= 2;
			if (cap > sp->mem_max)
				cap = sp->mem_max;
			n = realloc(sp->mem, cap);
			if (n == NULL)
				return -1;
			sp->mem = n;
			sp->mem_cap = cap;
		}
		memcpy(sp->mem + sp->mem_len, data, len);
		sp->mem_len += len;
	}
	sp->size += len;
	return 0;
}

uint64_t
spool_size(const struct spool *sp)
{
	return sp->size;
}

ssize_t
spool_pread(struct spool *sp, void *buf, size_t len, uint64_t offset)
{
	if (offset >= sp->size)
		return 0;
	if (len > sp->size - offset)
		len = (size_t)(sp->size - offset);
	if (sp->fd >= 0) {
		ssize_t n;

		do
			n = pread(sp->fd, buf, len, (off_t)offset);
		while (n < 0 && errno == EINTR);
		return n;
	}
	memcpy(buf, sp->mem + offset, len);
	return (ssize_t)len;
}

char *
spool_head(struct spool *sp, size_t max, size_t *len_r)
{
	char *buf = malloc(max + 1);
	ssize_t n;

	if (buf == NULL)
		return NULL;
	n = spool_pread(sp, buf, max, 0);
	if (n < 0) {
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	*len_r = (size_t)n;
	return buf;
}
