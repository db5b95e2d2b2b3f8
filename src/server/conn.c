/*
 * conn.c - see conn.h.
 */
#include "compat.h"

#include "conn.h"

#include "clock.h"
#include "forwarded.h"
#include "http_date.h"
#include "log.h"
#include "metrics.h"
#include "netaddr.h"
#include "proxy_proto.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/sendfile.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

/* Largest sendfile() chunk, so one fast client cannot hog the worker. */
#define CONN_SENDFILE_CHUNK ((int64_t)512 * 1024)
/*
 * File bytes one connection sends per turn of the event loop; then, with the
 * socket still writable, it waits for the next turn so the worker's other
 * clients are served in between (a fast reader on loopback, or a file read
 * from disk, never fills the socket, so waiting for EAGAIN could take the
 * whole file).
 */
#define CONN_TURN_BUDGET CONN_SENDFILE_CHUNK
/*
 * Slices of a streamed body (reply_stream_fill()) made per turn of the event
 * loop: each is a bounded amount of the producer's work (a decoder reads
 * and writes at most its slice), so a client that reads as fast as the
 * producer makes never holds the worker for more than this many slices.
 */
#define CONN_STREAM_SLICES 8
/* Connections and buffers kept for reuse instead of freed; bounds idle memory. */
#define CONN_SPARE_MAX 256
/*
 * Before closing with input unread (after an error, or at the request cap
 * with more requests pipelined), we read and drop what the client still
 * sends for this long: closing with unread input makes the kernel send a
 * reset, which destroys answers the client has not read yet.  The bound is
 * time, not bytes: a client pipelining thousands of requests must get the
 * answers to the ones we served.  While our answers are still unacknowledged
 * it is extended, step by step, up to the send timeout.
 */
#define CONN_LINGER_MS 2000
/* A request body this small is read and dropped to keep the connection; larger closes it. */
#define CONN_DISCARD_MAX ((int64_t)1024 * 1024)
/* The X-Request-Id line an answer's head gains with --request-id (and the NUL snprintf adds). */
#define CONN_REQUEST_ID_LINE (sizeof("X-Request-Id: \r\n") + REQUEST_ID_MAX)

/* What all connections of one context share. */
struct conn_ctx {
    struct event_base *base;            /* the worker's event loop */
    struct conn_limits limits;          /* what its connections are held to */
    struct conn_app app;                /* what answers their requests */
    struct http_request req;            /* parser output, reused for every request */
    struct reply reply;                 /* the application's answer, reused for every request */
    struct conn *conns;                 /* every open connection (doubly linked) */
    struct conn *spare;                 /* closed connections kept for reuse */
    int spare_count;                    /* length of the spare list */
    char **spare_bufs;                  /* head/output buffers kept for reuse */
    int spare_buf_count;                /* how many spare_bufs hold */
    char *scratch;                      /* max_head_size bytes: first reads of idle connections */
    size_t out_size;                    /* output area: the largest head (app.head_max) plus an in-memory
                                           body (app.body_max) sent in the same send() */
    int nconns;                         /* open connections */
    int nfiles;                         /* of which sending a file: a descriptor more each */
    bool draining;                      /* shutting down: finish, do not start keep-alive */
    char date[HTTP_DATE_LEN + 1];       /* Date header for the current second */
    int64_t date_sec;                   /* the second date[] shows */
    conn_closed_fn on_close;            /* told after a connection closes, or NULL */
    void *on_close_arg;                 /* its argument */
    const struct timeval *keepalive_tv; /* shared timeout: idle between requests */
    const struct timeval *send_tv;      /* shared timeout: a client that takes no bytes */
    struct metrics *metrics;            /* open and accepted connections are counted here, or NULL */
    int slot;                           /* this worker's block in metrics */
    struct conn_clients clients;        /* who the clients are behind proxies (all zero: the peers) */
    uint64_t id_counter;                /* request ids: a counter from a random start... */
    uint64_t id_key;                    /* ...and a random key, both drawn once per worker */
};

/* What a connection's first bytes must be (struct conn_clients' proxy_protocol). */
enum conn_start {
    CONN_START_HTTP,  /* a request, from the first byte (or the PROXY header is behind us) */
    CONN_START_PROXY, /* a trusted peer's: a PROXY header, or the connection closes unanswered */
    CONN_START_REFUSE /* any other peer's: a request; a PROXY header closes the connection */
};

enum conn_state {
    CONN_READING,  /* waiting for (the rest of) a request head */
    CONN_WRITING,  /* sending a response */
    CONN_LINGERING /* last answer sent, write side shut, draining input before close */
};

struct conn {
    struct conn_ctx *ctx;           /* the worker's shared state */
    int fd;                         /* the client socket */
    struct event *ev;               /* read or write readiness, with its timeout */
    short ev_what;                  /* EV_READ or EV_WRITE while ev is set up; 0 before */
    enum conn_state state;          /* see enum conn_state */
    char *buf;                      /* in[max_head_size] then out[ctx->out_size], or NULL when idle */
    size_t in_len;                  /* bytes held in the head buffer */
    size_t scanned;                 /* bytes already searched for the end of the head */
    size_t head_len;                /* bytes of the request being answered */
    size_t out_len;                 /* bytes in the output buffer */
    size_t out_sent;                /* of which already sent */
    int file_fd;                    /* file being sent, or -1 */
    struct reply_stream stream;     /* a body made while it is sent (state NULL: none) */
    int64_t file_off;               /* next file byte to send */
    int64_t file_left;              /* file bytes still to send */
    int64_t discard;                /* request body bytes still to drop */
    int64_t deadline_ms;            /* monotonic ms: READING, the head must be complete by then;
                                    LINGERING, draining stops then; 0 = unset */
    int64_t close_at_ms;            /* monotonic ms the connection's lifetime ends (limits.lifetime_ms), 0 = never */
    int64_t linger_until;           /* monotonic ms after which lingering ends whatever is unacked */
    unsigned requests;              /* requests answered on this connection */
    bool keep_alive;                /* keep the connection after this response */
    bool response_open;             /* a response was started and is not yet handed to app.finished */
    unsigned strikes;               /* refused credentials on this connection (the application's count) */
    struct request_record rec;      /* the current request, for the log and the metrics: slices into buf */
    char peer[INET6_ADDRSTRLEN];    /* the socket's peer, for the log */
    enum conn_start start;          /* what the first bytes must be; CONN_START_HTTP once settled */
    struct net_addr sender;         /* who sent the request bytes: the peer, or a PROXY header's source */
    const char *sender_name;        /* ...as text: peer, or source */
    bool sender_trusted;            /* sender is a trusted proxy: its Forwarded and X-Request-Id count */
    char source[NET_ADDR_TEXT_MAX]; /* a PROXY header's source, as text */
    char client[NET_ADDR_TEXT_MAX]; /* the current request's client, when a proxy named one */
    char request_id[REQUEST_ID_MAX + 1]; /* the current request's id, with --request-id */
    struct conn *prev, *next;            /* in ctx->conns, or ->next in ctx->spare */
};

static void conn_event_cb(evutil_socket_t fd, short what, void *arg);
static void conn_run(struct conn *c);
static void conn_record_response(struct conn *c);

/* ms as a libevent timeout: at least 1 ms (0 would fire at once). */
static struct timeval ms_to_tv(int64_t ms)
{
    return clock_ms_to_timeval(ms < 1 ? 1 : ms);
}

/*
 * The loop turn: libevent's cached time, read once per turn after polling,
 * in microseconds.  Two turns within one microsecond share it, which only
 * makes a per-turn budget stricter.
 */
static int64_t loop_turn(struct conn_ctx *ctx)
{
    struct timeval tv;
    if (event_base_gettimeofday_cached(ctx->base, &tv) < 0)
        return clock_mono_us();
    return (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
}

/* Refreshes ctx->date when the second has changed. */
static void refresh_date(struct conn_ctx *ctx)
{
    time_t t = clock_tick_wall().tv_sec;
    if ((int64_t)t != ctx->date_sec) {
        http_date_format(t, ctx->date);
        ctx->date_sec = (int64_t)t;
    }
}

struct conn_ctx *conn_ctx_new(struct event_base *base, const struct conn_limits *limits, const struct conn_app *app,
                              struct metrics *metrics, int slot, conn_closed_fn on_close, void *arg)
{
    struct conn_ctx *ctx = calloc(1, sizeof(*ctx));
    if (ctx == NULL)
        return NULL;
    ctx->base = base;
    ctx->limits = *limits;
    ctx->app = *app;
    ctx->metrics = metrics;
    ctx->slot = slot;
    ctx->on_close = on_close;
    ctx->on_close_arg = arg;
    ctx->date_sec = -1;
    ctx->out_size = app->head_max + app->body_max;
    ctx->spare_bufs = calloc(CONN_SPARE_MAX, sizeof(char *));
    ctx->scratch = malloc((size_t)limits->max_head_size);
    /* Timeouts every connection shares: libevent keeps them in a queue, not a heap. */
    struct timeval tv = ms_to_tv(limits->keepalive_timeout_ms);
    ctx->keepalive_tv = event_base_init_common_timeout(base, &tv);
    tv = ms_to_tv(limits->send_timeout_ms);
    ctx->send_tv = event_base_init_common_timeout(base, &tv);
    if (ctx->spare_bufs == NULL || ctx->scratch == NULL || reply_init(&ctx->reply, app->head_max) < 0) {
        free(ctx->spare_bufs);
        free(ctx->scratch);
        free(ctx);
        errno = ENOMEM;
        return NULL;
    }
    return ctx;
}

int conn_ctx_open_count(const struct conn_ctx *ctx)
{
    return ctx->nconns;
}

int conn_ctx_descriptors(const struct conn_ctx *ctx)
{
    return ctx->nconns + ctx->nfiles;
}

void conn_ctx_set_clients(struct conn_ctx *ctx, const struct conn_clients *clients)
{
    ctx->clients = *clients;
    ctx->out_size = ctx->app.head_max + ctx->app.body_max + (clients->request_id ? CONN_REQUEST_ID_LINE : 0);
    uint64_t seed[2];
    if (getrandom(seed, sizeof(seed), GRND_NONBLOCK) != (ssize_t)sizeof(seed)) {
        /* no entropy yet (early boot): ids must be unique, not secret */
        seed[0] = (uint64_t)clock_tick_us() ^ (uint64_t)getpid() << 40;
        seed[1] = ~seed[0] * 0x9e3779b97f4a7c15ULL;
    }
    ctx->id_counter = seed[0];
    ctx->id_key = seed[1];
}

/* SplitMix64's finaliser: a bijection of 64 bits that scatters a counter's steps. */
static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/*
 * Writes a new request id into out: 128 bits, the first 64 a bijection of
 * the worker's counter (never repeated by this worker), the rest keyed, so
 * ids of different workers and restarts differ too.
 */
static void new_request_id(struct conn_ctx *ctx, char out[REQUEST_ID_MAX + 1])
{
    ctx->id_counter += 0x9e3779b97f4a7c15ULL;
    uint64_t bits[2] = {mix64(ctx->id_counter), mix64(ctx->id_counter ^ ctx->id_key)};
    request_id_format(bits, out);
}

/* Size of one connection buffer: the head limit plus the output area. */
static size_t buf_size(const struct conn_ctx *ctx)
{
    return (size_t)ctx->limits.max_head_size + ctx->out_size;
}

/* Gives c a buffer, from the pool when one is spare.  Returns 0 or -1. */
static int buf_take(struct conn *c)
{
    struct conn_ctx *ctx = c->ctx;
    if (c->buf != NULL)
        return 0;
    if (ctx->spare_buf_count > 0)
        c->buf = ctx->spare_bufs[--ctx->spare_buf_count];
    else
        c->buf = malloc(buf_size(ctx));
    return c->buf ? 0 : -1;
}

/* Returns c's buffer to the pool (or frees it): idle connections hold no buffer. */
static void buf_release(struct conn *c)
{
    struct conn_ctx *ctx = c->ctx;
    if (c->buf == NULL)
        return;
    if (ctx->spare_buf_count < CONN_SPARE_MAX)
        ctx->spare_bufs[ctx->spare_buf_count++] = c->buf;
    else
        free(c->buf);
    c->buf = NULL;
}

/* Output area of c's buffer. */
static char *out_area(struct conn *c)
{
    return c->buf + c->ctx->limits.max_head_size;
}

/* Closes the file c was sending, or releases its stream (which holds one), if any. */
static void conn_drop_file(struct conn *c)
{
    if (c->stream.state != NULL) {
        reply_stream_release(&c->stream);
        c->ctx->nfiles--;
    }
    if (c->file_fd < 0)
        return;
    close(c->file_fd);
    c->file_fd = -1;
    c->ctx->nfiles--;
}

/* Closes the connection and everything it holds; a response cut short is logged first. */
static void conn_close(struct conn *c)
{
    struct conn_ctx *ctx = c->ctx;
    conn_record_response(c);
    event_del(c->ev);
    close(c->fd);
    conn_drop_file(c);
    buf_release(c);
    if (c->prev)
        c->prev->next = c->next;
    else
        ctx->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    ctx->nconns--;
    metrics_set_open(ctx->metrics, ctx->slot, ctx->nconns);
    if (ctx->spare_count < CONN_SPARE_MAX) {
        c->next = ctx->spare;
        ctx->spare = c;
        ctx->spare_count++;
    } else {
        event_free(c->ev);
        free(c);
    }
    if (ctx->on_close)
        ctx->on_close(ctx->on_close_arg);
}

/*
 * Waits for readiness (EV_READ or EV_WRITE) for at most *tv.  The event is
 * persistent and stays registered while the kind of readiness is the same,
 * so a keep-alive request costs no epoll_ctl(): only its timer is renewed.
 */
static void conn_wait(struct conn *c, short what, const struct timeval *tv)
{
    struct timeval until_close;
    if (c->close_at_ms != 0) { /* a connection with a lifetime waits no longer than it lives */
        until_close = ms_to_tv(c->close_at_ms - clock_tick_ms());
        if (until_close.tv_sec < tv->tv_sec || (until_close.tv_sec == tv->tv_sec && until_close.tv_usec < tv->tv_usec))
            tv = &until_close;
    }
    if (c->ev_what != what) {
        event_del(c->ev);
        event_assign(c->ev, c->ctx->base, c->fd, (short)(what | EV_PERSIST), conn_event_cb, c);
        c->ev_what = what;
    }
    event_add(c->ev, tv);
}

/* Waits for input until the absolute monotonic deadline (ms). */
static void conn_wait_until(struct conn *c, int64_t deadline_ms)
{
    struct timeval tv = ms_to_tv(deadline_ms - clock_tick_ms());
    conn_wait(c, EV_READ, &tv);
}

/*
 * Settles who sent c's bytes, from its peer's address: the peer itself,
 * trusted or not, and with the PROXY protocol on, whether a PROXY header
 * must come first (a trusted peer) or must not (any other).
 */
static void conn_classify(struct conn *c, const struct sockaddr *addr)
{
    const struct conn_clients *k = &c->ctx->clients;
    c->sender_name = c->peer;
    c->sender_trusted = false;
    c->start = CONN_START_HTTP;
    if (k->trusted == NULL || k->trusted->count == 0 || !net_addr_from_sockaddr(addr, &c->sender))
        return;
    c->sender_trusted = net_list_contains(k->trusted, &c->sender);
    if (k->proxy_protocol)
        c->start = c->sender_trusted ? CONN_START_PROXY : CONN_START_REFUSE;
}

/* Takes over an accepted, non-blocking socket and starts serving it.  Returns 0, or -1 (closed) without memory. */
static int conn_accept(struct conn_ctx *ctx, int fd, const struct sockaddr *addr, socklen_t addrlen)
{
    clock_tick(); /* the first request may be answered in this turn */
    struct conn *c = ctx->spare;
    if (c != NULL) {
        ctx->spare = c->next;
        ctx->spare_count--;
    } else {
        c = calloc(1, sizeof(*c));
        if (c == NULL || (c->ev = event_new(ctx->base, -1, 0, conn_event_cb, c)) == NULL) {
            free(c);
            close(fd);
            return -1;
        }
    }
    struct event *ev = c->ev;
    memset(c, 0, sizeof(*c));
    c->ev = ev;
    c->ctx = ctx;
    c->fd = fd;
    c->file_fd = -1;
    c->state = CONN_READING;
    c->ev_what = 0;
    c->peer[0] = '\0';
    (void)addrlen;
    if (addr->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)addr)->sin_addr, c->peer, sizeof(c->peer));
    else if (addr->sa_family == AF_INET6) {
        const struct in6_addr *a6 = &((const struct sockaddr_in6 *)addr)->sin6_addr;
        if (IN6_IS_ADDR_V4MAPPED(a6)) /* an IPv4 client of the dual-stack socket: log 192.0.2.7 */
            inet_ntop(AF_INET, &a6->s6_addr[12], c->peer, sizeof(c->peer));
        else
            inet_ntop(AF_INET6, a6, c->peer, sizeof(c->peer));
    }
    /* TCP_NODELAY comes from the listening socket (see master.c). */

    c->next = ctx->conns;
    if (ctx->conns)
        ctx->conns->prev = c;
    ctx->conns = c;
    ctx->nconns++;
    metrics_note_accept(ctx->metrics, ctx->slot, ctx->nconns);
    conn_classify(c, addr);
    /* The first request gets the whole header timeout from the moment of
     * accept.  The listener defers accepting until the request's first bytes
     * arrive (config_defer_accept_s), so the first recv() below usually finds
     * the whole head and the answer goes out in this turn, without the
     * connection ever being registered with epoll.  Nothing is taken off for
     * the deferral: a connection that arrives without a byte may have skipped
     * it (completed by a SYN cookie, under a flood or a full backlog, exactly
     * when it matters), so a silent client is held at most the deferral plus
     * the header timeout after its handshake. */
    c->deadline_ms = clock_tick_ms() + ctx->limits.header_timeout_ms;
    c->close_at_ms = ctx->limits.lifetime_ms > 0 ? clock_tick_ms() + ctx->limits.lifetime_ms : 0;
    conn_run(c);
    return 0;
}

/* What a step of the state machine asks conn_run() to do next. */
enum step {
    STEP_AGAIN, /* the state changed: run the next step now */
    STEP_WAIT,  /* an event is armed: return to the loop */
    STEP_CLOSE  /* close the connection */
};

/*
 * Fills c->rec from a parse of c->buf: the whole request, or as much of a
 * rejected one as was read (the method, the target so far, the header
 * lines before the bad one).  info, when the request was interpreted whole,
 * already holds Referer and User-Agent; else (NULL) the header lines are
 * looked through.  The slices point into buf.
 */
static void note_request(struct conn *c, const struct http_request *req, const struct http_request_info *info)
{
    struct request_record *r = &c->rec;
    r->peer = c->peer;
    r->method = req->method; /* p NULL when not even the method was read */
    r->target = req->target;
    if (req->method.p != NULL && req->target.p == NULL) {
        /* the line stopped inside the target (414, a bad byte): log what came */
        const char *t = req->method.p + req->method.len + 1;
        const char *end = c->buf + c->in_len;
        size_t n = 0;
        while (t + n < end && (unsigned char)t[n] > 0x20 && t[n] != 0x7f)
            n++;
        r->target = (struct http_slice){t, n};
    }
    r->minor = req->line_complete ? req->minor_version : -1;
    r->referer = info ? info->referer : (struct http_slice){NULL, 0};
    r->agent = info ? info->user_agent : (struct http_slice){NULL, 0};
    for (size_t i = 0; info == NULL && i < req->num_headers; i++) {
        const struct http_header *h = &req->headers[i];
        if (h->name.len == 7 && http_slice_equals_nocase(h->name, "referer"))
            r->referer = h->value;
        else if (h->name.len == 10 && http_slice_equals_nocase(h->name, "user-agent"))
            r->agent = h->value;
    }
}

/* From a trusted sender: the client its forwarded field names, when it names one, into c->rec. */
static void conn_believe_client(struct conn *c, const struct http_request *req)
{
    const struct conn_clients *k = &c->ctx->clients;
    struct net_addr a;
    enum forwarded_result r =
        forwarded_client(k->trusted, (enum forwarded_field)k->header, req->headers, req->num_headers, &a);
    if (r == FORWARDED_RESOLVED) {
        net_addr_format(&a, c->client);
        c->rec.client = c->client;
    } else if (r == FORWARDED_IGNORED) {
        LOG_DEBUG("%s: the forwarded client field is malformed or over its limits: ignored", c->sender_name);
    }
}

/* The request's id into c->rec: a trusted sender's acceptable X-Request-Id (req not NULL), else a new one. */
static void conn_set_request_id(struct conn *c, const struct http_request *req)
{
    struct http_slice id = {NULL, 0};
    if (req != NULL && c->sender_trusted)
        id = forwarded_request_id(req->headers, req->num_headers);
    if (id.p != NULL) {
        memcpy(c->request_id, id.p, id.len);
        c->request_id[id.len] = '\0';
    } else {
        new_request_id(c->ctx, c->request_id);
    }
    c->rec.request_id = c->request_id;
}

/*
 * Settles the current request's client and id into c->rec: the sender, or
 * the address a trusted sender's forwarded field names; with --request-id,
 * its X-Request-Id when a trusted sender passed an acceptable one, else a
 * new id.  req is NULL for a head that could not be read (no field of it
 * is believed).  Without trusted proxies or ids, two stores.
 */
static void conn_identify(struct conn *c, const struct http_request *req)
{
    c->rec.client = c->sender_name;
    c->rec.request_id = NULL;
    if (c->sender_trusted && req != NULL)
        conn_believe_client(c, req);
    if (c->ctx->clients.request_id)
        conn_set_request_id(c, req);
}

/*
 * Hands the response started on c to app.finished, once: when its last
 * byte has gone, or when the connection closes before that (the client
 * reset it, a send timeout) with the bytes actually sent, as nginx does.
 * Must run while c->buf still holds the request: the record's slices
 * point into it.
 */
static void conn_record_response(struct conn *c)
{
    if (!c->response_open)
        return;
    c->response_open = false;
    c->ctx->app.finished(c->ctx->app.arg, &c->rec);
}

/* Called when the whole response has been sent: log, then keep, linger or close. */
static enum step conn_response_done(struct conn *c)
{
    conn_record_response(c); /* before the memmove below: the log slices point into buf */
    c->requests++;
    conn_drop_file(c);
    /* Drop the request just answered; a pipelined one may follow it. */
    memmove(c->buf, c->buf + c->head_len, c->in_len - c->head_len);
    c->in_len -= c->head_len;
    c->head_len = 0;
    c->scanned = 0;
    c->deadline_ms = 0;
    if (c->keep_alive) {
        c->state = CONN_READING;
        if (c->in_len > 0 || c->discard > 0 || c->ctx->draining)
            return STEP_AGAIN; /* a pipelined request, a body to drop, or a stop to honour */
        /* The client has not had our answer long enough to send another request:
         * wait for readiness instead of trying a recv() that would find nothing. */
        buf_release(c);
        conn_wait(c, EV_READ, c->ctx->keepalive_tv);
        return STEP_WAIT;
    }
    /* The answer's tail waits under MSG_MORE (conn_step_write): shutdown()
     * sends it and the FIN in one segment, so a short connection costs 8
     * packets instead of 10.  close() alone would too, but it resets instead,
     * dropping the tail, if input arrived after our last read. */
    shutdown(c->fd, SHUT_WR);
    if (c->rec.status < 400 && c->in_len == 0 && c->discard == 0)
        return STEP_CLOSE;
    /* Unread input may still come: drain it, so the client reads the answer
     * instead of a reset. */
    c->state = CONN_LINGERING;
    c->deadline_ms = clock_tick_ms() + CONN_LINGER_MS;
    c->linger_until = clock_tick_ms() + c->ctx->limits.send_timeout_ms;
    return STEP_AGAIN;
}

/* Copies r's head into out, with the X-Request-Id line before its blank line when there is an id; returns its length. */
static size_t copy_head(const struct conn *c, const struct reply *r, char *out)
{
    const char *id = c->rec.request_id;
    if (id == NULL || r->head_len < 4 || memcmp(r->head + r->head_len - 4, "\r\n\r\n", 4) != 0) {
        memcpy(out, r->head, r->head_len);
        return r->head_len;
    }
    size_t n = r->head_len - 2; /* up to the blank line */
    memcpy(out, r->head, n);
    int line = snprintf(out + n, CONN_REQUEST_ID_LINE + 2, "X-Request-Id: %s\r\n\r\n", id);
    return n + (size_t)line;
}

/* Copies the reply into c's output area and moves to CONN_WRITING. */
static void conn_start_reply(struct conn *c, struct reply *r)
{
    char *out = out_area(c);
    c->out_len = copy_head(c, r, out);
    c->out_sent = 0;
    c->rec.head_bytes = (int64_t)c->out_len;
    /* Always fits: heads are at most app.head_max (and an id's line), bodies app.body_max. */
    if (r->body_len > 0) {
        memcpy(out + c->out_len, r->body, r->body_len);
        c->out_len += r->body_len;
    }
    c->rec.status = r->status;
    c->response_open = true;
    c->rec.bytes_sent = 0;
    c->keep_alive = !r->close;
    c->file_fd = r->fd;
    c->ctx->nfiles += c->file_fd >= 0;
    c->file_off = r->offset;
    c->file_left = r->length;
    r->fd = -1;
    c->stream = r->stream; /* ours now, as the descriptor is */
    memset(&r->stream, 0, sizeof(r->stream));
    c->ctx->nfiles += c->stream.state != NULL;
    /* A small file joins its head in the output buffer: one send(), no sendfile(). */
    if (c->file_fd >= 0 && c->file_left <= (int64_t)(c->ctx->out_size - c->out_len)) {
        ssize_t n = pread(c->file_fd, out + c->out_len, (size_t)c->file_left, c->file_off);
        if (n == c->file_left) {
            c->out_len += (size_t)n;
            c->file_left = 0;
            conn_drop_file(c);
        }
    }
    c->state = CONN_WRITING;
}

/* Sends out_area's pending bytes with send() flags (MSG_NOSIGNAL and more); STEP_AGAIN once all are sent. */
static enum step conn_send_out(struct conn *c, int flags)
{
    while (c->out_sent < c->out_len) {
        ssize_t n = send(c->fd, out_area(c) + c->out_sent, c->out_len - c->out_sent, flags);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            conn_wait(c, EV_WRITE, c->ctx->send_tv);
            return STEP_WAIT;
        }
        if (n <= 0)
            return STEP_CLOSE; /* the client went away */
        c->out_sent += (size_t)n;
        c->rec.bytes_sent += n;
    }
    return STEP_AGAIN;
}

/*
 * Sends a streamed body: asks its producer for a slice whenever the output
 * area is empty, at most CONN_STREAM_SLICES in one turn, then waits for the
 * next turn.  A producer's stop closes the connection (the body is cut: a
 * chunked one lacks its last chunk, a close-delimited one is short).
 */
static enum step conn_step_stream(struct conn *c)
{
    for (int slices = 0;; slices++) {
        enum step st = conn_send_out(c, MSG_NOSIGNAL);
        if (st != STEP_AGAIN)
            return st;
        if (c->stream.state == NULL)
            return conn_response_done(c); /* the last slice is sent */
        if (slices >= CONN_STREAM_SLICES) {
            conn_wait(c, EV_WRITE, c->ctx->send_tv); /* level-triggered: the next turn */
            return STEP_WAIT;
        }
        size_t start = 0, end = 0;
        enum reply_produced rc = reply_stream_fill(&c->stream, out_area(c), c->ctx->out_size, &start, &end);
        if (rc == REPLY_STOP)
            return STEP_CLOSE;
        c->out_sent = start;
        c->out_len = end;
        if (rc == REPLY_END)
            conn_drop_file(c); /* what is left to send is in the output area */
    }
}

/*
 * Sends what is pending; waits for writability when the socket is full, and
 * for the next turn once CONN_TURN_BUDGET file bytes have gone in this one.
 */
static enum step conn_step_write(struct conn *c)
{
    /* MSG_MORE holds the last partial segment back: before a sendfile()
     * body, and when the connection closes after this answer, whose
     * shutdown() then sends it with the FIN in one segment. */
    enum step st = conn_send_out(c, MSG_NOSIGNAL | (c->file_left > 0 || !c->keep_alive ? MSG_MORE : 0));
    if (st != STEP_AGAIN)
        return st;
    int64_t turn = 0; /* file bytes sent in this turn */
    while (c->file_left > 0) {
        if (turn >= CONN_TURN_BUDGET) {
            /* Level-triggered: a writable socket fires again on the loop's next
             * pass, after the events that are ready now. */
            LOG_DEBUG("%s: %lld file bytes sent this turn, %lld to go: yielding", c->peer, (long long)turn,
                      (long long)c->file_left);
            conn_wait(c, EV_WRITE, c->ctx->send_tv);
            return STEP_WAIT;
        }
        off_t off = (off_t)c->file_off;
        size_t chunk = (size_t)(c->file_left > CONN_SENDFILE_CHUNK ? CONN_SENDFILE_CHUNK : c->file_left);
        ssize_t n = sendfile(c->fd, c->file_fd, &off, chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            conn_wait(c, EV_WRITE, c->ctx->send_tv);
            return STEP_WAIT;
        }
        if (n <= 0) {
            /* A client gone, or a file truncated under us: the framing is lost,
             * close now.  A shrunk file leaves the cache, so the next request
             * gets its new size rather than the same broken answer. */
            LOG_DEBUG("%s: sendfile stopped: %s", c->peer, n < 0 ? strerror(errno) : "file shrank");
            if (n == 0 && c->ctx->app.file_shrank != NULL)
                c->ctx->app.file_shrank(c->ctx->app.arg, c->file_fd);
            return STEP_CLOSE;
        }
        c->file_off += n;
        c->file_left -= n;
        c->rec.bytes_sent += n;
        turn += n;
    }
    if (c->stream.state != NULL)
        return conn_step_stream(c);
    return conn_response_done(c);
}

/* Prepares the answer to a head that could not be parsed or did not arrive in time. */
static void conn_reply_error(struct conn *c, int status)
{
    struct conn_ctx *ctx = c->ctx;
    refresh_date(ctx);
    c->rec.started_us = clock_mono_us(); /* read now: a duration is measured, not a loop turn's */
    c->rec.quiet = false;
    c->head_len = c->in_len; /* nothing after a bad head can be trusted */
    /* Parse again what was read (a rare path: errors and timeouts), so the
     * access line shows as much of the request as the client sent. */
    http_parse_request(c->buf, c->in_len, (size_t)ctx->limits.max_headers, &ctx->req);
    note_request(c, &ctx->req, NULL);
    conn_identify(c, NULL);
    ctx->app.error(ctx->app.arg, status, ctx->date, &ctx->reply);
    conn_start_reply(c, &ctx->reply);
    ctx->app.done(ctx->app.arg); /* the body is copied, the descriptor ours */
}

/*
 * Settles keep-alive and a request body for a parsed head: a body we will
 * not read (chunked, or over CONN_DISCARD_MAX) closes the connection after
 * the answer; a small one is read and dropped before the next request.
 * Chunked framing already broken in what came with the head is a 400, as
 * nginx and lighttpd answer ("0x5", "+5", a bare LF).  Returns rc, or 400.
 */
static int settle_body(struct conn *c, int rc, const struct http_request_info *info, bool *keep_alive)
{
    const struct conn_limits *l = &c->ctx->limits;
    *keep_alive = rc == 0 && info->keep_alive && l->keepalive_timeout_ms > 0 &&
                  c->requests + 1 < (unsigned)l->keepalive_requests && !c->ctx->draining;
    if (rc == 0 && info->chunked &&
        http_chunked_check(c->buf + c->head_len, c->in_len - c->head_len) == HTTP_CHUNKED_MALFORMED)
        rc = 400;
    if (info->chunked || (rc == 0 && info->content_length > CONN_DISCARD_MAX))
        *keep_alive = false;
    else if (rc == 0 && info->content_length > 0)
        c->discard = info->content_length;
    return rc;
}

/* Parses the head at the start of the buffer (complete or full) and prepares the answer. */
static void conn_handle_head(struct conn *c)
{
    struct conn_ctx *ctx = c->ctx;
    struct http_request *req = &ctx->req;
    int n = http_parse_request(c->buf, c->in_len, (size_t)ctx->limits.max_headers, req);
    if (n == HTTP_PARSE_INCOMPLETE && c->in_len < (size_t)ctx->limits.max_head_size)
        return;  /* wait for more */
    if (n < 0) { /* malformed, or the buffer is full and the head is not over */
        conn_reply_error(c, n == HTTP_PARSE_ERROR ? req->status
                            : req->line_complete  ? 431
                                                  : (req->method.p ? 414 : 400));
        return;
    }
    c->head_len = (size_t)n;
    c->rec.started_us = clock_mono_us(); /* read now: a duration is measured, not a loop turn's */
    refresh_date(ctx);
    struct http_request_info info;
    int rc = http_request_interpret(req, &info);
    note_request(c, req, rc == 0 ? &info : NULL);
    conn_identify(c, req);
    bool keep_alive;
    rc = settle_body(c, rc, &info, &keep_alive);
    struct conn_request q = {.rc = rc,
                             .info = &info,
                             .keep_alive = keep_alive,
                             .date = ctx->date,
                             .peer = c->peer,
                             .strikes = &c->strikes,
                             .client = c->rec.client,
                             .request_id = c->rec.request_id,
                             .turn = loop_turn(ctx)};
    c->rec.quiet = ctx->app.answer(ctx->app.arg, &q, &ctx->reply);
    conn_start_reply(c, &ctx->reply);
    ctx->app.done(ctx->app.arg); /* the body is copied, the descriptor ours */
}

/* Drops request-body bytes still owed from the buffer. */
static void conn_discard_body(struct conn *c)
{
    if (c->in_len == 0 || c->buf == NULL)
        return; /* nothing buffered; an idle connection holds no buffer */
    size_t drop = c->discard < (int64_t)c->in_len ? (size_t)c->discard : c->in_len;
    memmove(c->buf, c->buf + drop, c->in_len - drop);
    c->in_len -= drop;
    c->discard -= (int64_t)drop;
}

/*
 * Settles a connection's first bytes with the PROXY protocol on: a trusted
 * peer's PROXY header is read and taken off the buffer (its source becomes
 * the sender), and any other peer's refused.  Returns 1 when a request may
 * be parsed from what is left, 0 to read more, -1 to close unanswered.
 */
static int conn_settle_start(struct conn *c)
{
    const uint8_t *in = (const uint8_t *)c->buf;
    if (c->start == CONN_START_REFUSE) {
        enum proxy_sniff s = proxy_sniff(in, c->in_len);
        if (s == PROXY_SNIFF_YES)
            LOG_DEBUG("%s: a PROXY header from a peer that is not a trusted proxy: closed", c->peer);
        if (s != PROXY_SNIFF_NO)
            return s == PROXY_SNIFF_YES ? -1 : 0;
        c->start = CONN_START_HTTP;
        return 1;
    }
    struct proxy_info pi;
    int n = proxy_parse(in, c->in_len, &pi);
    if (n == PROXY_INCOMPLETE)
        return 0;
    if (n < 0) {
        LOG_DEBUG("%s: no valid PROXY header from a trusted proxy: closed", c->peer);
        return -1;
    }
    memmove(c->buf, c->buf + n, c->in_len - (size_t)n);
    c->in_len -= (size_t)n;
    c->start = CONN_START_HTTP;
    if (!pi.keep_peer) { /* LOCAL or UNKNOWN: the balancer's own connection, the peer stays the sender */
        c->sender = pi.source;
        net_addr_format(&c->sender, c->source);
        c->sender_name = c->source;
        c->sender_trusted = net_list_contains(c->ctx->clients.trusted, &c->sender);
    }
    return c->in_len > 0 ? 1 : 0;
}

/*
 * Looks at the bytes buffered for a request (no body left to drop): the
 * connection's first ones settled (a PROXY header), then the head parsed
 * when it may be whole.  Returns STEP_AGAIN when an answer has started,
 * STEP_CLOSE, or STEP_WAIT when more bytes are needed.
 */
static enum step conn_scan(struct conn *c)
{
    const struct conn_limits *lim = &c->ctx->limits;
    if (c->deadline_ms == 0)
        c->deadline_ms = clock_tick_ms() + lim->header_timeout_ms;
    int ready = c->start == CONN_START_HTTP ? 1 : conn_settle_start(c);
    if (ready <= 0)
        return ready < 0 ? STEP_CLOSE : STEP_WAIT;
    /* Parse when the blank line may have come, when the buffer is full, and
     * on a request's first bytes, so garbage (a TLS hello) is refused at once
     * without rescanning a trickled head on every byte. */
    if (c->scanned == 0 || http_head_may_be_complete(c->buf, c->in_len, c->scanned) ||
        c->in_len >= (size_t)lim->max_head_size) {
        conn_handle_head(c);
        if (c->state != CONN_READING)
            return STEP_AGAIN;
    }
    c->scanned = c->in_len;
    return STEP_WAIT;
}

/*
 * Answers the complete head in the buffer if there is one, else reads
 * more; waits under the header deadline or the keep-alive timeout.
 */
static enum step conn_step_read(struct conn *c)
{
    struct conn_ctx *ctx = c->ctx;
    const struct conn_limits *lim = &ctx->limits;
    for (;;) {
        if (c->discard > 0)
            conn_discard_body(c);
        if (c->discard == 0 && c->in_len > 0) {
            enum step next = conn_scan(c);
            if (next != STEP_WAIT)
                return next;
        }

        ssize_t n;
        if (c->buf == NULL) {
            /* An idle connection holds no buffer: read into the worker's scratch
             * and take a buffer only once bytes have come. */
            n = recv(c->fd, ctx->scratch, (size_t)lim->max_head_size, 0);
            if (n > 0) {
                if (buf_take(c) < 0)
                    return STEP_CLOSE;
                memcpy(c->buf, ctx->scratch, (size_t)n);
            }
        } else {
            n = recv(c->fd, c->buf + c->in_len, (size_t)lim->max_head_size - c->in_len, 0);
        }
        if (n > 0) {
            c->in_len += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
            return STEP_CLOSE; /* the client closed, or the connection broke */
        break;
    }
    /* Nothing more to read now: wait, under the right clock. */
    bool idle = c->in_len == 0 && c->discard == 0;
    if (idle && ctx->draining)
        return STEP_CLOSE;
    if (idle)
        buf_release(c); /* idle connections hold no buffer */
    if (idle && c->requests > 0) {
        conn_wait(c, EV_READ, ctx->keepalive_tv);
    } else {
        if (c->deadline_ms == 0)
            c->deadline_ms = clock_tick_ms() + lim->header_timeout_ms;
        conn_wait_until(c, c->deadline_ms); /* not reset by each byte */
    }
    return STEP_WAIT;
}

/* Reads and drops input while lingering, until EOF or the deadline. */
static enum step conn_step_linger(struct conn *c)
{
    char scratch[4096];
    for (;;) {
        ssize_t n = recv(c->fd, scratch, sizeof(scratch), 0);
        if (n > 0 || (n < 0 && errno == EINTR))
            continue; /* dropped, or interrupted: read on */
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            conn_wait_until(c, c->deadline_ms);
            return STEP_WAIT;
        }
        return STEP_CLOSE;
    }
}

/*
 * The lingering deadline passed: close, unless answers are still on their
 * way (unacknowledged bytes in the send queue) and the send timeout allows
 * another step.
 */
static void conn_linger_expired(struct conn *c)
{
    int unacked = 0; /* TIOCOUTQ is SIOCOUTQ for a socket: bytes sent but not acknowledged */
    if (ioctl(c->fd, TIOCOUTQ, &unacked) == 0 && unacked > 0 && clock_tick_ms() < c->linger_until) {
        c->deadline_ms = clock_tick_ms() + CONN_LINGER_MS;
        conn_wait_until(c, c->deadline_ms);
        return;
    }
    conn_close(c);
}

/* Runs the state machine until it has to wait or the connection closes. */
static void conn_run(struct conn *c)
{
    for (;;) {
        enum step next = STEP_CLOSE;
        switch (c->state) {
        case CONN_READING: next = conn_step_read(c); break;
        case CONN_WRITING: next = conn_step_write(c); break;
        case CONN_LINGERING: next = conn_step_linger(c); break;
        }
        if (next == STEP_WAIT)
            return;
        if (next == STEP_CLOSE) {
            conn_close(c);
            return;
        }
    }
}

static void conn_event_cb(evutil_socket_t fd, short what, void *arg)
{
    struct conn *c = arg;
    clock_tick(); /* this turn's "now", for the request, its deadlines and its log line */
    (void)fd;
    if (c->close_at_ms != 0 && clock_tick_ms() >= c->close_at_ms) {
        LOG_DEBUG("%s: the connection's lifetime is over", c->peer);
        conn_close(c); /* whatever it was doing: the limit is the point */
        return;
    }
    if (what & EV_TIMEOUT) {
        if (c->start != CONN_START_HTTP) {
            LOG_DEBUG("%s: no PROXY header settled within the header timeout: closed", c->peer);
            conn_close(c); /* a balancer's header, unlike a client's head, gets no 408 */
        } else if (c->state == CONN_READING && c->in_len > 0 && c->discard == 0) {
            LOG_DEBUG("%s: request head not complete within the header timeout", c->peer);
            conn_reply_error(c, 408);
            conn_run(c);
        } else if (c->state == CONN_LINGERING) {
            conn_linger_expired(c);
        } else {
            conn_close(c); /* idle keep-alive, or a stalled reader */
        }
        return;
    }
    conn_run(c);
}

void conn_ctx_drain(struct conn_ctx *ctx)
{
    ctx->draining = true;
    struct conn *c = ctx->conns;
    while (c != NULL) {
        struct conn *next = c->next;
        if (c->state == CONN_READING && c->in_len == 0 && c->discard == 0)
            conn_close(c); /* idle between requests: nothing in flight */
        c = next;
    }
}

void conn_ctx_retire(struct conn_ctx *ctx)
{
    ctx->draining = true; /* every answer from now on says "close"; idle connections wait for theirs */
}

void conn_ctx_free(struct conn_ctx *ctx)
{
    if (ctx == NULL)
        return;
    ctx->on_close = NULL; /* the worker is going away: nobody to tell */
    struct conn *c = ctx->conns;
    while (c != NULL) {
        struct conn *next = c->next;
        conn_close(c);
        c = next;
    }
    while (ctx->spare) {
        c = ctx->spare;
        ctx->spare = c->next;
        event_free(c->ev);
        free(c);
    }
    for (int i = 0; i < ctx->spare_buf_count; i++)
        free(ctx->spare_bufs[i]);
    free(ctx->spare_bufs);
    free(ctx->scratch);
    reply_free(&ctx->reply);
    free(ctx);
}

enum conn_accepted conn_ctx_accept(struct conn_ctx *ctx, int listen_fd, int batch, int cap, conn_admit_fn admit,
                                   void *admit_arg)
{
    for (int i = 0; i < batch; i++) {
        if (ctx->nconns >= cap)
            return CONN_ACCEPT_AT_CAP;
        struct sockaddr_storage ss;
        ss.ss_family = AF_UNSPEC; /* what a peer of no address family leaves (and the analyzer sees set) */
        socklen_t len = sizeof(ss);
        int cfd = accept4(listen_fd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (cfd < 0 && (errno == EINTR || errno == ECONNABORTED))
            continue;
        if (cfd < 0)
            return errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM
                       ? CONN_ACCEPT_OUT_OF_FDS
                       : CONN_ACCEPT_DRAINED; /* EAGAIN: the queue is empty (another worker may have won) */
        if (admit != NULL && !admit(admit_arg, cfd)) {
            close(cfd);
            continue;
        }
        conn_accept(ctx, cfd, (struct sockaddr *)&ss, len);
    }
    return CONN_ACCEPT_BATCH_DONE;
}
