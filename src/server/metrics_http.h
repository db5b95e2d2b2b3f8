/*
 * metrics_http.h - the /metrics port as the connection engine's
 * application.
 *
 * Served by the same engine as the site (conn.c: the same parser, limits,
 * deadlines and sending), with its own policy: GET or HEAD of /metrics
 * (any query) is 200 with the Prometheus exposition of every worker's
 * counters; any other path is 404, any other method 405; no
 * authentication; keep-alive allowed (within the port's connection
 * lifetime); access lines only at debug, and nothing counted.
 */
#ifndef OTU_METRICS_HTTP_H
#define OTU_METRICS_HTTP_H

#include "access_log.h"
#include "conn.h"
#include "metrics.h"

/* Largest request head a scrape may send; a longer one is answered 431 (the port's max_head_size). */
#define METRICS_HTTP_REQUEST_MAX 2048
/* Header lines a scrape may send; Prometheus sends five or six. */
#define METRICS_HTTP_MAX_HEADERS 32
/* Room for the exposition text (about 5 KiB today, with every metric and bucket). */
#define METRICS_HTTP_BODY_MAX ((size_t)32 * 1024)

/* The /metrics port's state: what it renders and how it logs. */
struct metrics_http;

/*
 * Makes the application over m's counters, logging its access lines (at
 * debug) in format.  Returns it, or NULL when memory ran out.
 */
struct metrics_http *metrics_http_new(const struct metrics *m, enum access_log_format format);

/* Frees it; NULL is fine. */
void metrics_http_free(struct metrics_http *mh);

/* Fills *app with the port's answers for conn_ctx_new(). */
void metrics_http_app(struct metrics_http *mh, struct conn_app *app);

#endif
