/*
 * request_log.h - what is kept of one request for the access log and the
 * metrics, apart from the connection that served it, and the one place
 * that writes its line and counts it.
 *
 * The connection fills a record as the request is read and its answer
 * sent, and hands it over once the last byte has gone (or the connection
 * closed first: the bytes actually sent are what is logged, as nginx does).
 */
#ifndef OTU_REQUEST_LOG_H
#define OTU_REQUEST_LOG_H

#include "access_log.h"
#include "http_parser.h"
#include "metrics.h"

#include <stdbool.h>
#include <stdint.h>

/* One request and its answer, as the log and the metrics see them. */
struct request_record {
    const char *peer;          /* the connection's peer (the socket's address) */
    const char *client;        /* the client: the peer, or whom a trusted proxy named; NULL = peer */
    const char *request_id;    /* X-Request-Id sent back, or NULL (--request-id off) */
    struct http_slice method;  /* p NULL when not even the method was read */
    struct http_slice target;  /* as sent (as much as came, for a rejected line) */
    struct http_slice referer; /* p NULL when absent */
    struct http_slice agent;   /* User-Agent; p NULL when absent */
    int minor;                 /* HTTP/1.x minor version, -1 when unknown */
    int status;                /* status sent */
    bool quiet;                /* a probe's answer (the health path): logged at debug, counted apart */
    int64_t started_us;        /* monotonic: the head was complete */
    int64_t bytes_sent;        /* head and body bytes sent */
    int64_t head_bytes;        /* of which the head */
};

/*
 * Writes r's access line (at info, or debug when quiet) in format, and
 * counts it in m's block slot (m NULL: metrics off): requests by method
 * and status class, bytes, the duration up to now_us; a quiet one in the
 * health counter instead.  The record's slices must still be valid.
 */
void request_log_finish(const struct request_record *r, int64_t now_us, enum access_log_format format,
                        struct metrics *m, int slot);

/* The metrics class of a method: GET, HEAD or other. */
enum metrics_method request_log_method(struct http_slice method);

#endif
