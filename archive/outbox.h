/*
 * outbox.h - see maint.h (archive_outbox_run); this header only names the
 * file for the build.
 */
#ifndef CASIER_ARCHIVE_OUTBOX_H
#define CASIER_ARCHIVE_OUTBOX_H
#include "maint.h"
#endif
