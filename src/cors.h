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

#include "config.h"
#include "http_parser.h"

#include <stdbool.h>
#include <stddef.h>

/*
 * Room for the lines of one answer: the origin echoed, credentials, methods,
 * the allowed headers, max-age, Vary (the names and fixed values take under
 * 200 bytes).
 */
#define CORS_LINES_MAX (CONFIG_ORIGIN_MAX + sizeof(((struct config *)0)->cors_headers) + 200)

/* True when CORS is configured (--cors-origins is '*' or a list). */
bool cors_enabled(const struct config *cfg);

/* True when info is a preflight: OPTIONS with Origin and Access-Control-Request-Method. */
bool cors_is_preflight(const struct http_request_info *info);

/*
 * True when info is a preflight (see cors_is_preflight) from an allowed
 * origin, with CORS on: answered 204 with the Access-Control-* lines, and
 * before basic auth, since a browser never sends credentials on a
 * preflight (Fetch standard); the request it announces is authenticated.
 */
bool cors_preflight_allowed(const struct config *cfg, const struct http_request_info *info);

/*
 * True when origin (the request's Origin value) may read the site: any
 * origin with '*', else one equal to a configured origin, ignoring ASCII
 * case.  An absent Origin is never allowed.
 */
bool cors_origin_allowed(const struct config *cfg, struct http_slice origin);

/*
 * Writes the CORS header lines ("Name: value\r\n" each) for the answer to
 * info into buf (cap bytes, at least CORS_LINES_MAX) and returns their
 * length (0 with "" when none apply).  An allowed origin gets
 * Access-Control-Allow-Origin (its own value, or "*" in '*' mode), and,
 * when basic auth is on and origins are listed, "Access-Control-Allow-
 * Credentials: true" (a browser sends the password cross-origin only in
 * credentials mode, which needs it; '*' never allows credentials); a
 * preflight (preflight true) also the methods, headers and max-age.  With a
 * list of origins every answer carries "Vary: Origin", since it depends on
 * the Origin, so a shared cache never hands one origin's answer to another.
 */
size_t cors_lines(const struct config *cfg, const struct http_request_info *info, bool preflight,
                  char *buf, size_t cap);

#endif
