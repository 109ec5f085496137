/*
 * volume.h - export volumes: a POSIX ustar archive of .eml files
 * compressed with zstd (".tar.zst"), which "tar --zstd -xf FILE" or
 * "zstd -dc FILE | tar -xf -" opens on any current system.
 */
#ifndef CASIER_ARCHIVE_VOLUME_H
#define CASIER_ARCHIVE_VOLUME_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct volume_writer;

/*
 * Create path (it must not exist; mode 0640).  0, or -1 with errno set
 * (logged by the caller).
 */
int volume_open(const char *path, int level, struct volume_writer **w_r);
/* Add one file: name (at most 99 bytes, no NUL), contents, mtime. */
int volume_add(struct volume_writer *w, const char *name, const void *data,
	       size_t len, time_t mtime);
/*
 * Finish the archive (two zero blocks), the zstd frame, fsync and close.
 * *size_r gets the file size.  On failure the file is removed.  Frees w.
 */
int volume_close(struct volume_writer **w, uint64_t *size_r);
/* Give up: close and remove the file.  Frees w; accepts NULL. */
void volume_abort(struct volume_writer **w);

#endif
