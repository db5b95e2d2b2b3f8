/*
 * cors.h - Cross-Origin Resource Sharing: which origins may read the site
 * from a browser, and the Access-Control-* lines that say so.
 *
 * Pure decisions over the configuration and the request's fields; the
 * handler puts the lines into the head it builds.  An origin that is not
 * configured is never echoed.
 */
#ifndef OTU_CORS_H
#define OTU_CORS_H

#include "http_parser.h"

#include <stdbool.h>
#include <stddef.h>

/* --cors-origins entries: a site's own front ends, not a registry of the web. */
#define CORS_ORIGINS_MAX 16
/* Longest origin: "https://" + a DNS name (253) + ":65535", with room to spare. */
#define CORS_ORIGIN_MAX 280
/* Room for --cors-headers, as sent: "A, B, C". */
#define CORS_HEADERS_MAX 256

/* The CORS settings (--cors-*).  All zero is "CORS off". */
struct cors_config {
    bool any;                                        /* --cors-origins '*': every origin, answered with "*" */
    int origin_count;                                /* entries in origins[]; 0 and !any = CORS off */
    char origins[CORS_ORIGINS_MAX][CORS_ORIGIN_MAX]; /* scheme://host[:port], host lower-case */
    char allow_headers[CORS_HEADERS_MAX];            /* Access-Control-Allow-Headers of a preflight's answer */
    int max_age;                                     /* Access-Control-Max-Age, seconds */
    bool credentials;                                /* basic auth is on: listed origins get Allow-Credentials (set
                                                        by config_parse(), not a setting of its own) */
};

/*
 * Room for the lines of one answer: the origin echoed, credentials, methods,
 * the allowed headers, max-age, Vary (the names and fixed values take under
 * 200 bytes).
 */
#define CORS_LINES_MAX (CORS_ORIGIN_MAX + CORS_HEADERS_MAX + 200)

/*
 * Reads one --cors-origins item into the struct cors_config at cors: '*'
 * (any origin; then the only item), or an origin as a browser serialises
 * it: http or https, a DNS name, IPv4 or [IPv6] host, an optional port, no
 * path and no trailing slash, kept in lower case.  Returns 0, or -1 with
 * what is allowed in why.
 */
int cors_origin_parse(void *cors, const char *item, char *why, size_t whylen);

/* Forgets the origins of the struct cors_config at cors (CORS off). */
void cors_origins_clear(void *cors);

/* Adds one --cors-headers field name (a token) to the struct cors_config at cors. */
int cors_header_parse(void *cors, const char *item, char *why, size_t whylen);

/* Forgets the allowed headers of the struct cors_config at cors. */
void cors_headers_clear(void *cors);

/* True when CORS is configured (--cors-origins is '*' or a list). */
bool cors_enabled(const struct cors_config *cfg);

/* True when info is a preflight: OPTIONS with Origin and Access-Control-Request-Method. */
bool cors_is_preflight(const struct http_request_info *info);

/*
 * True when info is a preflight (see cors_is_preflight) from an allowed
 * origin, with CORS on: answered 204 with the Access-Control-* lines, and
 * before basic auth, since a browser never sends credentials on a
 * preflight (Fetch standard); the request it announces is authenticated.
 */
bool cors_preflight_allowed(const struct cors_config *cfg, const struct http_request_info *info);

/*
 * True when origin (the request's Origin value) may read the site: any
 * origin with '*', else one equal to a configured origin, ignoring ASCII
 * case.  An absent Origin is never allowed.
 */
bool cors_origin_allowed(const struct cors_config *cfg, struct http_slice origin);

/*
 * Writes the CORS header lines ("Name: value\r\n" each) for the answer to
 * info into buf (cap bytes, at least CORS_LINES_MAX) and returns their
 * length (0 with "" when none apply).  An allowed origin gets
 * Access-Control-Allow-Origin (its own value, or "*" in '*' mode), and,
 * with cfg->credentials (basic auth on) and origins listed, "Access-Control-Allow-
 * Credentials: true" (a browser sends the password cross-origin only in
 * credentials mode, which needs it; '*' never allows credentials); a
 * preflight (preflight true) also the methods, headers and max-age.  With a
 * list of origins every answer carries "Vary: Origin", since it depends on
 * the Origin, so a shared cache never hands one origin's answer to another.
 */
size_t cors_lines(const struct cors_config *cfg, const struct http_request_info *info, bool preflight, char *buf,
                  size_t cap);

#endif
