/*
 * handler.h - decide the answer to one parsed request.
 *
 * Everything between "the head parsed" and "bytes to send": method and
 * CORS preflights, --redirect rules, path resolution, dot-files,
 * directories, index.html and listings, conditional requests, ranges,
 * precompressed siblings, gzip on the fly and error pages.  It opens
 * files but never touches a socket, so tests can call it directly.
 */
#ifndef OTU_HANDLER_H
#define OTU_HANDLER_H

#include "compress.h"
#include "config.h"
#include "file.h"
#include "file_cache.h"
#include "http_date.h"
#include "http_parser.h"
#include "path.h"
#include "precomp.h"
#include "reply.h"
#include "response.h"

#include <stdbool.h>
#include <stdint.h>

/*
 * How often the root's path is opened again to see whether it names another
 * directory (a "current" symlink swapped to a new release): a deploy is
 * served by every worker within this.  SIGHUP does it at once.
 */
#define HANDLER_ROOT_CHECK_MS 1000

/*
 * Room for the part of any response head whose size the code fixes: the
 * status line and the names and values of Server (63), Date (29),
 * Content-Type (159), Content-Length, Content-Encoding, Content-Range (95),
 * Last-Modified, ETag (67), Accept-Ranges, both Vary lines, Allow,
 * Retry-After, X-Listing-Truncated, a 401's WWW-Authenticate line (realm
 * 63), the names Location and Cache-Control, Connection and the blank
 * line: about 950 bytes (a decoded answer's Transfer-Encoding replaces
 * Content-Length and Content-Range).  handler_init() adds what the configuration
 * sizes: the longest Location, Cache-Control, --header lines and CORS lines
 * (handler_head_max()).
 */
#define HANDLER_HEAD_FIXED 1024
/* Largest body a reply carries in memory: a small file from the cache, or an error page. */
#define HANDLER_BODY_MAX FILE_CACHE_DATA_MAX
_Static_assert(REPLY_ERROR_BODY_MAX <= HANDLER_BODY_MAX, "an error page is an in-memory body");
/*
 * Longest part of a Location that comes from the request: a folder's path
 * with its slash and the query, or what a --redirect rule carries (the
 * rest of the path, percent-encoded, and the query).  Longer gets 414; a
 * rule's own target comes on top (at most 511 bytes).
 */
#define HANDLER_LOCATION_MAX 2048

struct handler {
    const struct config *cfg;        /* settings */
    struct file_root root;           /* the opened document root */
    struct file_cache *cache;        /* remembered opens, validators and small files */
    struct compress_cache *gzip;     /* variants made on the fly (--compress), or NULL */
    struct precomp_hook decode_hook; /* told when decoding a compressed-only file stops (the site's metrics) */
    int64_t turn;                    /* the loop turn of the request being answered (the caller sets it) */
    char server[64];                 /* Server header value */
    char fallback_rel[PAGES_FALLBACKS_MAX][PAGES_PATH_MAX]; /* each --fallback's page, normalised ("" = unusable) */
    size_t location_cap;     /* room for a --redirect Location: the longest rule + HANDLER_LOCATION_MAX */
    size_t head_max;         /* room for any response head under this configuration */
    int64_t root_checked_ms; /* when the root's path was last opened again */
    bool root_warned;        /* a failure to open it again is logged, once */
};

/* Opens the document root.  Returns 0, or -1 with errno set. */
int handler_init(struct handler *h, const struct config *cfg);

/* Releases what handler_init() opened. */
void handler_free(struct handler *h);

/*
 * The most bytes a response head can take under h's configuration:
 * HANDLER_HEAD_FIXED, plus the longest Location (the longest --redirect
 * target + HANDLER_LOCATION_MAX), the longest Cache-Control value, every
 * --header line (all-paths and rules) and the CORS lines.  Sized once at
 * start, so every answer fits, a redirect at the limits included.
 */
size_t handler_head_max(const struct handler *h);

/*
 * Answers the request: status, head bytes and the body source in *r.
 * The reply holds the file cache's answers (r->body may point into cached
 * contents) until handler_reply_done(), which the caller calls once it has
 * copied r->body and taken r->fd.
 * rc is 0 when info is valid, or the status http_request_interpret() or
 * the parser chose (then info may be partial).  keep_alive is what the
 * connection would like; the head says "close" when it is false or the
 * answer forces it.  date is the current IMF-fixdate.
 */
void handler_respond(struct handler *h, int rc, const struct http_request_info *info, bool keep_alive, const char *date,
                     struct reply *r);

/*
 * Releases what the last reply of handler_respond() or handler_error()
 * held (the file cache's pins): r->body is no longer valid after it.
 */
void handler_reply_done(struct handler *h);

/*
 * Housekeeping for the worker's timer, between requests (never while a
 * reply is being built): every HANDLER_ROOT_CHECK_MS, handler_refresh_root();
 * each time, the file cache's sweep (idle entries, deleted files).
 */
void handler_tick(struct handler *h);

/*
 * Opens the configured root path again; when it names another directory
 * now, serves that one from the next request on (the file cache is
 * emptied).  When it cannot be opened, keeps serving the old one and logs a
 * warning (once, until it opens again).  Between requests only.
 */
void handler_refresh_root(struct handler *h);

/*
 * Tells the handler that the file open on fd (a reply's body) ended before
 * the length its head promised: it was truncated after the cache looked at
 * it.  Every cache entry for that file is dropped, so the next request
 * opens it again and sees its new size.
 */
void handler_file_shrank(struct handler *h, int fd);

/*
 * Builds a bare error answer (no request needed: 408, 431, 400 from the
 * parser).  The connection is always closed after it.
 */
void handler_error(struct handler *h, int status, bool head_only, const char *date, struct reply *r);

#endif
