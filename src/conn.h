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

#include <stdbool.h>
#include <sys/socket.h>

struct event_base;
struct metrics;

/* What all connections of one worker share: opaque outside conn.c. */
struct conn_ctx;

/* Told after each connection closes (the worker resumes accepting, or ends a stop). */
typedef void (*conn_closed_fn)(void *arg);

/*
 * Makes the connections' shared state for a worker on base: opens the
 * document root, the pools and the shared timeouts.  metrics (NULL when off)
 * and slot say where to count; on_close(arg) is called after each close.
 * Returns the context, or NULL with errno set.
 */
struct conn_ctx *conn_ctx_new(struct event_base *base, const struct config *cfg,
                              struct metrics *metrics, int slot, conn_closed_fn on_close,
                              void *arg);

/* Closes every connection (telling nobody) and frees the context; NULL is fine. */
void conn_ctx_free(struct conn_ctx *ctx);

/* Connections open now. */
int conn_ctx_open_count(const struct conn_ctx *ctx);

/*
 * Descriptors the connections hold now: one socket each, and one more for
 * each that is sending a file (the caches' own descriptors not included).
 */
int conn_ctx_descriptors(const struct conn_ctx *ctx);

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

/* Reads the basic-auth file again (SIGHUP; see auth_reload()); nothing when auth is off. */
void conn_ctx_reload_auth(struct conn_ctx *ctx);

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
