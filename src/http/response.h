/*
 * response.h - status lines, response heads and error bodies, as bytes.
 *
 * Pure formatting: the caller decides every field and owns every buffer.
 */
#ifndef OTU_RESPONSE_H
#define OTU_RESPONSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Everything that can appear in a response head.  NULL / -1 / false = leave out. */
struct response_head {
    int status;                   /* 200, 206, 301, 304, 400, ... */
    const char *server;           /* Server value */
    const char *date;             /* Date value, an IMF-fixdate */
    const char *content_type;     /* Content-Type, or NULL */
    int64_t content_length;       /* Content-Length, or -1 to leave it out */
    bool chunked;                 /* send "Transfer-Encoding: chunked" (a body of unknown length, HTTP/1.1) */
    const char *last_modified;    /* Last-Modified, or NULL */
    const char *etag;             /* ETag (quotes included), or NULL */
    const char *content_range;    /* Content-Range value, or NULL */
    const char *content_encoding; /* Content-Encoding, or NULL */
    const char *location;         /* Location, or NULL */
    const char *allow;            /* Allow, or NULL */
    const char *retry_after;      /* Retry-After value (seconds), or NULL */
    const char *cache_control;    /* Cache-Control, or NULL */
    const char *cors;             /* preformatted Access-Control-* and Vary lines, or NULL */
    const char *extra;            /* preformatted "Name: value\r\n" lines, or NULL */
    bool accept_ranges;           /* send "Accept-Ranges: bytes" */
    bool vary_accept_encoding;    /* send "Vary: Accept-Encoding" */
    const char *vary;             /* another Vary value (a listing's "Accept"), or NULL */
    bool listing_truncated;       /* send "X-Listing-Truncated: true" (a listing cut short) */
    bool keep_alive;              /* Connection: keep-alive, else close */
};

/* Returns the reason phrase for status ("Not Found"), or "Unknown". */
const char *response_reason(int status);

/*
 * Formats the status line, the headers of *h and the blank line into
 * buf.  Returns the length, or -1 when it does not fit in cap bytes.
 */
int response_format_head(const struct response_head *h, char *buf, size_t cap);

/*
 * Writes the short HTML body sent with an error status into buf.
 * Returns its length, or -1 when it does not fit in cap bytes.
 */
int response_error_body(int status, char *buf, size_t cap);

#endif
