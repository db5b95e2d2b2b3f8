/*
 * http_parser.h - an HTTP/1.x request-head parser that only looks.
 *
 * The shape follows picohttpparser: the caller owns the bytes, the parser
 * returns slices into them, allocates nothing, logs nothing and keeps no
 * state between calls.  A second step, http_request_interpret(), reads the
 * few header fields a static server acts on and applies the RFC 9112 framing
 * rules (Host, Content-Length, Transfer-Encoding) that guard against request
 * smuggling.
 */
#ifndef OTU_HTTP_PARSER_H
#define OTU_HTTP_PARSER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_PARSE_ERROR      (-1) /* malformed: req->status says which 4xx/5xx */
#define HTTP_PARSE_INCOMPLETE (-2) /* need more bytes */

/* Hard ceiling for the configurable header-count limit; the parser's header
 * array has this many slots.  nginx allows 1000 by default (max_headers). */
#define HTTP_HEADERS_CAP 1000

/* A run of bytes inside the caller's buffer; not NUL-terminated. */
struct http_slice {
    const char *p; /* first byte, or NULL when absent */
    size_t len;    /* number of bytes */
};

struct http_header {
    struct http_slice name;  /* field name as sent (case preserved) */
    struct http_slice value; /* field value, surrounding whitespace removed */
};

/* What http_parse_request() fills in. */
struct http_request {
    struct http_slice method;                     /* request method token */
    struct http_slice target;                     /* request-target exactly as sent */
    int minor_version;                            /* 0 or 1 for HTTP/1.x; -1 until the line is read */
    bool line_complete;                           /* the request line has been read whole */
    size_t num_headers;                           /* header lines stored in headers[] */
    int status;                                   /* on HTTP_PARSE_ERROR: the status to answer */
    struct http_header headers[HTTP_HEADERS_CAP]; /* first num_headers are valid */
};

enum http_method {
    HTTP_METHOD_UNKNOWN = 0, /* not a method we know: 501 */
    HTTP_METHOD_GET,
    HTTP_METHOD_HEAD,
    HTTP_METHOD_OPTIONS, /* OPTIONS * is 204; a CORS preflight when --cors-origins allows it, else 405 */
    HTTP_METHOD_OTHER    /* a registered method we refuse: 405 */
};

/* The header fields and framing facts a static server acts on. */
struct http_request_info {
    enum http_method method;
    int minor_version;                     /* 0 or 1 */
    bool keep_alive;                       /* the client allows the connection to stay open */
    int64_t content_length;                /* -1 when the request has no Content-Length */
    bool chunked;                          /* Transfer-Encoding: chunked (a body we do not read) */
    bool asterisk;                         /* OPTIONS with the request-target "*" (RFC 9112 section 3.2.4) */
    struct http_slice path;                /* target path, still percent-encoded, no query */
    struct http_slice query;               /* after '?', without it; len 0 when absent */
    struct http_slice host;                /* Host value; p NULL when absent */
    struct http_slice if_match;            /* p NULL when absent */
    struct http_slice if_unmodified_since; /* p NULL when absent */
    struct http_slice if_none_match;       /* p NULL when absent */
    struct http_slice if_modified_since;   /* p NULL when absent */
    struct http_slice range;               /* p NULL when absent */
    struct http_slice if_range;            /* p NULL when absent */
    struct http_slice accept_encoding;     /* p NULL when absent */
    struct http_slice origin;              /* Origin (CORS); p NULL when absent */
    struct http_slice authorization;       /* the first Authorization (basic auth); p NULL when absent */
    struct http_slice ac_request_method;   /* Access-Control-Request-Method (a preflight); p NULL when absent */
    struct http_slice accept;              /* Accept (--autoindex's JSON form); p NULL when absent */
    struct http_slice transfer_encoding;   /* p NULL when absent; chunked says whether it is usable */
    struct http_slice referer;             /* for the access log; p NULL when absent */
    struct http_slice user_agent;          /* for the access log; p NULL when absent */
    struct http_slice sec_fetch_mode;      /* Sec-Fetch-Mode ("navigate": a navigation); p NULL when absent */
};

/*
 * Parses one request head from buf[0..len).  Empty lines before the request
 * line are skipped (RFC 9112 section 2.2); bare LF is accepted wherever CRLF is.
 * At most max_headers header lines are accepted (<= HTTP_HEADERS_CAP).
 *
 * Returns the number of bytes the head occupies (through its blank line),
 * HTTP_PARSE_INCOMPLETE when buf ends before the head does, or
 * HTTP_PARSE_ERROR with req->status set to 400 (bad syntax), 431 (too many
 * header lines) or 505 (an HTTP version other than 1.0 and 1.1).  Every
 * output is reset on entry, so a partial parse can be inspected.
 */
int http_parse_request(const char *buf, size_t len, size_t max_headers, struct http_request *req);

/*
 * Returns true when buf[0..len) holds the blank line that ends a head,
 * looking only at bytes from offset 'from' on (minus the three before it),
 * so a head that trickles in is not rescanned from the start each time.
 */
bool http_head_may_be_complete(const char *buf, size_t len, size_t from);

/*
 * Reads a parsed request into *info.  Returns 0 when the request may be
 * served, or the status to answer instead: 400 for a missing or repeated
 * Host in HTTP/1.1, a Host value that is not host[:port] (RFC 9112 section
 * 3.2; empty is allowed), an absolute-form target with userinfo or an
 * invalid host, a repeated If-Match or If-Unmodified-Since (as nginx
 * does), conflicting or malformed Content-Length,
 * Content-Length together with Transfer-Encoding, Transfer-Encoding in
 * HTTP/1.0 or an unusable request-target; 501 for a transfer coding other
 * than chunked.  Method acceptance is left to the caller (info->method).
 */
int http_request_interpret(const struct http_request *req, struct http_request_info *info);

/* What http_chunked_check() found. */
enum http_chunked {
    HTTP_CHUNKED_COMPLETE,   /* a whole, well-formed chunked body */
    HTTP_CHUNKED_INCOMPLETE, /* well-formed as far as it goes */
    HTTP_CHUNKED_MALFORMED   /* broken framing: answer 400 */
};

/* Most hex digits in a chunk size: 15 keep it below 2^60, so it cannot overflow. */
#define HTTP_CHUNK_SIZE_DIGITS_MAX 15

/*
 * Checks the framing of the chunked body that starts at buf[0] (RFC 9112
 * section 7.1) as far as len goes: 1*HEXDIG sizes (no sign, no 0x, at most
 * HTTP_CHUNK_SIZE_DIGITS_MAX digits), extensions after ';', CRLF after the
 * size line and after each chunk's data, then the last chunk, trailer lines
 * and the final CRLF.  Bare LF, control bytes and NUL are malformed.  The
 * data itself is not looked at.  Stateless: the caller passes what it has.
 */
enum http_chunked http_chunked_check(const char *buf, size_t len);

/* Returns true when the slice equals the NUL-terminated s, ignoring ASCII case. */
bool http_slice_equals_nocase(struct http_slice a, const char *s);

/* True when c may appear in a token: a method or a field name (RFC 9110 section 5.6.2). */
bool http_is_token_char(unsigned char c);

#endif
