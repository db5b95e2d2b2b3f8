/*
 * master.h - the master process: listen, fork workers, supervise them.
 *
 * The master never runs an event loop.  It binds the listening sockets,
 * forks the workers, then waits for signals synchronously: it respawns
 * workers that die (with a back-off when they die young); on SIGUSR1 it
 * reopens its log and has every worker reopen theirs (log rotation); on
 * SIGHUP it also reloads: it reads the settings again and, when they are
 * valid, starts new workers with them and retires the old ones gracefully
 * (see master_run); on SIGTERM/SIGINT/SIGQUIT it stops accepting, gives
 * the workers the grace period to finish, kills what is left and exits.
 * SIGPIPE, SIGUSR2, SIGWINCH and SIGALRM are ignored, by the master and
 * (inherited) by every worker.
 * Because it reaps every child, it works as PID 1 in a container.
 */
#ifndef OTU_MASTER_H
#define OTU_MASTER_H

#include "config.h"

/*
 * Reads the settings again for a reload, into *fresh: the same sources as
 * at start, validated as at start, the process-wide parts (log level, MIME
 * overrides) applied, and what running cannot change without a restart
 * kept from it.  Returns 0, or -1 with a one-line reason in err (the
 * running settings stay).
 */
typedef int (*master_reload_fn)(void *arg, const struct config *running, struct config *fresh, char *err,
                                size_t errlen);

/*
 * Runs the server described by cfg (malloc'd; the master owns it and
 * frees it, and a reload replaces it with one from reload(arg, ...)).
 * On a valid reload, a new worker starts in every slot with the new
 * settings, on the same listening sockets, so no connection waits for a
 * restart; each old worker stops accepting, answers the next request on
 * each kept-alive connection with "Connection: close", never closes a
 * connection with a request in flight, and is sent SIGTERM when the grace
 * period ends (SIGKILL a second later).  At most twice cfg->workers
 * processes run during the overlap; metrics counters continue across it.
 * Returns the process exit status: 0 after a clean stop, 1 when the socket
 * could not be bound or a worker could not be started.
 */
int master_run(struct config *cfg, master_reload_fn reload, void *arg);

#endif
