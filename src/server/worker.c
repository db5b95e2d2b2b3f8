/*
 * worker.c - see worker.h.
 */
#include "compat.h"

#include "worker.h"

#include "clock.h"
#include "conn.h"
#include "log.h"
#include "metrics.h"
#include "metrics_http.h"
#include "site.h"

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
#include <unistd.h>

/*
 * Connections accepted per wake-up before other events get a turn.  Each
 * comes with its request in (the listener defers accepting, see
 * listen_defer_accept_s) and is answered in the same turn, so this also
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
 * client sends (the engine's lifetime limit: one deadline from the accept,
 * never moved by a byte, so a client trickling a byte a second cannot hold
 * its connection for an hour).
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
#define METRICS_FD_RESERVE_MIN   16

/* Signals the worker's loop takes (see worker_signals). */
#define WORKER_SIGNALS 6

struct worker;

/* One listening socket and the connection context it feeds. */
struct listener {
    struct worker *w;        /* its worker */
    int fd;                  /* the listening socket, or -1 once stopped (or without one) */
    struct event *ev;        /* its readiness */
    struct event *resume_ev; /* timer that resumes accepting after EMFILE */
    struct conn_ctx *conns;  /* its connections */
    int cap;                 /* most open connections: accepting pauses there */
    conn_admit_fn admit;     /* may a new connection stay? NULL: yes */
    bool accepting;          /* ev is armed */
    const char *name;        /* for the log: "site", "metrics" */
};

struct worker {
    struct event_base *base;                  /* the worker's event loop */
    const struct config *cfg;                 /* settings */
    struct site *site;                        /* what the site's connections are answered with */
    struct metrics_http *mhttp;               /* what the metrics port's are answered with, or NULL */
    struct listener site_l;                   /* the site's port */
    struct listener metrics_l;                /* the metrics port (fd -1 when off) */
    struct event *flush_ev;                   /* timer that writes out buffered access lines */
    long fd_limit;                            /* RLIMIT_NOFILE, read once at start */
    int fd_base;                              /* descriptors open when the worker began serving */
    bool stopping;                            /* a stop signal arrived */
    struct event *signal_evs[WORKER_SIGNALS]; /* one per worker_signals entry */
};

/* Arms or disarms accepting on l. */
static void set_accepting(struct listener *l, bool on)
{
    if (l->fd < 0 || on == l->accepting)
        return;
    if (on)
        event_add(l->ev, NULL);
    else
        event_del(l->ev);
    l->accepting = on;
}

static void accept_cb(evutil_socket_t fd, short what, void *arg)
{
    struct listener *l = arg;
    (void)what;
    enum conn_accepted why = conn_ctx_accept(l->conns, fd, WORKER_ACCEPT_BATCH, l->cap, l->admit, l->w);
    if (why == CONN_ACCEPT_AT_CAP) {
        set_accepting(l, false); /* resumed by conn_closed() */
    } else if (why == CONN_ACCEPT_OUT_OF_FDS) {
        LOG_WARN("%s accept: %s; pausing new connections for %d ms", l->name, strerror(errno), WORKER_ACCEPT_PAUSE_MS);
        set_accepting(l, false);
        struct timeval tv = clock_ms_to_timeval(WORKER_ACCEPT_PAUSE_MS);
        event_add(l->resume_ev, &tv);
    }
}

static void resume_cb(evutil_socket_t fd, short what, void *arg)
{
    struct listener *l = arg;
    (void)fd, (void)what;
    if (!l->w->stopping)
        set_accepting(l, true);
}

/* Connections open on both listeners. */
static int open_connections(const struct worker *w)
{
    return conn_ctx_open_count(w->site_l.conns) +
           (w->metrics_l.conns != NULL ? conn_ctx_open_count(w->metrics_l.conns) : 0);
}

/* Called by conn after each close on l: resume accepting, or finish a stop. */
static void conn_closed(void *arg)
{
    struct listener *l = arg;
    struct worker *w = l->w;
    if (w->stopping) {
        if (open_connections(w) == 0)
            event_base_loopbreak(w->base);
        return;
    }
    if (!l->accepting && conn_ctx_open_count(l->conns) < l->cap && !event_pending(l->resume_ev, EV_TIMEOUT, NULL))
        set_accepting(l, true);
}

/*
 * The worker's open descriptors, counted cheaply: those it held when it
 * began serving, its connections and the files they send, and newest, the
 * one just accepted; and at least newest + 1, since the kernel hands out
 * the lowest free number, so every lower one is in use (which counts what
 * the file and compression caches hold).
 */
static long worker_fds_open(const struct worker *w, int newest)
{
    long counted = (long)w->fd_base + conn_ctx_descriptors(w->site_l.conns) + 1;
    if (w->metrics_l.conns != NULL)
        counted += conn_ctx_descriptors(w->metrics_l.conns);
    return counted > (long)newest + 1 ? counted : (long)newest + 1;
}

/* conn_admit_fn of the metrics port: at most METRICS_CONNS_MAX, never in the site's reserve. */
static bool metrics_admit(void *arg, int fd)
{
    struct worker *w = arg;
    long reserve = w->fd_limit / METRICS_FD_RESERVE_SHARE;
    if (reserve < METRICS_FD_RESERVE_MIN)
        reserve = METRICS_FD_RESERVE_MIN;
    if (conn_ctx_open_count(w->metrics_l.conns) >= METRICS_CONNS_MAX) {
        LOG_DEBUG("metrics: %d connections open already: one more closed", METRICS_CONNS_MAX);
        return false;
    }
    long open = worker_fds_open(w, fd);
    if (open > w->fd_limit - reserve) {
        LOG_DEBUG("metrics: %ld of %ld descriptors open, the last %ld are the site's: connection closed", open,
                  w->fd_limit, reserve);
        return false;
    }
    return true;
}

/* Stops l: no more accepting, its socket closed (the master and a newer worker hold their own copies). */
static void listener_stop(struct listener *l)
{
    set_accepting(l, false);
    if (l->resume_ev != NULL)
        event_del(l->resume_ev);
    if (l->fd >= 0)
        close(l->fd);
    l->fd = -1;
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
              open_connections(w));
    /* a retirement follows a SIGHUP, which rotates the log too: the last lines go to the new file */
    if (gentle && log_reopen() < 0)
        LOG_ERROR("worker: cannot reopen the log: %s", strerror(errno));
    struct conn_ctx *ctxs[] = {w->site_l.conns, w->metrics_l.conns};
    for (size_t i = 0; i < OTU_ARRAY_LEN(ctxs); i++) {
        if (ctxs[i] != NULL && gentle)
            conn_ctx_retire(ctxs[i]);
        else if (ctxs[i] != NULL)
            conn_ctx_drain(ctxs[i]);
    }
    w->stopping = true;
    listener_stop(&w->site_l);
    listener_stop(&w->metrics_l); /* metrics stop with the site */
    if (open_connections(w) == 0)
        event_base_loopbreak(w->base);
}

static void worker_flush_cb(evutil_socket_t fd, short what, void *arg)
{
    struct worker *w = arg;
    (void)fd, (void)what;
    log_flush();
    site_tick(w->site); /* the file cache's sweep, the root's re-resolution */
}

/* SIGUSR1 reopens the log; SIGHUP (sent to a worker by hand) also re-resolves the root and re-reads the password file. */
static void worker_hup_cb(evutil_socket_t sig, short what, void *arg)
{
    struct worker *w = arg;
    (void)what;
    if (log_reopen() < 0)
        LOG_ERROR("worker: cannot reopen the log: %s", strerror(errno));
    if (sig == SIGHUP)
        site_refresh(w->site);
}

/* Signals a worker takes through its event loop: three stop signals, HUP, USR1, and the retire signal. */
static const int worker_signals[WORKER_SIGNALS] = {SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGUSR1, 0};

/*
 * Sets up l on fd (-1: no listener) with a context for app under limits;
 * cap and admit govern its accepting.  Returns 0 or -1.
 */
static int listener_open(struct worker *w, struct listener *l, int fd, const struct conn_app *app,
                         const struct conn_limits *limits, struct metrics *metrics, int slot)
{
    l->w = w;
    l->fd = fd;
    if (fd < 0)
        return 0;
    l->conns = conn_ctx_new(w->base, limits, app, metrics, slot, conn_closed, l);
    l->ev = event_new(w->base, fd, EV_READ | EV_PERSIST, accept_cb, l);
    l->resume_ev = evtimer_new(w->base, resume_cb, l);
    return l->conns != NULL && l->ev != NULL && l->resume_ev != NULL ? 0 : -1;
}

/* The site's connection limits, from the configuration. */
static struct conn_limits site_limits(const struct config *cfg)
{
    return (struct conn_limits){cfg->max_head_size,
                                cfg->max_headers,
                                cfg->header_timeout_ms,
                                cfg->keepalive_timeout_ms,
                                cfg->keepalive_requests,
                                cfg->send_timeout_ms,
                                0};
}

/* Who the site's clients are behind proxies, from the configuration (the metrics port: its peers). */
static struct conn_clients site_clients(const struct config *cfg)
{
    return (struct conn_clients){.trusted = &cfg->trusted_proxies,
                                 .header = cfg->real_ip_header,
                                 .proxy_protocol = cfg->proxy_protocol,
                                 .request_id = cfg->request_id};
}

/* The metrics port's: small heads, the site's timeouts, and a lifetime of METRICS_DEADLINE_MS. */
static struct conn_limits metrics_limits(const struct config *cfg)
{
    return (struct conn_limits){METRICS_HTTP_REQUEST_MAX,  METRICS_HTTP_MAX_HEADERS, cfg->header_timeout_ms,
                                cfg->keepalive_timeout_ms, cfg->keepalive_requests,  cfg->send_timeout_ms,
                                METRICS_DEADLINE_MS};
}

/* Makes the two listeners and their applications.  Returns 0 or -1. */
static int worker_listeners(struct worker *w, int listen_fd, int slot, struct metrics *metrics, int metrics_fd)
{
    struct conn_app app;
    struct conn_limits limits = site_limits(w->cfg);
    site_app(w->site, &app);
    w->site_l = (struct listener){.cap = w->cfg->max_connections, .name = "site"};
    if (listener_open(w, &w->site_l, listen_fd, &app, &limits, metrics, slot) < 0)
        return -1;
    if (w->site_l.conns != NULL) {
        struct conn_clients clients = site_clients(w->cfg);
        conn_ctx_set_clients(w->site_l.conns, &clients);
    }
    w->metrics_l = (struct listener){.cap = INT_MAX, .admit = metrics_admit, .name = "metrics"};
    if (metrics_fd < 0)
        return listener_open(w, &w->metrics_l, -1, NULL, NULL, NULL, 0);
    w->mhttp = metrics_http_new(metrics, (enum access_log_format)w->cfg->log_format);
    if (w->mhttp == NULL)
        return -1;
    metrics_http_app(w->mhttp, &app);
    limits = metrics_limits(w->cfg);
    return listener_open(w, &w->metrics_l, metrics_fd, &app, &limits, NULL, 0);
}

/* Creates and arms the worker's timer and signal events.  Returns 0 or -1. */
static int worker_add_events(struct worker *w)
{
    for (size_t i = 0; i < WORKER_SIGNALS; i++) {
        int sig = worker_signals[i] != 0 ? worker_signals[i] : WORKER_RETIRE_SIGNAL; /* not a constant */
        bool reopen = sig == SIGHUP || sig == SIGUSR1;
        event_callback_fn cb = reopen ? worker_hup_cb : worker_stop_cb;
        w->signal_evs[i] = evsignal_new(w->base, sig, cb, w);
        if (w->signal_evs[i] == NULL || evsignal_add(w->signal_evs[i], NULL) < 0)
            return -1;
    }
    w->flush_ev = event_new(w->base, -1, EV_PERSIST, worker_flush_cb, w);
    struct timeval flush_tv = clock_ms_to_timeval(WORKER_LOG_FLUSH_MS);
    return w->flush_ev != NULL ? event_add(w->flush_ev, &flush_tv) : -1;
}

/* Frees l's events and connections, and closes its socket. */
static void listener_free(struct listener *l)
{
    conn_ctx_free(l->conns);
    if (l->ev != NULL)
        event_free(l->ev);
    if (l->resume_ev != NULL)
        event_free(l->resume_ev);
    if (l->fd >= 0)
        close(l->fd);
}

/* Frees what worker_run() made, in any state it may have stopped in. */
static void worker_free(struct worker *w)
{
    log_set_buffered(false); /* writes out what is left */
    listener_free(&w->metrics_l);
    listener_free(&w->site_l);
    metrics_http_free(w->mhttp);
    site_free(w->site);
    if (w->flush_ev != NULL)
        event_free(w->flush_ev);
    for (size_t i = 0; i < WORKER_SIGNALS; i++) {
        if (w->signal_evs[i])
            event_free(w->signal_evs[i]);
    }
    if (w->base != NULL)
        event_base_free(w->base);
}

/* RLIMIT_NOFILE's soft limit (what accept() runs into), at most LONG_MAX. */
static long fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > (rlim_t)LONG_MAX)
        return LONG_MAX;
    return (long)rl.rlim_cur;
}

/*
 * Descriptors open now below limit (from /proc/self/fd, once at start):
 * the ones that take slots of the table RLIMIT_NOFILE bounds (a tool such
 * as valgrind keeps its own above it).  Without /proc, the lowest free
 * number.
 */
static int fds_open_now(long limit)
{
    DIR *d = opendir("/proc/self/fd");
    if (d == NULL) {
        int probe = fcntl(0, F_DUPFD_CLOEXEC, 0);
        if (probe >= 0)
            close(probe);
        return probe > 0 ? probe : 0;
    }
    int n = 0, own = dirfd(d);
    for (struct dirent *e = readdir(d); e != NULL; e = readdir(d)) {
        long fd = e->d_name[0] != '.' ? strtol(e->d_name, NULL, 10) : -1;
        n += fd >= 0 && fd < limit && fd != own;
    }
    closedir(d);
    return n;
}

int worker_run(const struct config *cfg, int listen_fd, int slot, struct metrics *metrics, int metrics_fd)
{
    int status = 1;
    struct worker w;
    memset(&w, 0, sizeof(w));
    w.cfg = cfg;
    w.site_l.fd = listen_fd; /* closed by worker_free() whatever step fails */
    w.metrics_l.fd = metrics_fd;
    /* Die with the master, so a killed master leaves no orphan serving. */
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    w.base = event_base_new();
    if (w.base == NULL) {
        LOG_ERROR("worker: event_base_new failed");
        goto done;
    }
    w.site = site_new(cfg, metrics, slot);
    if (w.site == NULL || worker_listeners(&w, listen_fd, slot, metrics, metrics_fd) < 0 || worker_add_events(&w) < 0)
        goto done;
    w.fd_limit = fd_limit();
    w.fd_base = fds_open_now(w.fd_limit);
    log_set_buffered(true);

    /* libevent now owns these signals; let them through. */
    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_UNBLOCK, &all, NULL);

    set_accepting(&w.site_l, true);
    set_accepting(&w.metrics_l, true);
    event_base_dispatch(w.base);
    status = 0;
done:
    worker_free(&w);
    return status;
}
