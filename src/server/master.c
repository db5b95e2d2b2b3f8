/*
 * master.c - see master.h.
 */
#include "compat.h"

#include "master.h"

#include "clock.h"

#include "listen.h"
#include "log.h"
#include "metrics.h"
#include "version.h"
#include "worker.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Listen backlog; the kernel caps it at net.core.somaxconn. */
#define MASTER_BACKLOG 4096
/* A worker that dies younger than this is crash-looping: back off before respawning. */
#define MASTER_YOUNG_DEATH_MS 1000
/* First and largest back-off delays for a crash-looping worker slot. */
#define MASTER_BACKOFF_MIN_MS 100
#define MASTER_BACKOFF_MAX_MS 10000
/* File descriptors a worker needs besides its connections (log, root, files, epoll). */
#define MASTER_FD_HEADROOM 256

/* One worker position: its process and its listening socket. */
struct slot {
    pid_t pid;          /* the worker, or 0 when none runs */
    int block;          /* the metrics block its worker writes (see struct master's generation) */
    int fd;             /* this slot's listening socket (SO_REUSEPORT), or -1 while the
                           slot waits out a back-off (see close_unserved_listeners) */
    int64_t started_ms; /* when the current worker was forked */
    int64_t respawn_ms; /* when to fork again; 0 = not scheduled */
    int backoff_ms;     /* current crash-loop delay; 0 = none */
};

/* Prints and logs why the port could not be bound, in one line with the way out. */
static void report_bind_error(const struct config *cfg, int port, int err)
{
    char msg[512];
    if (err == EACCES)
        snprintf(msg, sizeof(msg),
                 "cannot listen on %s port %d: permission denied; ports below 1024 need "
                 "privileges: use a port >= 1024 (OTUSERVER_PORT=8080 or -p 8080) or grant the "
                 "NET_BIND_SERVICE capability",
                 cfg->bind_addr, port);
    else if (err == EADDRINUSE)
        snprintf(msg, sizeof(msg),
                 "cannot listen on %s port %d: address already in use (another program holds "
                 "the port; choose another with -p or OTUSERVER_PORT)",
                 cfg->bind_addr, port);
    else
        snprintf(msg, sizeof(msg), "cannot listen on %s port %d: %s", cfg->bind_addr, port, strerror(err));
    fprintf(stderr, "otuserver: %s\n", msg);
    if (strcmp(cfg->log_file, "-") != 0)
        LOG_ERROR("%s", msg);
}

/*
 * Opens one socket bound to port, listening unless it is only a probe that
 * the port is free (listening, it would accept connections and reset them
 * when closed).  Returns it, or -1 with errno set.
 */
static int open_listener_on(const struct config *cfg, int port, bool reuseport, bool listening)
{
    struct sockaddr_storage ss;
    socklen_t len = listen_socket_addr(cfg->bind_addr, port, false, &ss);
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    /* Accepted sockets inherit TCP_NODELAY from the listener on Linux: setting
     * it here saves a setsockopt() per connection.  Responses leave in one
     * send() (MSG_MORE before a sendfile body), so Nagle has nothing to add. */
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    /* One dual-stack socket for "::": IPv4 clients arrive as ::ffff:a.b.c.d. */
    int zero = 0;
    if (ss.ss_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)) < 0)
        goto fail;
    if (reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0)
        goto fail;
    if (bind(fd, (struct sockaddr *)&ss, len) < 0 || (listening && listen(fd, MASTER_BACKLOG) < 0))
        goto fail;
    return fd;
fail:
    otu_close_keep_errno(fd);
    return -1;
}

/*
 * Opens one listening socket on the site's port, which hands over connections
 * with their request in (see config_defer_accept_s); best effort: without
 * TCP_DEFER_ACCEPT the worker's first recv() finds nothing and it waits.
 */
static int open_listener(const struct config *cfg, bool reuseport)
{
    int fd = open_listener_on(cfg, cfg->port, reuseport, true);
    int defer = listen_defer_accept_s(cfg->header_timeout_ms);
    if (fd >= 0 && defer > 0)
        setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &defer, sizeof(defer));
    return fd;
}

/*
 * Gives every slot a listening socket: one SO_REUSEPORT socket per slot,
 * so the kernel spreads connections over the workers with no thundering
 * herd, and a worker replaced at once inherits its slot's queue intact.  A first
 * plain bind proves no other program holds the port (SO_REUSEPORT alone
 * would quietly share it with another of our own); it never listens, so no
 * client can connect to it in the moment before the real listeners exist
 * and be reset when it closes.  Returns 0 or -1.
 */
static int open_listeners(const struct config *cfg, struct slot *slots, int n)
{
    int probe = open_listener_on(cfg, cfg->port, false, false); /* bound, never listening */
    if (probe < 0) {
        report_bind_error(cfg, cfg->port, errno);
        return -1;
    }
    close(probe);
    for (int i = 0; i < n; i++) {
        slots[i].fd = open_listener(cfg, true);
        if (slots[i].fd < 0) {
            report_bind_error(cfg, cfg->port, errno);
            return -1;
        }
    }
    return 0;
}

/* Raises the soft fd limit toward the hard one, enough for the connection cap. */
static void raise_fd_limit(const struct config *cfg)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
        return;
    rlim_t want = (rlim_t)cfg->max_connections + (rlim_t)cfg->file_cache_entries + MASTER_FD_HEADROOM;
    if (rl.rlim_cur >= want)
        return;
    rl.rlim_cur = (rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want) ? want : rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < want)
        LOG_WARN("fd limit %lu is below --max-connections %d + %d; the worker pauses accepting "
                 "when it runs out",
                 (unsigned long)rl.rlim_cur, cfg->max_connections, MASTER_FD_HEADROOM);
}

/* What every worker inherits besides its slot. */
struct shared {
    struct metrics *metrics; /* counters in shared memory (two blocks a slot), or NULL */
    int metrics_fd;          /* the /metrics listener, or -1 */
};

/* A worker of the configuration before a reload, finishing its connections. */
struct retiree {
    pid_t pid; /* the worker */
    int block; /* its metrics block */
};

/*
 * Forks the worker for slot i, first reopening the slot's listening socket
 * when a back-off closed it.  Returns 0, or -1 with errno set and *what
 * naming the step that failed ("fork", "listen"); logs nothing.
 */
static int spawn(const struct config *cfg, struct slot *slots, int n, int i, const struct shared *sh, const char **what)
{
    if (slots[i].fd < 0) {
        *what = "listen";
        slots[i].fd = open_listener(cfg, true);
        if (slots[i].fd < 0)
            return -1;
        LOG_DEBUG("slot %d: listening socket reopened", i);
    }
    *what = "fork";
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        for (int k = 0; k < n; k++) {
            if (k != i && slots[k].fd >= 0)
                close(slots[k].fd);
        }
        exit(worker_run(cfg, slots[i].fd, slots[i].block, sh->metrics, sh->metrics_fd));
    }
    slots[i].pid = pid;
    slots[i].started_ms = clock_mono_ms();
    slots[i].respawn_ms = 0;
    LOG_DEBUG("worker %d started in slot %d", (int)pid, i);
    return 0;
}

/*
 * Schedules the next start of slot s after a delay that doubles each time,
 * from MASTER_BACKOFF_MIN_MS to MASTER_BACKOFF_MAX_MS: for a worker that
 * dies young, or a fork() that fails (a pids limit).  Returns the delay.
 */
static int back_off(struct slot *s, int64_t now)
{
    int b = s->backoff_ms ? s->backoff_ms * 2 : MASTER_BACKOFF_MIN_MS;
    s->backoff_ms = b > MASTER_BACKOFF_MAX_MS ? MASTER_BACKOFF_MAX_MS : b;
    s->respawn_ms = now + s->backoff_ms;
    return s->backoff_ms;
}

/* The master's state: its slots, what workers share, the signals it takes. */
struct master {
    struct config *cfg;       /* the running settings (owned; a reload replaces them) */
    master_reload_fn reload;  /* reads the settings again (SIGHUP) */
    void *reload_arg;         /* its argument */
    struct slot *slots;       /* cfg->workers slots */
    int n;                    /* how many */
    int generation;           /* 0 or 1: the current workers write metrics blocks
                                 generation * n + slot; a reload flips it, so a worker
                                 and its replacement never write the same block */
    struct retiree *retirees; /* the previous generation, finishing (at most n) */
    int nretirees;            /* how many are left */
    int64_t retire_deadline;  /* when they get SIGTERM, then SIGKILL a second later; 0 = none */
    bool retire_termed;       /* SIGTERM sent to them */
    bool reload_pending;      /* a SIGHUP came while retirees were still finishing */
    struct shared sh;         /* metrics region and listener */
    sigset_t watched;         /* taken with sigtimedwait(), blocked everywhere else */
    int64_t stop_deadline;    /* when the workers' grace period ends (monotonic ms) */
    bool failed;              /* a first worker could not be started */
};

static void reload(struct master *m);

/* Takes pid out of the retirees when it is one; returns true when it was. */
static bool reap_retiree(struct master *m, pid_t pid)
{
    for (int k = 0; k < m->nretirees; k++) {
        if (m->retirees[k].pid != pid)
            continue;
        metrics_worker_gone(m->sh.metrics, m->retirees[k].block);
        LOG_DEBUG("worker %d of the previous configuration finished", (int)pid);
        m->retirees[k] = m->retirees[--m->nretirees];
        if (m->nretirees == 0)
            m->retire_deadline = 0;
        return true;
    }
    return false;
}

/* The worker of slot i exited with status: schedule its next start, backing off when it died young. */
static void slot_died(struct master *m, int i, pid_t pid, int status)
{
    if (WIFSIGNALED(status))
        LOG_WARN("worker %d killed by signal %d; starting a new one", (int)pid, WTERMSIG(status));
    else
        LOG_WARN("worker %d exited with status %d; starting a new one", (int)pid, WEXITSTATUS(status));
    int64_t now = clock_mono_ms();
    if (now - m->slots[i].started_ms < MASTER_YOUNG_DEATH_MS) {
        int delay = back_off(&m->slots[i], now);
        LOG_WARN("worker slot %d is dying young; waiting %d ms before the next start", i, delay);
    } else {
        m->slots[i].backoff_ms = 0;
        m->slots[i].respawn_ms = now;
    }
    metrics_note_restart(m->sh.metrics);
}

/*
 * Reaps every exited child; schedules respawns unless stopping, and runs a
 * reload that waited for the last retiree.  Returns the workers alive,
 * retirees included.
 */
static int reap(struct master *m, bool stopping)
{
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        if (reap_retiree(m, pid))
            continue;
        for (int i = 0; i < m->n; i++) {
            if (m->slots[i].pid != pid)
                continue;
            m->slots[i].pid = 0;
            metrics_worker_gone(m->sh.metrics, m->slots[i].block); /* its connections died with it */
            if (stopping)
                LOG_DEBUG("worker %d finished", (int)pid);
            else
                slot_died(m, i, pid, status);
            break;
        }
        /* A pid not in slots: an orphan we inherited as PID 1; reaping it is enough. */
    }
    if (!stopping && m->reload_pending && m->nretirees == 0)
        reload(m);
    int alive = m->nretirees;
    for (int i = 0; i < m->n; i++)
        alive += m->slots[i].pid != 0;
    return alive;
}

/*
 * Closes the listening socket of each slot that has no worker while another
 * slot has one.  With SO_REUSEPORT the kernel hashes every new connection
 * to one socket of the group whether or not anyone accepts on it, so a slot
 * waiting out a crash-loop back-off (up to 10 s) would hold its share of
 * new connections unanswered all that time.  Closed, it leaves the group and
 * the live workers take every new connection; spawn() reopens it.  The
 * cost: connections already queued on it when it closes are reset by the
 * kernel - a prompt error a client can retry, where keeping the socket
 * would make them wait out the back-off, for a worker that may die again.
 * A slot replaced at once (a worker that lived) keeps its socket and queue.
 * With no worker alive nothing is closed: the port stays ours and the
 * queue waits for the next worker.
 */
static void close_unserved_listeners(struct slot *slots, int n)
{
    bool alive = false;
    for (int i = 0; i < n; i++)
        alive = alive || slots[i].pid != 0;
    for (int i = 0; alive && i < n; i++) {
        if (slots[i].pid == 0 && slots[i].fd >= 0) {
            close(slots[i].fd);
            slots[i].fd = -1;
            LOG_INFO("slot %d has no worker for now: its listening socket is closed, the other "
                     "workers take its connections",
                     i);
        }
    }
}

/* Sends sig to every live worker: the current ones, and the retirees with also_retirees. */
static void signal_workers(const struct master *m, int sig, bool also_retirees)
{
    for (int i = 0; i < m->n; i++) {
        if (m->slots[i].pid > 0)
            kill(m->slots[i].pid, sig);
    }
    for (int k = 0; also_retirees && k < m->nretirees; k++)
        kill(m->retirees[k].pid, sig);
}

/*
 * Blocks the signals the master takes with sigtimedwait() (no handlers, no
 * races) and ignores the ones whose default action would kill a process for
 * nothing: a stray kill -USR2, a terminal resize, a client gone (PIPE), and
 * the workers' retire signal.  Before the first fork, so every worker
 * inherits the same dispositions.
 */
static void take_signals(struct master *m)
{
    static const int watched[] = {SIGCHLD, SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGUSR1};
    static const int ignored[] = {SIGPIPE, SIGUSR2, SIGWINCH, SIGALRM};
    sigemptyset(&m->watched);
    for (size_t i = 0; i < OTU_ARRAY_LEN(watched); i++)
        sigaddset(&m->watched, watched[i]);
    sigprocmask(SIG_BLOCK, &m->watched, NULL);
    for (size_t i = 0; i < OTU_ARRAY_LEN(ignored); i++)
        signal(ignored[i], SIG_IGN);
    signal(WORKER_RETIRE_SIGNAL, SIG_IGN);
}

/* Opens the site's listeners and, when asked for, the metrics region (two blocks a slot) and listener. */
static int open_sockets(struct master *m)
{
    const struct config *cfg = m->cfg;
    raise_fd_limit(cfg);
    if (open_listeners(cfg, m->slots, m->n) < 0)
        return -1;
    if (cfg->metrics_port > 0) {
        m->sh.metrics = metrics_create(m->n); /* two blocks a slot */
        if (m->sh.metrics == NULL) {
            LOG_ERROR("cannot map the metrics region: %s", strerror(errno));
            return -1;
        }
        m->sh.metrics_fd = open_listener_on(cfg, cfg->metrics_port, false, true);
        if (m->sh.metrics_fd < 0) {
            report_bind_error(cfg, cfg->metrics_port, errno);
            return -1;
        }
    }
    return 0;
}

/* Starts slot i's worker of the current generation.  Returns 0, or -1 with errno and *what. */
static int start_slot(struct master *m, int i, const char **what)
{
    m->slots[i].block = m->generation * m->n + i;
    return spawn(m->cfg, m->slots, m->n, i, &m->sh, what);
}

/* Starts every slot's first worker.  Returns 0, or -1 after killing those started. */
static int start_workers(struct master *m)
{
    for (int i = 0; i < m->n; i++) {
        const char *what = "";
        if (start_slot(m, i, &what) < 0) {
            LOG_ERROR("cannot start worker %d: %s: %s", i, what, strerror(errno));
            signal_workers(m, SIGKILL, false);
            return -1;
        }
    }
    return 0;
}

/* Starts slot i's worker; a failed start (a pids limit, no memory) is logged and backs off. */
static void start_or_back_off(struct master *m, int i, int64_t now)
{
    const char *what = "";
    if (start_slot(m, i, &what) == 0)
        return;
    /* Retrying at once would spin (and log) without end: one line per attempt,
     * and the attempts back off like a crash loop. */
    int err = errno;
    int delay = back_off(&m->slots[i], now);
    LOG_ERROR("cannot start a worker in slot %d: %s: %s; retrying in %d ms", i, what, strerror(err), delay);
}

/* Starts the workers whose respawn time has come. */
static void respawn_due(struct master *m)
{
    int64_t now = clock_mono_ms();
    for (int i = 0; i < m->n; i++) {
        struct slot *s = &m->slots[i];
        if (s->pid == 0 && s->respawn_ms != 0 && s->respawn_ms <= now)
            start_or_back_off(m, i, now);
    }
}

/*
 * A reload (SIGHUP): reads the settings again through m->reload; when they
 * are valid, starts a new generation of workers with them and retires the
 * running one: it stops accepting, answers the next request on each kept
 * connection with "Connection: close", and leaves within the grace period.
 * Invalid settings leave everything as it is.  At most two generations run
 * at once: a SIGHUP while the previous one is still finishing waits for it.
 */
static void reload(struct master *m)
{
    if (m->nretirees > 0) {
        m->reload_pending = true;
        LOG_INFO("SIGHUP: log reopened; the configuration is reloaded once the previous workers finish");
        return;
    }
    m->reload_pending = false;
    char err[600];
    struct config *fresh = malloc(sizeof(*fresh));
    if (fresh == NULL || m->reload(m->reload_arg, m->cfg, fresh, err, sizeof(err)) < 0) {
        LOG_ERROR("SIGHUP: log reopened; configuration not reloaded, the running one stays: %s",
                  fresh ? err : "out of memory");
        free(fresh);
        return;
    }
    int grace_ms = m->cfg->grace_ms; /* the retirees' own */
    for (int i = 0; i < m->n; i++) {
        if (m->slots[i].pid > 0)
            m->retirees[m->nretirees++] = (struct retiree){m->slots[i].pid, m->slots[i].block};
        m->slots[i] = (struct slot){.pid = 0, .fd = m->slots[i].fd};
    }
    free(m->cfg);
    m->cfg = fresh;
    m->generation ^= 1;
    int64_t now = clock_mono_ms();
    for (int i = 0; i < m->n; i++)
        start_or_back_off(m, i, now);
    for (int k = 0; k < m->nretirees; k++)
        kill(m->retirees[k].pid, WORKER_RETIRE_SIGNAL);
    m->retire_deadline = m->nretirees > 0 ? now + grace_ms : 0;
    m->retire_termed = false;
    LOG_INFO("SIGHUP: log reopened, configuration reloaded: %d new worker%s; the %d before finish their "
             "connections within %d ms",
             m->n, m->n == 1 ? "" : "s", m->nretirees, grace_ms);
}

/* The retirees' grace period is over: SIGTERM (idle connections close), then SIGKILL a second later. */
static void retire_deadline_passed(struct master *m)
{
    if (m->retire_deadline == 0 || clock_mono_ms() < m->retire_deadline)
        return;
    for (int k = 0; k < m->nretirees; k++)
        kill(m->retirees[k].pid, m->retire_termed ? SIGKILL : SIGTERM);
    if (m->retire_termed)
        LOG_WARN("%d worker(s) of the previous configuration outlived the grace period: killed", m->nretirees);
    m->retire_deadline = m->retire_termed ? 0 : clock_mono_ms() + 1000;
    m->retire_termed = true;
}

/*
 * Waits for a signal, or until the next respawn or retiree deadline is due
 * when one is scheduled; returns it or -1.  With none scheduled it sleeps
 * until a signal: a worker's death comes as SIGCHLD (blocked, so it waits
 * pending and is never missed), and a master that wakes on a timer would
 * take CPU time from its workers' quota in a container for nothing.
 */
static int next_signal(struct master *m)
{
    int64_t now = clock_mono_ms();
    int64_t wake = m->retire_deadline;
    for (int i = 0; i < m->n; i++) {
        if (m->slots[i].respawn_ms && (wake == 0 || m->slots[i].respawn_ms < wake))
            wake = m->slots[i].respawn_ms;
    }
    if (wake == 0)
        return sigwaitinfo(&m->watched, NULL);
    struct timespec ts = clock_ms_to_timespec(wake > now ? wake - now : 0);
    return sigtimedwait(&m->watched, NULL, &ts);
}

/* A stop signal: close the listeners (the workers hold their own copies) and tell the workers. */
static void begin_stop(struct master *m, int sig)
{
    LOG_INFO("signal %d: stopping; workers get %d ms to finish", sig, m->cfg->grace_ms);
    m->stop_deadline = clock_mono_ms() + m->cfg->grace_ms;
    for (int i = 0; i < m->n; i++) {
        if (m->slots[i].fd >= 0)
            close(m->slots[i].fd);
        m->slots[i].fd = -1;
    }
    if (m->sh.metrics_fd >= 0)
        close(m->sh.metrics_fd);
    m->sh.metrics_fd = -1;
    signal_workers(m, SIGTERM, true);
}

/* Keeps the workers running until a stop signal: respawns, reloads, log reopening, back-off. */
static void supervise(struct master *m)
{
    for (;;) {
        int sig = next_signal(m);
        if (sig == SIGTERM || sig == SIGINT || sig == SIGQUIT) {
            begin_stop(m, sig);
            return;
        }
        if (sig == SIGHUP || sig == SIGUSR1) { /* USR1: the log-rotation signal of nginx and others */
            if (log_reopen() < 0)
                LOG_ERROR("cannot reopen the log: %s", strerror(errno));
        }
        if (sig == SIGUSR1) { /* the log only: logrotate's signal must not restart workers */
            LOG_INFO("SIGUSR1: log reopened");
            signal_workers(m, SIGUSR1, true);
        } else if (sig == SIGHUP) {
            reload(m);
        }
        reap(m, false);
        respawn_due(m);
        retire_deadline_passed(m);
        close_unserved_listeners(m->slots, m->n);
    }
}

/* Reaps the workers until none is left; kills them when the grace period is over. */
static void wait_for_workers(struct master *m)
{
    while (reap(m, true) > 0) {
        int64_t left = m->stop_deadline - clock_mono_ms();
        if (left <= 0) {
            LOG_WARN("grace period over; killing the remaining workers");
            signal_workers(m, SIGKILL, true);
            left = 1000;
            m->stop_deadline = clock_mono_ms() + left;
        }
        struct timespec ts = clock_ms_to_timespec(left);
        sigtimedwait(&m->watched, NULL, &ts); /* SIGCHLD wakes us; further stop signals are absorbed */
    }
}

int master_run(struct config *cfg, master_reload_fn reload_fn, void *arg)
{
    int status = 1;
    struct master m = {.cfg = cfg, .reload = reload_fn, .reload_arg = arg, .n = cfg->workers, .sh = {NULL, -1}};
    m.slots = calloc((size_t)m.n, sizeof(*m.slots));
    m.retirees = calloc((size_t)m.n, sizeof(*m.retirees));
    if (m.slots == NULL || m.retirees == NULL)
        goto done;
    for (int i = 0; i < m.n; i++)
        m.slots[i].fd = -1;
    take_signals(&m);
    if (open_sockets(&m) < 0)
        goto done;
    LOG_INFO("otuserver %s listening on %s port %d, %d worker%s%s, root %s", OTU_VERSION, cfg->bind_addr, cfg->port,
             m.n, m.n == 1 ? "" : "s", cfg->workers_auto ? " (auto)" : "", cfg->root);
    if (start_workers(&m) < 0) {
        m.failed = true;
        m.stop_deadline = clock_mono_ms();
    } else {
        supervise(&m);
    }
    wait_for_workers(&m);
    LOG_INFO("stopped");
    status = m.failed ? 1 : 0;
done:
    for (int i = 0; m.slots != NULL && i < m.n; i++) {
        if (m.slots[i].fd >= 0)
            close(m.slots[i].fd);
    }
    if (m.sh.metrics_fd >= 0)
        close(m.sh.metrics_fd);
    free(m.slots);
    free(m.retirees);
    free(m.cfg);
    return status;
}
