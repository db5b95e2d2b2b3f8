/*
 * conn.h - one client connection: read a request head, answer it, repeat.
 *
 * The connection owns its socket, a head buffer and an output buffer, and
 * moves through READING -> WRITING -> (READING | LINGERING) -> closed.
 * It sits on plain libevent events rather than bufferevents: the head
 * buffer is the size limit, a small file goes out with its head in one
 * send(), and a large one by sendfile() straight from the page cache.
 */
#ifndef OTU_CONN_H
#define OTU_CONN_H

#include "config.h"
#include "handler.h"
#include "http_date.h"
#include "http_parser.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

struct event_base;
struct conn;
struct timeval;

/* What all connections of one worker share. */
struct conn_ctx {
    struct event_base *base;     /* the worker's event loop */
    const struct config *cfg;    /* settings */
    struct handler handler;      /* decides answers */
    struct http_request req;     /* parser output, reused for every request */
    struct reply reply;          /* handler output, reused for every request */
    struct conn *conns;          /* every open connection (doubly linked) */
    struct conn *spare;          /* closed connections kept for reuse */
    int spare_count;             /* length of the spare list */
    char **spare_bufs;           /* head/output buffers kept for reuse */
    int spare_buf_count;         /* how many spare_bufs hold */
    char *scratch;               /* max_head_size bytes: first reads of idle connections */
    int nconns;                  /* open connections */
    bool draining;               /* shutting down: finish, do not start keep-alive */
    char date[HTTP_DATE_LEN + 1]; /* Date header for the current second */
    int64_t date_sec;            /* the second date[] shows */
    void (*on_close)(struct conn_ctx *ctx); /* called after a connection closes */
    const struct timeval *keepalive_tv; /* shared timeout: idle between requests */
    struct metrics *metrics;     /* shared counters, or NULL when metrics are off */
    int slot;                    /* this worker's block in metrics */
    const struct timeval *send_tv;      /* shared timeout: a client that takes no bytes */
};

/*
 * Prepares ctx for a worker: opens the document root.  Returns 0, or -1
 * with errno set.
 */
int conn_ctx_init(struct conn_ctx *ctx, struct event_base *base, const struct config *cfg);

/* Closes every connection and frees what conn_ctx_init() and the pools hold. */
void conn_ctx_free(struct conn_ctx *ctx);

/*
 * Takes over an accepted, non-blocking socket and starts serving it.
 * Returns 0, or -1 (the socket is closed) when memory ran out.
 */
int conn_accept(struct conn_ctx *ctx, int fd, const struct sockaddr *addr, socklen_t addrlen);

/*
 * Housekeeping for the worker's timer (every few hundred ms): the file
 * cache's sweep and, every second, the document root's re-resolution (see
 * handler_tick()).
 */
void conn_ctx_tick(struct conn_ctx *ctx);

/* Re-resolves the document root now (SIGHUP after a deploy; see handler_refresh_root()). */
void conn_ctx_refresh_root(struct conn_ctx *ctx);

/*
 * Starts a graceful stop: idle connections close now, busy ones after
 * their current response.  ctx->on_close reports each close.
 */
void conn_ctx_drain(struct conn_ctx *ctx);

#endif
