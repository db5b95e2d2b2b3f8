/*
 * conn.h - the connection engine: accept, read a request head, hand it to
 * the application, send its answer, repeat.
 *
 * The engine knows HTTP/1.x framing (heads, keep-alive, pipelining, bodies
 * it drops, lingering) and nothing of what is served: an application (the
 * site, or the /metrics port) answers each parsed request into a struct
 * reply and is told when the answer is over.  A connection owns its
 * socket, a head buffer and an output buffer, and moves through
 * READING -> WRITING -> (READING | LINGERING) -> closed.  It sits on plain
 * libevent events rather than bufferevents: the head buffer is the size
 * limit, a small body goes out with its head in one send(), and a large one
 * by sendfile() straight from the page cache.
 */
#ifndef OTU_CONN_H
#define OTU_CONN_H

#include "http_parser.h"
#include "reply.h"
#include "request_log.h"

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

struct event_base;
struct metrics;
struct net_list;

/* What all connections of one context share: opaque outside conn.c. */
struct conn_ctx;

/* The limits a context holds its connections to. */
struct conn_limits {
    int max_head_size;        /* bytes of request line + headers (431, 414) */
    int max_headers;          /* header lines per request (431) */
    int header_timeout_ms;    /* a head must be whole this long after the connection's
                                 accept, or after the previous answer (408) */
    int keepalive_timeout_ms; /* idle time between requests; 0 = no keep-alive */
    int keepalive_requests;   /* requests on one connection */
    int send_timeout_ms;      /* longest wait for a client to take more bytes */
    int lifetime_ms;          /* 0, or every connection is closed this long after its
                                 accept, whatever it sends (the metrics port) */
};

/* One parsed request, as the engine hands it to its application. */
struct conn_request {
    int rc;                               /* 0, or the status the parser or its reader chose */
    const struct http_request_info *info; /* the request (partial when rc != 0) */
    bool keep_alive;                      /* what the connection would like after this answer */
    const char *date;                     /* IMF-fixdate of this second */
    const char *peer;                     /* the address of the connection's peer (the socket's) */
    unsigned *strikes;                    /* this connection's count of refused credentials,
                                             the application's to keep (it closes after a few) */
    const char *client;                   /* the client's address: the peer, or whom a trusted proxy
                                             says it serves (struct conn_clients); what limits key on */
    const char *request_id;               /* this request's X-Request-Id, or NULL when ids are off */
    int64_t turn;                         /* the loop turn answering it: libevent's cached time (us),
                                             the same for every request of one turn */
};

/*
 * Who a context's clients are when proxies stand in front (the site's
 * port; the metrics port has none of it).  All zero: every peer is its
 * own client.
 */
struct conn_clients {
    const struct net_list *trusted; /* --trusted-proxies (must outlive the context); NULL or empty: none */
    int header;                     /* enum forwarded_field: the field a trusted sender names the client in */
    bool proxy_protocol;            /* a trusted peer's connection starts with a PROXY header (else it is
                                       closed unanswered), and any other peer's must not */
    bool request_id;                /* every answer carries X-Request-Id: a trusted sender's, or a new one */
};

/*
 * The application a context serves.  Every callback gets arg.  The reply
 * is the context's own, reset by the application; the engine copies the
 * head and in-memory body out of it and takes its descriptor.
 */
struct conn_app {
    void *arg;
    size_t head_max; /* the most bytes any answer's head takes */
    size_t body_max; /* the most bytes of in-memory body an answer carries */
    /* Answers q into r; true for a quiet answer (a probe's: logged at debug, counted apart). */
    bool (*answer)(void *arg, const struct conn_request *q, struct reply *r);
    /* A bare error before any request could be read (400, 408, 414, 431); it closes. */
    void (*error)(void *arg, int status, const char *date, struct reply *r);
    /* The engine has copied r's body and taken its descriptor: what it pinned may go. */
    void (*done)(void *arg);
    /* A file body ended before its length (the file shrank under us); NULL: nothing to do. */
    void (*file_shrank)(void *arg, int fd);
    /* The answer is over (sent, or cut by the client or a timeout): log and count it. */
    void (*finished)(void *arg, const struct request_record *rec);
};

/* Told after each connection closes (the worker resumes accepting, or ends a stop). */
typedef void (*conn_closed_fn)(void *arg);

/*
 * Makes a context on base for app (copied), its connections held to
 * limits (copied).  metrics (NULL: none) and slot say where open and
 * accepted connections are counted; on_close(arg) is called after each
 * close.  Returns the context, or NULL with errno set.
 */
struct conn_ctx *conn_ctx_new(struct event_base *base, const struct conn_limits *limits, const struct conn_app *app,
                              struct metrics *metrics, int slot, conn_closed_fn on_close, void *arg);

/*
 * Sets how ctx's connections find their client (clients is copied); call
 * it before the first accept, since an id's line widens the output area.
 */
void conn_ctx_set_clients(struct conn_ctx *ctx, const struct conn_clients *clients);

/* Closes every connection (telling nobody) and frees the context; NULL is fine. */
void conn_ctx_free(struct conn_ctx *ctx);

/* Connections open now. */
int conn_ctx_open_count(const struct conn_ctx *ctx);

/* Descriptors the context's connections hold now: their sockets and the files they send. */
int conn_ctx_descriptors(const struct conn_ctx *ctx);

/* What conn_ctx_accept() stopped at. */
enum conn_accepted {
    CONN_ACCEPT_DRAINED,    /* the queue is empty (or another worker took what was there) */
    CONN_ACCEPT_AT_CAP,     /* cap connections are open: stop accepting until one closes */
    CONN_ACCEPT_OUT_OF_FDS, /* EMFILE, ENFILE, ENOBUFS, ENOMEM: pause, the queue waits */
    CONN_ACCEPT_BATCH_DONE  /* batch taken; more may be queued (level-triggered: the next turn) */
};

/* May the connection just accepted on fd stay?  false: it is closed at once, unanswered. */
typedef bool (*conn_admit_fn)(void *arg, int fd);

/*
 * Accepts up to batch connections from listen_fd (non-blocking) into ctx
 * while fewer than cap are open, each admitted by admit(admit_arg, fd)
 * (NULL: all) and served from then on.  Returns why it stopped.
 */
enum conn_accepted conn_ctx_accept(struct conn_ctx *ctx, int listen_fd, int batch, int cap, conn_admit_fn admit,
                                   void *admit_arg);

/*
 * Starts a graceful stop: idle connections close now, busy ones after
 * their current response.  on_close reports each close.
 */
void conn_ctx_drain(struct conn_ctx *ctx);

/*
 * Starts a gentler stop, for a worker replaced by a reload: no connection
 * is closed now (a request may be on its way on an idle one); every answer
 * from now on carries "Connection: close", so each connection ends after
 * its next request, or at its keep-alive timeout.  conn_ctx_drain() later
 * closes those still idle.
 */
void conn_ctx_retire(struct conn_ctx *ctx);

#endif
