/*
 * spool.h - one message body, in memory up to a threshold, then in an
 * unlinked temporary file under the run directory.
 */
#ifndef CASIER_SPOOL_H
#define CASIER_SPOOL_H

#include "casier.h"

#include <stdint.h>
#include <sys/types.h>

struct spool;

/* dir: where the temporary file goes once mem_max is exceeded. */
struct spool *spool_new(const char *dir, size_t mem_max);
void spool_free(struct spool **sp);
/* Empty the spool (keeps the buffer, closes the file). */
void spool_reset(struct spool *sp);
/* Append; -1 (errno set) when the file cannot be written. */
int spool_write(struct spool *sp, const void *data, size_t len);
uint64_t spool_size(const struct spool *sp);
/* Read from offset; returns bytes read (0 at the end) or -1. */
ssize_t spool_pread(struct spool *sp, void *buf, size_t len, uint64_t offset);
/*
 * Copy the first at most max bytes (the header part) into a NUL-ended
 * buffer the caller frees; NULL on failure.  *len_r gets the length.
 */
char *spool_head(struct spool *sp, size_t max, size_t *len_r);

#endif
