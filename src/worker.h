/*
 * worker.h - one prefork worker process: an event loop serving connections.
 */
#ifndef OTU_WORKER_H
#define OTU_WORKER_H

#include "config.h"

struct metrics;

/*
 * Serves connections accepted on listen_fd (already listening, non-blocking)
 * until SIGTERM, SIGINT or SIGQUIT, then finishes the responses in flight
 * and returns.  SIGHUP (or SIGUSR1) reopens the log.  With metrics (shared counters, this
 * worker writing block 'slot'), it also answers GET /metrics on metrics_fd
 * (-1 when off).  Creates its own event_base, so it
 * must run after fork().  Returns the process exit status: 0 after a
 * clean stop, 1 when the loop could not be set up.
 * The document root is re-resolved every second and on SIGHUP (symlink deploys).
 */
int worker_run(const struct config *cfg, int listen_fd, int slot, struct metrics *metrics,
               int metrics_fd);

#endif
