/*
 * volume.c - write an export volume: ustar (POSIX.1-1988) entries of
 * regular files, streamed through one zstd frame into a file.
 *
 * Called by the maintenance pass of casier-archive (as the casier user)
 * to build the volume of a domain's cellar.  Memory stays bounded: each
 * message passes through once.  Any failure removes the partial file and
 * returns -1 with errno set; the caller leaves the messages in the
 * cellar and tries again at the next pass.
 */
#include "volume.h"
#include "str.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#define BLOCK 512

struct volume_writer {
	char *path;
	int fd;
	ZSTD_CCtx *cctx;
	unsigned char *out;
	size_t outcap;
	uint64_t written;
};

static int
write_all(int fd, const unsigned char *p, size_t n)
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

/* Feed bytes (or finish the frame when end) through zstd to the file. */
static int
feed(struct volume_writer *w, const void *data, size_t len, bool end)
{
	ZSTD_inBuffer ib = {.src = data, .size = len, .pos = 0};
	size_t r;

	do {
		ZSTD_outBuffer ob = {.dst = w->out, .size = w->outcap};

		r = ZSTD_compressStream2(w->cctx, &ob, &ib,
					 end ? ZSTD_e_end : ZSTD_e_continue);
		if (ZSTD_isError(r)) {
			errno = EIO;
			return -1;
		}
		if (write_all(w->fd, w->out, ob.pos) < 0)
			return -1;
		w->written += ob.pos;
	} while (ib.pos < ib.size || (end && r != 0));
	return 0;
}

int
volume_open(const char *path, int level, struct volume_writer **w_r)
{
	struct volume_writer *w = calloc(1, sizeof(*w));

	*w_r = NULL;
	if (w == NULL)
		return -1;
	w->fd = -1;
	w->outcap = ZSTD_CStreamOutSize();
	w->out = malloc(w->outcap);
	w->path = strdup(path);
	w->cctx = ZSTD_createCCtx();
	if (w->out == NULL || w->path == NULL || w->cctx == NULL ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(
		w->cctx, ZSTD_c_compressionLevel, level)) ||
	    ZSTD_isError(
		ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_checksumFlag, 1))) {
		errno = ENOMEM;
		goto fail;
	}
	w->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
	if (w->fd < 0)
		goto fail;
	*w_r = w;
	return 0;
fail : {
	int e = errno;

	if (w->fd >= 0) {
		(void)close(w->fd);
		(void)unlink(path);
	}
	ZSTD_freeCCtx(w->cctx);
	free(w->out);
	free(w->path);
	free(w);
	errno = e;
	return -1;
}
}

/* An octal field of width n (n-1 digits and a NUL); 0 or -1 if too big. */
static int
octal(char *field, size_t n, uint64_t v)
{
	field[n - 1] = '\0';
	for (size_t i = n - 1; i-- > 0;) {
		field[i] = (char)('0' + (v & 7));
		v >>= 3;
	}
	return v == 0 ? 0 : -1;
}

int
volume_add(struct volume_writer *w, const char *name, const void *data,
	   size_t len, time_t mtime)
{
	unsigned char h[BLOCK];
	static const unsigned char zero[BLOCK];
	unsigned int sum = 0;
	size_t nlen = strlen(name);

	memset(h, 0, sizeof(h));
	if (nlen == 0 || nlen > 99) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(h, name, nlen);			   /* name[100] */
	(void)octal((char *)h + 100, 8, 0640);	   /* mode */
	(void)octal((char *)h + 108, 8, 0);	   /* uid */
	(void)octal((char *)h + 116, 8, 0);	   /* gid */
	if (octal((char *)h + 124, 12, len) < 0 || /* size: < 8 GiB */
	    octal((char *)h + 136, 12, mtime < 0 ? 0 : (uint64_t)mtime) < 0) {
		errno = EFBIG;
		return -1;
	}
	memset(h + 148, ' ', 8); /* chksum counts as spaces (POSIX) */
	h[156] = '0';		 /* typeflag: regular file */
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	memcpy(h + 265, "casier", 6); /* uname */
	memcpy(h + 297, "casier", 6); /* gname */
	for (size_t i = 0; i < BLOCK; i++)
		sum += h[i];
	/* six octal digits, NUL, space */
	(void)octal((char *)h + 148, 7, sum);
	h[155] = ' ';
	if (feed(w, h, BLOCK, false) < 0 || feed(w, data, len, false) < 0)
		return -1;
	if (len % BLOCK != 0 && feed(w, zero, BLOCK - len % BLOCK, false) < 0)
		return -1;
	return 0;
}

static void
writer_free(struct volume_writer **wp, bool remove)
{
	struct volume_writer *w = *wp;

	if (w == NULL)
		return;
	*wp = NULL;
	if (w->fd >= 0)
		(void)close(w->fd);
	if (remove)
		(void)unlink(w->path);
	ZSTD_freeCCtx(w->cctx);
	free(w->out);
	free(w->path);
	free(w);
}

int
volume_close(struct volume_writer **wp, uint64_t *size_r)
{
	static const unsigned char zero[2 * BLOCK];
	struct volume_writer *w = *wp;
	int e;

	if (feed(w, zero, sizeof(zero), false) < 0 ||
	    feed(w, NULL, 0, true) < 0 || fsync(w->fd) < 0)
		goto fail;
	if (close(w->fd) < 0) {
		w->fd = -1;
		goto fail;
	}
	w->fd = -1;
	*size_r = w->written;
	writer_free(wp, false);
	return 0;
fail:
	e = errno;
	writer_free(wp, true);
	errno = e;
	return -1;
}

void
volume_abort(struct volume_writer **wp)
{
	writer_free(wp, true);
}
