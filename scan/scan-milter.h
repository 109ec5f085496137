/*
 * scan-milter.h - the libmilter side of casier-milter.
 */
#ifndef CASIER_SCAN_MILTER_H
#define CASIER_SCAN_MILTER_H

#include "scan-config.h"
#include "scan-engine.h"

/*
 * Register the callbacks and open cfg->socket.  cfg and engines must
 * outlive scan_milter_run().  0 or -1 with error_r.
 */
int scan_milter_setup(const struct scan_config *cfg,
		      struct scan_engines *engines, char *error_r,
		      size_t errsize);
/* Run libmilter's loop until SIGTERM/SIGINT (or smfi_stop()). 0 / -1. */
int scan_milter_run(void);
/* Sessions (SMTP connections) currently open. */
unsigned int scan_milter_sessions(void);

#endif
