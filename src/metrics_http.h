/*
 * metrics_http.h - the answers of the /metrics listener, in the server's one
 * HTTP dialect.
 *
 * The request head is read with http_parse_request() and the head of the
 * answer written by response_format_head(), like every other answer of the
 * server; the body is metrics_render()'s exposition text.  No I/O: the
 * worker reads the bytes, asks for the answer, sends it and closes.
 */
#ifndef OTU_METRICS_HTTP_H
#define OTU_METRICS_HTTP_H

#include "metrics.h"

#include <stddef.h>

/* Largest request head a scrape may send; a longer one is answered 431. */
#define METRICS_HTTP_REQUEST_MAX 2048
/* Room for a whole answer: the head and the exposition text (about 4 KiB today). */
#define METRICS_HTTP_RESPONSE_MAX (16 * 1024)

/*
 * Answers the request head in req[0..len) (len <= METRICS_HTTP_REQUEST_MAX)
 * into out[0..cap): GET or HEAD of /metrics (any query) is 200 with the
 * counters of m; any other method or path 404, pointing at /metrics; a
 * malformed head its parser status (400, 505...); a head that has filled
 * METRICS_HTTP_REQUEST_MAX bytes without ending 431.  Every answer closes
 * the connection.  date is the Date value.  Returns the answer's length,
 * or 0 while the head is not complete yet and more may come.
 */
size_t metrics_http_answer(const struct metrics *m, const char *req, size_t len, const char *date,
                           char *out, size_t cap);

#endif
