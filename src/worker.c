/*
 * worker.c - see worker.h.
 */
#include "compat.h"

#include "worker.h"

#include "clock.h"
#include "conn.h"
#include "log.h"
#include "http_date.h"
#include "metrics.h"
#include "metrics_http.h"

#include <dirent.h>
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

/*
 * Connections accepted per wake-up before other events get a turn.  Each
 * comes with its request in (the listener defers accepting, see
 * config_defer_accept_s) and is answered in the same turn, so this also
 * bounds a turn's work: this many first answers, each at most conn.c's
 * CONN_TURN_BUDGET of file bytes before it waits for the next turn.
 */
#define WORKER_ACCEPT_BATCH 64
/* How often buffered access lines are written out. */
#define WORKER_LOG_FLUSH_MS 200
/* Pause in accepting after EMFILE/ENFILE, so a full fd table does not spin the CPU. */
#define WORKER_ACCEPT_PAUSE_MS 100

/*
 * A metrics connection is closed this long after its accept, whatever the
 * client sends: one timer started at the accept, never re-armed by a byte
 * (the timeout of a persistent event would restart with each one, and a
 * client trickling a byte a second could hold its connection for an hour).
 */
#define METRICS_DEADLINE_MS 2000
/*
 * Open metrics connections per worker.  A scraper holds one at a time, a
 * few scrapers a few; one more is closed at once, so clients that connect
 * and hold on take at most this many of the worker's descriptors.
 */
#define METRICS_CONNS_MAX 8
/*
 * The site's reserve of descriptors, which metrics connections cannot take:
 * a metrics accept is closed at once when the worker's open descriptors are
 * within 1/METRICS_FD_RESERVE_SHARE of RLIMIT_NOFILE (and at least
 * METRICS_FD_RESERVE_MIN), so scrapes never push the site to EMFILE.
 */
#define METRICS_FD_RESERVE_SHARE 8
#define METRICS_FD_RESERVE_MIN 16

struct worker;

struct metrics_conn {
    int fd;                          /* the client */
    struct event *ev;                /* its readability (no timeout) */
    struct event *deadline;          /* one-shot timer: METRICS_DEADLINE_MS after the accept */
    struct worker *w;                /* the worker, whose table holds this connection */
    size_t len;                      /* bytes in buf */
    char buf[METRICS_HTTP_REQUEST_MAX]; /* the request head */
};

/* Signals the worker's loop takes (see worker_signals). */
#define WORKER_SIGNALS 6

struct worker {
    struct event_base *base;    /* the worker's event loop */
    struct conn_ctx *conns;     /* the connections and what they share */
    const struct config *cfg;   /* settings */
    int listen_fd;              /* the listening socket, or -1 once stopped */
    struct event *accept_ev;    /* readiness of listen_fd */
    struct event *resume_ev;    /* timer that resumes accepting after EMFILE */
    struct event *flush_ev;     /* timer that writes out buffered access lines */
    struct event *metrics_ev;   /* readiness of the /metrics listener, or NULL */
    struct event *metrics_resume_ev; /* timer that resumes /metrics accepting after EMFILE */
    int metrics_fd;             /* the /metrics listener, or -1 */
    struct metrics *metrics;    /* shared counters, or NULL */
    struct metrics_conn *mconns[METRICS_CONNS_MAX]; /* open metrics connections, the first mconn_count */
    int mconn_count;            /* how many */
    long fd_limit;              /* RLIMIT_NOFILE, read once at start */
    int fd_base;                /* descriptors open when the worker began serving */
    bool accepting;             /* accept_ev is armed */
    bool stopping;              /* a stop signal arrived */
    struct event *signal_evs[WORKER_SIGNALS]; /* one per worker_signals entry */
};

/* Arms or disarms accepting. */
static void set_accepting(struct worker *w, bool on)
{
    if (w->listen_fd < 0 || on == w->accepting)
        return;
    if (on)
        event_add(w->accept_ev, NULL);
    else
        event_del(w->accept_ev);
    w->accepting = on;
}

static void worker_accept_cb(evutil_socket_t fd, short what, void *arg)
{
    struct worker *w = arg;
    (void)what;
    for (int i = 0; i < WORKER_ACCEPT_BATCH; i++) {
        if (conn_ctx_open_count(w->conns) >= w->cfg->max_connections) {
            set_accepting(w, false); /* resumed by worker_conn_closed() */
            return;
        }
        struct sockaddr_storage ss;
        socklen_t len = sizeof(ss);
        int cfd = accept4(fd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (cfd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                LOG_WARN("accept: %s; pausing new connections for %d ms", strerror(errno),
                         WORKER_ACCEPT_PAUSE_MS);
                set_accepting(w, false);
                struct timeval tv = clock_ms_to_timeval(WORKER_ACCEPT_PAUSE_MS);
                event_add(w->resume_ev, &tv);
            }
            return; /* EAGAIN: the queue is empty (another worker may have won) */
        }
        conn_accept(w->conns, cfd, (struct sockaddr *)&ss, len);
    }
}

static void worker_resume_cb(evutil_socket_t fd, short what, void *arg)
{
    struct worker *w = arg;
    (void)fd, (void)what;
    if (!w->stopping)
        set_accepting(w, true);
}

/* Called by conn after each close: resume accepting, or finish a stop. */
static void worker_conn_closed(void *arg)
{
    struct worker *w = arg;
    int open = conn_ctx_open_count(w->conns);
    if (w->stopping) {
        if (open == 0)
            event_base_loopbreak(w->base);
        return;
    }
    if (!w->accepting && open < w->cfg->max_connections &&
        !event_pending(w->resume_ev, EV_TIMEOUT, NULL))
        set_accepting(w, true);
}

/*
 * A stop (SIGTERM, SIGINT, SIGQUIT: idle connections close now) or a
 * retirement after a reload (WORKER_RETIRE_SIGNAL: they are kept for their
 * next request, answered with "Connection: close").  Either way the worker
 * stops accepting and ends once its last connection closes; a stop after a
 * retirement (the grace period is over) closes the idle ones then.
 */
static void worker_stop_cb(evutil_socket_t sig, short what, void *arg)
{
    struct worker *w = arg;
    (void)what;
    bool gentle = sig == WORKER_RETIRE_SIGNAL;
    if (w->stopping && gentle)
        return;
    LOG_DEBUG("worker: signal %d, %s %d connection(s)", (int)sig, gentle ? "retiring with" : "finishing",
              conn_ctx_open_count(w->conns));
    if (!gentle)
        conn_ctx_drain(w->conns);
    if (w->stopping)
        return; /* already not accepting */
    w->stopping = true;
    set_accepting(w, false);
    event_del(w->resume_ev);
    close(w->listen_fd);
    w->listen_fd = -1;
    if (w->metrics_ev != NULL) {
        event_free(w->metrics_ev); /* metrics stop with the listener */
        w->metrics_ev = NULL;
        event_del(w->metrics_resume_ev);
        close(w->metrics_fd);
        w->metrics_fd = -1;
    }
    if (gentle)
        conn_ctx_retire(w->conns);
    if (conn_ctx_open_count(w->conns) == 0)
        event_base_loopbreak(w->base);
}

/* Closes a metrics connection and takes it out of its worker's table. */
static void metrics_conn_free(struct metrics_conn *mc)
{
    struct worker *w = mc->w;
    for (int i = 0; i < w->mconn_count; i++) {
        if (w->mconns[i] == mc) {
            w->mconns[i] = w->mconns[--w->mconn_count];
            break;
        }
    }
    if (mc->ev != NULL)
        event_free(mc->ev);
    if (mc->deadline != NULL)
        event_free(mc->deadline);
    close(mc->fd);
    free(mc);
}

/* Sends a whole small response; the socket buffer takes it (it is a few KiB). */
static void send_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
        if (k <= 0)
            return;
        p += k;
        n -= (size_t)k;
    }
}

/* The deadline passed: the client is closed, whatever it has sent. */
static void metrics_deadline_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    metrics_conn_free(arg);
}

static void metrics_conn_cb(evutil_socket_t fd, short what, void *arg)
{
    struct metrics_conn *mc = arg;
    (void)what;
    ssize_t n = recv(fd, mc->buf + mc->len, sizeof(mc->buf) - mc->len, 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n <= 0) {
        metrics_conn_free(mc);
        return;
    }
    mc->len += (size_t)n;
    char date[HTTP_DATE_LEN + 1];
    http_date_format(clock_wall().tv_sec, date);
    char *out = malloc(METRICS_HTTP_RESPONSE_MAX);
    size_t len = out ? metrics_http_answer(mc->w->metrics, mc->buf, mc->len, date, out,
                                           METRICS_HTTP_RESPONSE_MAX)
                     : 0;
    if (out != NULL && len == 0) {
        free(out);
        return; /* the head is not complete yet */
    }
    if (out != NULL)
        send_all(fd, out, len);
    free(out);
    shutdown(fd, SHUT_WR);
    metrics_conn_free(mc);
}

static void metrics_resume_cb(evutil_socket_t fd, short what, void *arg)
{
    struct worker *w = arg;
    (void)fd, (void)what;
    if (w->metrics_ev != NULL) /* NULL once a stop closed the listener */
        event_add(w->metrics_ev, NULL);
}

/*
 * The worker's open descriptors, counted cheaply: those it held when it
 * began serving, its site connections and the files they send, its metrics
 * connections and newest, the one just accepted; and at least newest + 1,
 * since the kernel hands out the lowest free number, so every lower one is
 * in use (which counts what the file and compression caches hold).
 */
static long worker_fds_open(const struct worker *w, int newest)
{
    long counted = (long)w->fd_base + conn_ctx_descriptors(w->conns) + w->mconn_count + 1;
    return counted > (long)newest + 1 ? counted : (long)newest + 1;
}

/* True when a new metrics connection (its descriptor cfd) may stay open; logs why not. */
static bool metrics_conn_allowed(const struct worker *w, int cfd)
{
    long reserve = w->fd_limit / METRICS_FD_RESERVE_SHARE;
    if (reserve < METRICS_FD_RESERVE_MIN)
        reserve = METRICS_FD_RESERVE_MIN;
    if (w->mconn_count >= METRICS_CONNS_MAX) {
        LOG_DEBUG("metrics: %d connections open already: one more closed", w->mconn_count);
        return false;
    }
    long open = worker_fds_open(w, cfd);
    if (open > w->fd_limit - reserve) {
        LOG_DEBUG("metrics: %ld of %ld descriptors open, the last %ld are the site's: connection closed",
                  open, w->fd_limit, reserve);
        return false;
    }
    return true;
}

static void metrics_accept_cb(evutil_socket_t fd, short what, void *arg)
{
    struct worker *w = arg;
    (void)what;
    int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (cfd < 0) {
        /* Out of descriptors (or memory) the connection stays queued and the
         * level-triggered event would fire again at once: pause instead, as
         * the main listener does.  EAGAIN: another worker took it. */
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
            LOG_WARN("metrics accept: %s; pausing for %d ms", strerror(errno), WORKER_ACCEPT_PAUSE_MS);
            event_del(w->metrics_ev);
            struct timeval tv = clock_ms_to_timeval(WORKER_ACCEPT_PAUSE_MS);
            event_add(w->metrics_resume_ev, &tv);
        }
        return;
    }
    struct metrics_conn *mc = metrics_conn_allowed(w, cfd) ? calloc(1, sizeof(*mc)) : NULL;
    if (mc == NULL) {
        close(cfd);
        return;
    }
    mc->fd = cfd;
    mc->w = w;
    w->mconns[w->mconn_count++] = mc;
    mc->ev = event_new(w->base, cfd, EV_READ | EV_PERSIST, metrics_conn_cb, mc);
    mc->deadline = evtimer_new(w->base, metrics_deadline_cb, mc);
    struct timeval tv = clock_ms_to_timeval(METRICS_DEADLINE_MS);
    if (mc->ev == NULL || mc->deadline == NULL || event_add(mc->ev, NULL) < 0 ||
        evtimer_add(mc->deadline, &tv) < 0)
        metrics_conn_free(mc);
}

static void worker_flush_cb(evutil_socket_t fd, short what, void *arg)
{
    struct worker *w = arg;
    (void)fd, (void)what;
    log_flush();
    conn_ctx_tick(w->conns); /* the file cache's sweep, the root's re-resolution */
}

/* SIGUSR1 reopens the log; SIGHUP (sent to a worker by hand) also re-resolves the root and re-reads the password file. */
static void worker_hup_cb(evutil_socket_t sig, short what, void *arg)
{
    struct worker *w = arg;
    (void)what;
    if (log_reopen() < 0)
        LOG_ERROR("worker: cannot reopen the log: %s", strerror(errno));
    if (sig != SIGHUP)
        return;
    conn_ctx_refresh_root(w->conns); /* a deploy behind a symlinked root, at once */
    conn_ctx_reload_auth(w->conns);  /* a changed htpasswd file */
}

/* Signals a worker takes through its event loop: three stop signals, HUP, USR1, and the retire signal. */
static const int worker_signals[WORKER_SIGNALS] = {SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGUSR1, 0};

/* Creates and arms every event of the worker but accepting.  Returns 0 or -1. */
static int worker_add_events(struct worker *w, struct event_base *base)
{
    if (w->metrics_fd >= 0) {
        w->metrics_ev = event_new(base, w->metrics_fd, EV_READ | EV_PERSIST, metrics_accept_cb, w);
        w->metrics_resume_ev = evtimer_new(base, metrics_resume_cb, w);
        if (w->metrics_ev == NULL || w->metrics_resume_ev == NULL || event_add(w->metrics_ev, NULL) < 0)
            return -1;
    }
    w->accept_ev = event_new(base, w->listen_fd, EV_READ | EV_PERSIST, worker_accept_cb, w);
    w->resume_ev = evtimer_new(base, worker_resume_cb, w);
    for (size_t i = 0; i < WORKER_SIGNALS; i++) {
        int sig = worker_signals[i] != 0 ? worker_signals[i] : WORKER_RETIRE_SIGNAL; /* not a constant */
        bool reopen = sig == SIGHUP || sig == SIGUSR1;
        event_callback_fn cb = reopen ? worker_hup_cb : worker_stop_cb;
        w->signal_evs[i] = evsignal_new(base, sig, cb, w);
        if (w->signal_evs[i] == NULL || evsignal_add(w->signal_evs[i], NULL) < 0)
            return -1;
    }
    w->flush_ev = event_new(base, -1, EV_PERSIST, worker_flush_cb, w);
    if (w->accept_ev == NULL || w->resume_ev == NULL || w->flush_ev == NULL)
        return -1;
    struct timeval flush_tv = clock_ms_to_timeval(WORKER_LOG_FLUSH_MS);
    return event_add(w->flush_ev, &flush_tv);
}

/* Frees what worker_run() made, in any state it may have stopped in. */
static void worker_free(struct worker *w, struct event_base *base)
{
    log_set_buffered(false); /* writes out what is left */
    while (w->mconn_count > 0)
        metrics_conn_free(w->mconns[0]);
    conn_ctx_free(w->conns);
    struct event *evs[] = {w->flush_ev, w->metrics_ev, w->metrics_resume_ev, w->accept_ev,
                           w->resume_ev};
    for (size_t i = 0; i < OTU_ARRAY_LEN(evs); i++) {
        if (evs[i])
            event_free(evs[i]);
    }
    for (size_t i = 0; i < WORKER_SIGNALS; i++) {
        if (w->signal_evs[i])
            event_free(w->signal_evs[i]);
    }
    if (w->metrics_fd >= 0)
        close(w->metrics_fd);
    if (w->listen_fd >= 0)
        close(w->listen_fd);
    if (base)
        event_base_free(base);
}

/* RLIMIT_NOFILE's soft limit (what accept() runs into), at most LONG_MAX. */
static long fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > (rlim_t)LONG_MAX)
        return LONG_MAX;
    return (long)rl.rlim_cur;
}

/* Descriptors open now (from /proc/self/fd, once at start); without /proc, the lowest free number. */
static int fds_open_now(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (d == NULL) {
        int probe = fcntl(0, F_DUPFD_CLOEXEC, 0);
        if (probe >= 0)
            close(probe);
        return probe > 0 ? probe : 0;
    }
    int n = 0;
    for (struct dirent *e = readdir(d); e != NULL; e = readdir(d))
        n += e->d_name[0] != '.';
    closedir(d);
    return n > 0 ? n - 1 : 0; /* the directory's own descriptor is gone now */
}

int worker_run(const struct config *cfg, int listen_fd, int slot, struct metrics *metrics,
               int metrics_fd)
{
    int status = 1;
    struct worker w;
    memset(&w, 0, sizeof(w));
    w.listen_fd = listen_fd;
    w.metrics_fd = metrics_fd;
    w.metrics = metrics;

    /* Die with the master, so a killed master leaves no orphan serving. */
    prctl(PR_SET_PDEATHSIG, SIGTERM);

    struct event_base *base = event_base_new();
    if (base == NULL) {
        LOG_ERROR("worker: event_base_new failed");
        goto done;
    }
    w.base = base;
    w.cfg = cfg;
    w.conns = conn_ctx_new(base, cfg, metrics, slot, worker_conn_closed, &w);
    if (w.conns == NULL) {
        LOG_ERROR("worker: cannot open the document root %s: %s", cfg->root, strerror(errno));
        goto done;
    }
    if (worker_add_events(&w, base) < 0)
        goto done;
    w.fd_limit = fd_limit();
    w.fd_base = fds_open_now();
    log_set_buffered(true);

    /* libevent now owns these signals; let them through. */
    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_UNBLOCK, &all, NULL);

    set_accepting(&w, true);
    event_base_dispatch(base);
    status = 0;
done:
    worker_free(&w, base);
    return status;
}
