/*
 * worker.h - one prefork worker process: an event loop serving connections.
 */
#ifndef OTU_WORKER_H
#define OTU_WORKER_H

#include "config.h"

#include <signal.h>

struct metrics;

/*
 * The master's "retire" signal to a worker of a configuration replaced by a
 * reload: stop accepting, finish every connection (the next request on a
 * kept one is answered with "Connection: close"), then exit.  A real-time
 * signal, so no operator's kill of a classic signal ever means it.
 */
#define WORKER_RETIRE_SIGNAL (SIGRTMIN + 2)

/*
 * Serves connections accepted on listen_fd (already listening, non-blocking)
 * until SIGTERM, SIGINT or SIGQUIT, then finishes the responses in flight
 * (idle connections close at once) and returns; WORKER_RETIRE_SIGNAL does
 * the same more gently (idle connections are kept for their next request).
 * SIGUSR1 reopens the log; SIGHUP also re-resolves the root and re-reads
 * the password file.  With metrics (shared counters, this
 * worker writing block 'slot'), it also answers GET /metrics on metrics_fd
 * (-1 when off).  Creates its own event_base, so it
 * must run after fork().  Returns the process exit status: 0 after a
 * clean stop, 1 when the loop could not be set up.
 * The document root is re-resolved every second and on SIGHUP (symlink deploys).
 */
int worker_run(const struct config *cfg, int listen_fd, int slot, struct metrics *metrics, int metrics_fd);

#endif
