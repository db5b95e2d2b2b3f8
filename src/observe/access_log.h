/*
 * access_log.h - one line per request, in the format the operator picked.
 *
 *   text      otuserver's own line: time, [pid], level, client, request,
 *             status, bytes, duration (the default; what make run shows)
 *   combined  the Combined Log Format that GoAccess, fail2ban and most log
 *             tools read, plus the duration in seconds at the end
 *   json      one JSON object per line with the same fields
 *
 * The client leads every line (behind a trusted proxy, whom it named, as
 * nginx's realip module does); the peer it came through follows the
 * duration as "peer=ADDR" when it differs, and the request id as
 * "request_id=ID" when there is one (JSON: "peer" always, "request_id"
 * when there is one).
 *
 * Every byte a client chose (target, Referer, User-Agent) is escaped, so a
 * request cannot forge a log line or break the JSON: text and combined lines
 * are ASCII (\xHH), JSON lines are valid UTF-8 (well-formed characters pass
 * through, any other byte becomes U+FFFD).
 */
#ifndef OTU_ACCESS_LOG_H
#define OTU_ACCESS_LOG_H

#include "http_parser.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/time.h>

enum access_log_format { ACCESS_LOG_TEXT = 0, ACCESS_LOG_COMBINED, ACCESS_LOG_JSON };

/* What one log line tells about one request. */
struct access_record {
    const char *peer;             /* the connection's peer (the socket's address) */
    const char *client;           /* the client, when a trusted proxy named one; NULL = peer */
    const char *request_id;       /* X-Request-Id, or NULL */
    struct http_slice method;     /* p NULL when the request line did not parse */
    struct http_slice target;     /* as sent */
    int minor_version;            /* 0 or 1, -1 when unknown */
    int status;                   /* status sent */
    int64_t body_bytes;           /* body bytes sent (head not counted) */
    int64_t duration_us;          /* from the complete head to the last byte sent */
    struct http_slice referer;    /* p NULL when absent */
    struct http_slice user_agent; /* p NULL when absent */
    struct timespec when;         /* wall clock when the response finished */
};

/*
 * Formats r as one line ending in '\n' into out (cap bytes, at least 512).
 * Client-chosen fields are escaped and cut ("...") so the line always fits.
 * Returns the length.
 */
size_t access_log_format(enum access_log_format format, const struct access_record *r, char *out, size_t cap);

/* Parses "text", "combined" or "json"; returns the format or -1. */
int access_log_parse_format(const char *name);

#endif
