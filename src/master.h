/*
 * master.h - the master process: listen, fork workers, supervise them.
 *
 * The master never runs an event loop.  It binds the listening sockets,
 * forks the workers, then waits for signals synchronously: it respawns
 * workers that die (with a back-off when they die young), forwards SIGHUP
 * (and SIGUSR1, as SIGHUP) for log rotation, and on SIGTERM/SIGINT/SIGQUIT
 * stops accepting, gives the workers the grace period to finish, kills what
 * is left and exits.  SIGPIPE, SIGUSR2, SIGWINCH and SIGALRM are ignored,
 * by the master and (inherited) by every worker.
 * Because it reaps every child, it works as PID 1 in a container.
 */
#ifndef OTU_MASTER_H
#define OTU_MASTER_H

#include "config.h"

/*
 * Runs the server described by cfg.  Returns the process exit status:
 * 0 after a clean stop, 1 when the socket could not be bound or a worker
 * could not be started.
 */
int master_run(const struct config *cfg);

#endif
