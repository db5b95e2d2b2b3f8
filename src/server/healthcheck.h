/*
 * healthcheck.h - "otuserver --healthcheck": probe the local server.
 *
 * A scratch image has no shell and no curl, so the binary checks itself:
 * Docker's HEALTHCHECK runs it in the container.
 */
#ifndef OTU_HEALTHCHECK_H
#define OTU_HEALTHCHECK_H

#include "config.h"

/* Longest the probe waits for the whole answer. */
#define HEALTHCHECK_TIMEOUT_MS 2000

/*
 * Requests config_probe_path(cfg) (--healthcheck-path, else --health-path,
 * else /) from the server on cfg->port (at the bind address, or loopback
 * when it listens on all addresses).  Prints one line and returns 0 when
 * the status is 200, else 1.
 */
int healthcheck_run(const struct config *cfg);

#endif
