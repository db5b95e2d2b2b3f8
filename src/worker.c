/*
 * worker.c - see worker.h.
 */
#include "compat.h"

#include "worker.h"

#include "conn.h"
#include "log.h"

#include <errno.h>
#include <event2/event.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

/* Connections accepted per wake-up before other events get a turn. */
#define WORKER_ACCEPT_BATCH 64
/* How often buffered access lines are written out. */
#define WORKER_LOG_FLUSH_MS 200
/* Pause in accepting after EMFILE/ENFILE, so a full fd table does not spin the CPU. */
#define WORKER_ACCEPT_PAUSE_MS 100

struct worker {
    struct conn_ctx ctx;        /* connections and what they share */
    int listen_fd;              /* the listening socket, or -1 once stopped */
    struct event *accept_ev;    /* readiness of listen_fd */
    struct event *resume_ev;    /* timer that resumes accepting after EMFILE */
    struct event *flush_ev;     /* timer that writes out buffered access lines */
    bool accepting;             /* accept_ev is armed */
    bool stopping;              /* a stop signal arrived */
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
        if (w->ctx.nconns >= w->ctx.cfg->max_connections) {
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
                struct timeval tv = {0, (suseconds_t)WORKER_ACCEPT_PAUSE_MS * 1000};
                event_add(w->resume_ev, &tv);
            }
            return; /* EAGAIN: the queue is empty (another worker may have won) */
        }
        conn_accept(&w->ctx, cfd, (struct sockaddr *)&ss, len);
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
static void worker_conn_closed(struct conn_ctx *ctx)
{
    struct worker *w = (struct worker *)ctx; /* ctx is the first member */
    if (w->stopping) {
        if (ctx->nconns == 0)
            event_base_loopbreak(ctx->base);
        return;
    }
    if (!w->accepting && ctx->nconns < ctx->cfg->max_connections &&
        !event_pending(w->resume_ev, EV_TIMEOUT, NULL))
        set_accepting(w, true);
}

static void worker_stop_cb(evutil_socket_t sig, short what, void *arg)
{
    struct worker *w = arg;
    (void)what;
    if (w->stopping)
        return;
    LOG_DEBUG("worker: signal %d, finishing %d connection(s)", (int)sig, w->ctx.nconns);
    w->stopping = true;
    set_accepting(w, false);
    event_del(w->resume_ev);
    close(w->listen_fd);
    w->listen_fd = -1;
    conn_ctx_drain(&w->ctx);
    if (w->ctx.nconns == 0)
        event_base_loopbreak(w->ctx.base);
}

static void worker_flush_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what, (void)arg;
    log_flush();
}

static void worker_hup_cb(evutil_socket_t sig, short what, void *arg)
{
    (void)sig, (void)what, (void)arg;
    if (log_reopen() < 0)
        LOG_ERROR("worker: cannot reopen the log: %s", strerror(errno));
}

int worker_run(const struct config *cfg, int listen_fd)
{
    int status = 1;
    struct worker w;
    struct event *signal_evs[4] = {NULL, NULL, NULL, NULL};
    static const int stop_signals[] = {SIGTERM, SIGINT, SIGQUIT};
    memset(&w, 0, sizeof(w));
    w.listen_fd = listen_fd;

    /* Die with the master, so a killed master leaves no orphan serving. */
    prctl(PR_SET_PDEATHSIG, SIGTERM);

    struct event_base *base = event_base_new();
    if (base == NULL) {
        LOG_ERROR("worker: event_base_new failed");
        goto done;
    }
    if (conn_ctx_init(&w.ctx, base, cfg) < 0) {
        LOG_ERROR("worker: cannot open the document root %s: %s", cfg->root, strerror(errno));
        goto done;
    }
    w.ctx.on_close = worker_conn_closed;
    w.accept_ev = event_new(base, listen_fd, EV_READ | EV_PERSIST, worker_accept_cb, &w);
    w.resume_ev = evtimer_new(base, worker_resume_cb, &w);
    for (size_t i = 0; i < OTU_ARRAY_LEN(stop_signals); i++)
        signal_evs[i] = evsignal_new(base, stop_signals[i], worker_stop_cb, &w);
    signal_evs[3] = evsignal_new(base, SIGHUP, worker_hup_cb, &w);
    for (size_t i = 0; i < OTU_ARRAY_LEN(signal_evs); i++) {
        if (signal_evs[i] == NULL || evsignal_add(signal_evs[i], NULL) < 0)
            goto done;
    }
    w.flush_ev = event_new(base, -1, EV_PERSIST, worker_flush_cb, &w);
    if (w.accept_ev == NULL || w.resume_ev == NULL || w.flush_ev == NULL)
        goto done;
    struct timeval flush_tv = {0, WORKER_LOG_FLUSH_MS * 1000L};
    event_add(w.flush_ev, &flush_tv);
    log_set_buffered(true);

    /* libevent now owns these signals; let them through. */
    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_UNBLOCK, &all, NULL);

    set_accepting(&w, true);
    event_base_dispatch(base);
    status = 0;

done:
    log_set_buffered(false); /* writes out what is left */
    if (w.ctx.base != NULL)
        conn_ctx_free(&w.ctx);
    if (w.flush_ev)
        event_free(w.flush_ev);
    for (size_t i = 0; i < OTU_ARRAY_LEN(signal_evs); i++) {
        if (signal_evs[i])
            event_free(signal_evs[i]);
    }
    if (w.accept_ev)
        event_free(w.accept_ev);
    if (w.resume_ev)
        event_free(w.resume_ev);
    if (w.listen_fd >= 0)
        close(w.listen_fd);
    if (base)
        event_base_free(base);
    return status;
}
