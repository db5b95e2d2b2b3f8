/*
 * handler.c - see handler.h.
 */
#include "compat.h"

#include "handler.h"

#include "accept_coding.h"
#include "autoindex.h"
#include "clock.h"
#include "cors.h"
#include "encoder.h"
#include "http_cond.h"

#include "log.h"
#include "mime.h"
#include "pages.h"
#include "path.h"
#include "path_rules.h"
#include "redirect.h"
#include "version.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Retry-After on a 503 (out of descriptors or memory), in seconds: they free up as connections close. */
#define HANDLER_RETRY_AFTER "1"

/* The longest --redirect target: a Location starts with it. */
static size_t longest_redirect_target(const struct config *cfg)
{
    size_t longest = 0;
    for (int i = 0; i < cfg->redirects.count; i++) {
        size_t n = strlen(cfg->redirects.rule[i].to);
        longest = n > longest ? n : longest;
    }
    return longest;
}

/* The longest Cache-Control value a file answer may carry: the plain one or a rule's. */
static size_t longest_cache_control(const struct config *cfg)
{
    const struct path_rules *rs = &cfg->headers.cache_rules;
    size_t longest = strlen(cfg->headers.cache_control);
    for (int i = 0; i < rs->count; i++) {
        size_t n = strlen(rs->text + rs->rule[i].value);
        longest = n > longest ? n : longest;
    }
    return longest;
}

/* See handler_head_max(): computed once, from the configuration. */
static size_t head_max_for(const struct config *cfg, size_t location_cap)
{
    size_t header_lines =
        strlen(cfg->headers.headers) + cfg->headers.header_rules.value_bytes; /* path_rules_headers()'s most */
    return HANDLER_HEAD_FIXED + location_cap + longest_cache_control(cfg) + header_lines +
           (cors_enabled(&cfg->cors) ? CORS_LINES_MAX : 0);
}

int handler_init(struct handler *h, const struct config *cfg)
{
    h->cfg = cfg;
    h->cache = NULL;
    h->gzip = NULL;
    h->decode_hook = (struct precomp_hook){0};
    h->root_checked_ms = clock_mono_ms();
    h->root_warned = false;
    h->location_cap = longest_redirect_target(cfg) + HANDLER_LOCATION_MAX;
    h->head_max = head_max_for(cfg, h->location_cap);
    snprintf(h->server, sizeof(h->server), "otuserver%s%s", cfg->server_tokens ? "/" : "",
             cfg->server_tokens ? OTU_VERSION : "");
    if (file_root_open(&h->root, cfg->root) < 0)
        return -1;
    if (h->root.walk)
        LOG_INFO("worker: openat2 is not available; names are resolved one component at a time");
    for (int i = 0; i < cfg->pages.fallback_count; i++) {
        const char *page = cfg->pages.fallbacks[i].path;
        struct path_result pr;
        h->fallback_rel[i][0] = '\0';
        if (path_normalize(page, strlen(page), &pr) == 0)
            snprintf(h->fallback_rel[i], sizeof(h->fallback_rel[i]), "%.*s", PAGES_PATH_MAX - 1, pr.rel);
    }
    h->cache = file_cache_new(&h->root, cfg->file_cache_entries > 0 ? (size_t)cfg->file_cache_entries : 0,
                              cfg->file_cache_entries > 0, cfg->etag_hash_max > 0 ? cfg->etag_hash_max : -1);
    bool gzip = cfg->compress.n_codings > 0;
    bool dir_ok = false;
    if (h->cache != NULL && gzip)
        h->gzip = compress_cache_new(&cfg->compress, HANDLER_BODY_MAX, &dir_ok);
    if (h->gzip != NULL && cfg->compress.cache_dir[0] != '\0' && !dir_ok) /* the master warned, once */
        LOG_DEBUG("worker: --compress-cache-dir %s is not usable: compressed results are kept in memory",
                  cfg->compress.cache_dir);
    if (h->cache == NULL || (gzip && h->gzip == NULL)) {
        file_cache_free(h->cache);
        h->cache = NULL;
        file_root_close(&h->root);
        return -1;
    }
    return 0;
}

size_t handler_head_max(const struct handler *h)
{
    return h->head_max;
}

void handler_free(struct handler *h)
{
    file_cache_free(h->cache);
    h->cache = NULL;
    compress_cache_free(h->gzip);
    h->gzip = NULL;
    file_root_close(&h->root);
}

void handler_refresh_root(struct handler *h)
{
    int rc = file_root_refresh(&h->root, h->cfg->root);
    int err = errno;
    h->root_checked_ms = clock_mono_ms();
    if (rc < 0 && !h->root_warned)
        LOG_WARN("worker: cannot open the document root %s again (%s); still serving the one opened before",
                 h->cfg->root, strerror(err));
    h->root_warned = rc < 0;
    if (rc == 1) {
        file_cache_flush(h->cache);
        LOG_INFO("worker: the document root %s names another directory now; serving it", h->cfg->root);
        if (h->root.walk)
            LOG_INFO("worker: openat2 is not available; names are resolved one component at a time");
    }
}

void handler_tick(struct handler *h)
{
    int64_t now = clock_mono_ms();
    if (now - h->root_checked_ms >= HANDLER_ROOT_CHECK_MS)
        handler_refresh_root(h);
    file_cache_sweep(h->cache, now);
}

void handler_file_shrank(struct handler *h, int fd)
{
    struct stat st;
    if (fstat(fd, &st) == 0)
        file_cache_forget(h->cache, st.st_dev, st.st_ino);
}

/* Returns the configured error page for status when it can be served, else NULL. */
static const struct file_info *error_page_for(struct handler *h, int status, const char **name)
{
    const char *page = pages_error_page(&h->cfg->pages, status);
    struct path_result pr;
    if (page == NULL || path_normalize(page, strlen(page), &pr) != 0)
        return NULL;
    const struct file_info *fi = file_cache_get(h->cache, pr.rel, clock_mono_ms());
    if (fi->status != 0 || !S_ISREG(fi->st.st_mode))
        return NULL; /* missing page: the built-in one is better than nothing */
    *name = page;
    return fi;
}

/* Sets the body of r to len bytes of fi from first (see reply_body_from()). */
static int reply_file_body(const struct file_info *fi, int64_t first, int64_t len, struct reply *r)
{
    return reply_body_from(fi->data, fi->fd, first, len, r);
}

/* Fills an error answer; extra fields (Allow, Content-Range, Location) come through rh_extra. */
static void reply_error(struct handler *h, int status, bool head_only, bool keep_alive, const char *date,
                        const struct response_head *rh_extra, struct reply *r)
{
    reply_drop_body(r);
    r->status = status;
    /* After a syntax error or a timeout the stream cannot be trusted: close it. */
    bool fatal = status == 400 || status == 408 || status == 414 || status == 431 || status == 500 || status == 501 ||
                 status == 503 || status == 505;
    r->close = r->close || fatal || !keep_alive;

    struct response_head rh;
    if (rh_extra)
        rh = *rh_extra;
    else
        memset(&rh, 0, sizeof(rh));
    rh.status = status;
    rh.server = h->server;
    rh.date = date;
    if (rh.extra == NULL) /* answer_error() passes the lines for its path */
        rh.extra = h->cfg->headers.headers[0] ? h->cfg->headers.headers : NULL;
    rh.keep_alive = !r->close;
    if (status == 503)
        rh.retry_after = HANDLER_RETRY_AFTER;

    const char *page_name = NULL;
    const struct file_info *page = error_page_for(h, status, &page_name);
    if (page != NULL) {
        rh.content_type = mime_type_for(page_name);
        rh.content_length = (int64_t)page->st.st_size;
        if (head_only || page->st.st_size == 0 || reply_file_body(page, 0, page->st.st_size, r) == 0) {
            reply_set_head(r, &rh);
            return;
        }
    }
    int n = response_error_body(status, r->body_buf, sizeof(r->body_buf));
    r->body = head_only ? NULL : r->body_buf;
    r->body_len = head_only ? 0 : (size_t)n;
    rh.content_type = "text/html";
    rh.content_length = n;
    reply_set_head(r, &rh);
}

void handler_reply_done(struct handler *h)
{
    file_cache_end(h->cache);
}

void handler_error(struct handler *h, int status, bool head_only, const char *date, struct reply *r)
{
    file_cache_begin(h->cache); /* an error page's answer is held until handler_reply_done() */
    reply_reset(r);
    r->close = true;
    reply_error(h, status, head_only, false, date, NULL, r);
}

/* True when the last segment of rel has a '.' after its first byte (an extension). */
static bool has_extension(const char *rel)
{
    const char *slash = strrchr(rel, '/');
    const char *last = slash ? slash + 1 : rel;
    return last[0] != '\0' && strchr(last + 1, '.') != NULL;
}

/* True when a is earlier than b, to the nanosecond. */
static bool timespec_before(const struct timespec *a, const struct timespec *b)
{
    return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/*
 * Returns the precompressed sibling (rel + suffix) of a file when it exists,
 * is a regular file and is not older than the file (mtim, compared to the
 * nanosecond: a sibling written half a second before its file is stale);
 * else NULL.
 */
static const struct file_info *fresh_sibling(struct handler *h, const char *rel, const char *suffix,
                                             const struct timespec *mtim, int64_t now)
{
    char name[PATH_MAX_DECODED + 8];
    if ((size_t)snprintf(name, sizeof(name), "%s%s", rel, suffix) >= sizeof(name))
        return NULL;
    const struct file_info *s = file_cache_get(h->cache, name, now);
    if (s->status != 0 || !S_ISREG(s->st.st_mode) || timespec_before(&s->st.st_mtim, mtim))
        return NULL; /* absent, or stale: it would serve old content */
    return s;
}

/*
 * A request's large buffers: the names it looks up and a head value.  Kept
 * apart from struct exchange, which handler_respond() initialises whole, so
 * that initialising it never clears 8 KB.
 */
struct exchange_buffers {
    struct path_result pr;                          /* the normalised path (the fallback's, once it applies) */
    char index_rel[PATH_MAX_DECODED + 72];          /* "dir/" + an --index name */
    char content_type[160];                         /* a type with --charset's "; charset=" */
    char content_range[96];                         /* a 206's or 416's Content-Range value */
    char cors[CORS_LINES_MAX];                      /* the answer's Access-Control-* and Vary lines */
    char request_path[PATH_MAX_DECODED + 2];        /* "/" + pr.rel (+ "/"): what --redirect rules match */
    char ext_rel[PATH_MAX_DECODED + PAGES_EXT_MAX]; /* pr.rel + a --try-ext extension: the clean URL's file */
    char location[sizeof(((struct redirect_rule *)0)->to) + HANDLER_LOCATION_MAX]; /* a --redirect answer's
                                                                                      Location: handler->location_cap of it is used */
    char etag[sizeof(((struct file_info *)0)->etag) + 12]; /* a variant's: the file's + "-gz", "-br", "-zst"; a
                                                               decoded answer's: + "-identity" */
    char served_path[PATH_MAX_DECODED + 72];               /* "/" + the served name: what rules match besides */
    char headers[PATH_HEADERS_MAX];                        /* the all-paths and matching rules' header lines */
};

/*
 * One request on its way through handler_respond(): what its steps share.
 * Each step reads what the steps before it settled and adds its part.
 */
struct exchange {
    struct handler *h;                    /* settings, root and file cache */
    const struct http_request_info *info; /* the request */
    struct reply *r;                      /* the answer being built */
    const char *date;                     /* the current IMF-fixdate */
    bool head_only;                       /* HEAD: the GET answer's head, no body */
    bool keep_alive;                      /* what the connection would like */
    int64_t now;                          /* monotonic ms, one reading for the request's lookups */
    struct exchange_buffers *buf;         /* handler_respond()'s, filled by the steps */
    const char *served;                   /* the name whose type is sent: buf->pr.rel or buf->index_rel */
    const struct file_info *fi;           /* the file to send (its sibling, once one is chosen) */
    const char *cors;                     /* CORS lines every answer carries, or NULL */
    struct compress_variant gz;           /* the variant made on the fly (len 0: none) */
    const char *vary;                     /* a Vary value the answer depends on besides the coding, or NULL */
    const char *asked;                    /* the request path --cache-control and --header rules match
                                             (before a fallback), or NULL: no rules, or no path yet */
    const struct precomp_form *only;      /* x->fi is the name's compressed form, its only file; or NULL */
    bool only_accepted;                   /* ...and the client accepts its coding */
};

/*
 * The header lines of an answer: the all-paths ones, with the lines of the
 * --header rules that match the request's path or file, the path of the
 * file that answers it (NULL for errors and listings); see
 * path_rules_headers().
 */
static const char *headers_for(const struct exchange *x, const char *file)
{
    const struct config *cfg = x->h->cfg;
    const char *all = cfg->headers.headers[0] ? cfg->headers.headers : NULL;
    if (cfg->headers.header_rules.count == 0 || x->asked == NULL)
        return all;
    return path_rules_headers(&cfg->headers.header_rules, all, x->asked, file, x->buf->headers,
                              sizeof(x->buf->headers));
}

/* Answers with an error status (see reply_error()); extra carries Allow, Location or Content-Range. */
static void answer_error(struct exchange *x, int status, const struct response_head *extra)
{
    struct response_head rh = {.content_length = -1};
    if (extra != NULL)
        rh = *extra;
    rh.cors = x->cors;
    rh.extra = headers_for(x, NULL);
    if (rh.vary == NULL)
        rh.vary = x->vary;
    reply_error(x->h, status, x->head_only, x->keep_alive, x->date, &rh, x->r);
}

/* The methods every resource here serves: the Allow of a 405 and of OPTIONS *. */
#define HANDLER_ALLOW "GET, HEAD"

/*
 * Answers 204 No Content with the all-paths headers, x's CORS lines and, when
 * allow is not NULL, an Allow line: a CORS preflight, or OPTIONS *.
 */
static void answer_no_content(struct exchange *x, const char *allow)
{
    const struct config *cfg = x->h->cfg;
    struct response_head rh = {.status = 204,
                               .server = x->h->server,
                               .date = x->date,
                               .content_length = -1,
                               .allow = allow,
                               .cors = x->cors,
                               .keep_alive = x->keep_alive,
                               .extra = cfg->headers.headers[0] ? cfg->headers.headers : NULL};
    x->r->status = 204;
    x->r->close = !x->keep_alive;
    reply_set_head(x->r, &rh);
}

/*
 * CORS (--cors-origins): settles the lines every answer carries; a
 * preflight from an allowed origin is answered here, 204 with the
 * Access-Control-* lines.  A preflight from any other origin is left to
 * refuse_method() (405, as without CORS).  Returns true when it answered.
 */
static bool cors_or_preflight(struct exchange *x)
{
    const struct config *cfg = x->h->cfg;
    if (!cors_enabled(&cfg->cors))
        return false;
    bool preflight = cors_preflight_allowed(&cfg->cors, x->info);
    if (cors_lines(&cfg->cors, x->info, preflight, x->buf->cors, sizeof(x->buf->cors)) > 0)
        x->cors = x->buf->cors;
    if (!preflight)
        return false;
    answer_no_content(x, NULL);
    return true;
}

/*
 * OPTIONS * (RFC 9110 section 9.3.7) asks about the server as a whole: 204
 * with the methods it serves, "GET, HEAD", the Allow that OPTIONS /path's
 * 405 carries (OPTIONS itself is no method of any resource here).
 * Returns true when it answered.
 */
static bool answer_options_asterisk(struct exchange *x)
{
    if (!x->info->asterisk)
        return false;
    answer_no_content(x, HANDLER_ALLOW);
    return true;
}

/*
 * Refuses methods other than GET and HEAD: 501 for one we do not know, 405
 * with Allow for a registered one (OPTIONS too, unless cors_or_preflight()
 * answered it).  Returns true when it answered.
 */
static bool refuse_method(struct exchange *x)
{
    if (x->info->method == HTTP_METHOD_UNKNOWN) {
        answer_error(x, 501, NULL);
        return true;
    }
    if (x->info->method == HTTP_METHOD_OTHER || x->info->method == HTTP_METHOD_OPTIONS) {
        struct response_head extra = {.allow = HANDLER_ALLOW, .content_length = -1};
        answer_error(x, 405, &extra);
        return true;
    }
    return false;
}

/*
 * The request's decoded, normalised path as the client named it: "/" +
 * buf->pr.rel, with its trailing '/' when it had one ("/" for the root),
 * what --redirect rules match and a listing's title shows.  Written into
 * buf->request_path.
 */
static const char *request_path(struct exchange *x)
{
    struct exchange_buffers *b = x->buf;
    bool root = strcmp(b->pr.rel, ".") == 0;
    /* the precision tells the compiler what path_normalize() guarantees: it fits */
    snprintf(b->request_path, sizeof(b->request_path), "/%.*s%s", (int)sizeof(b->pr.rel) - 1, root ? "" : b->pr.rel,
             b->pr.trailing_slash && !root ? "/" : "");
    return b->request_path;
}

/*
 * --redirect: matches the decoded, normalised path (buf->pr) against the
 * rules and answers the first that matches with its status and Location
 * (414 when that does not fit).  Returns true when it answered.
 */
static bool apply_redirects(struct exchange *x)
{
    if (x->h->cfg->redirects.count == 0)
        return false;
    struct exchange_buffers *b = x->buf;
    int status = redirect_find(&x->h->cfg->redirects, request_path(x), x->info->query, b->location, x->h->location_cap);
    if (status == 0)
        return false;
    struct response_head extra = {.location = status == 414 ? NULL : b->location, .content_length = -1};
    answer_error(x, status, &extra);
    return true;
}

/*
 * --try-ext: a missing name without a trailing slash is looked up with each
 * extension in turn (/about: about.html).  Makes the first regular file
 * found x->fi and x->served; returns true when one was.
 */
static bool try_extensions(struct exchange *x)
{
    const struct pages_config *pages = &x->h->cfg->pages;
    struct exchange_buffers *b = x->buf;
    if (pages->try_ext_count == 0 || b->pr.trailing_slash || strcmp(b->pr.rel, ".") == 0)
        return false;
    for (int i = 0; i < pages->try_ext_count; i++) {
        /* the precision tells the compiler what path_normalize() guarantees: it fits */
        snprintf(b->ext_rel, sizeof(b->ext_rel), "%.*s%s", (int)sizeof(b->pr.rel) - 1, b->pr.rel, pages->try_ext[i]);
        const struct file_info *fi = file_cache_get(x->h->cache, b->ext_rel, x->now);
        if (fi->status == 0 && S_ISREG(fi->st.st_mode)) {
            x->fi = fi;
            x->served = b->ext_rel;
            return true;
        }
    }
    return false;
}

/*
 * --fallback: a missing path under a fallback's prefix (the longest) is
 * answered with its page, the single-page app's shell, when its last
 * segment has no extension (a client-side route such as /users/42) or the
 * request is a browser's navigation (/users/john.doe typed in), so a
 * missing /app.js or /logo.png stays 404.  When the extension made the
 * difference, the answer (the page or the 404) varies with Accept and
 * Sec-Fetch-Mode.  Returns the status of the lookup that counts.
 */
static int open_fallback(struct exchange *x, const char *asked)
{
    struct handler *h = x->h;
    struct path_result *pr = &x->buf->pr;
    const struct fallback *f = pages_fallback_for(&h->cfg->pages, asked);
    if (f == NULL || h->fallback_rel[f - h->cfg->pages.fallbacks][0] == '\0')
        return 404;
    if (has_extension(pr->rel)) {
        x->vary = "Accept, Sec-Fetch-Mode";
        if (!http_is_navigation(x->info))
            return 404;
    }
    snprintf(pr->rel, sizeof(pr->rel), "%s", h->fallback_rel[f - h->cfg->pages.fallbacks]);
    pr->trailing_slash = false;
    x->fi = file_cache_get(h->cache, pr->rel, x->now);
    x->served = pr->rel;
    return x->fi->status;
}

/*
 * A missing name whose compressed form is there (page.html.gz, .br, .zst;
 * precomp_find()) is answered from it: makes it x->fi and x->only, the
 * name x->served (its type is the answer's); returns true when one was.
 */
static bool compressed_only(struct exchange *x)
{
    struct path_result *pr = &x->buf->pr;
    if (pr->trailing_slash || strcmp(pr->rel, ".") == 0)
        return false;
    const struct file_info *fi =
        precomp_find(x->h->cache, pr->rel, x->info->accept_encoding, x->now, &x->only, &x->only_accepted);
    if (fi == NULL)
        return false;
    x->fi = fi;
    x->served = pr->rel;
    return true;
}

/*
 * Opens what answers buf->pr.rel, in order: the name itself (a file, or a
 * folder: redirected to its slash, then its index); its compressed form
 * alone; the name with each --try-ext extension; the fallback; else 404.
 * Sets x->fi and x->served; returns the status of the lookup that counts:
 * 0 when open.
 */
static int open_target(struct exchange *x)
{
    struct path_result *pr = &x->buf->pr;
    x->fi = file_cache_get(x->h->cache, pr->rel, x->now);
    x->served = pr->rel;
    if (x->fi->status != 404 || compressed_only(x) || try_extensions(x))
        return x->fi->status;
    return x->h->cfg->pages.fallback_count > 0 ? open_fallback(x, request_path(x)) : 404;
}

/*
 * Writes "/" + rel (+ "/") and "?" + the request's query into out, as a
 * Location; returns false when it does not fit (414).
 */
static bool location_for(const struct exchange *x, const char *rel, bool slash, char *out, size_t cap)
{
    struct http_slice query = x->info->query;
    int n = strcmp(rel, ".") == 0 ? snprintf(out, cap, "/") : path_encode(rel, slash, out, cap);
    if (n < 0 || (query.len > 0 && (size_t)n + 1 + query.len >= cap))
        return false;
    if (query.len > 0) {
        out[n] = '?';
        memcpy(out + n + 1, query.p, query.len);
        out[n + 1 + query.len] = '\0';
    }
    return true;
}

/* True when rel names a regular file under the root. */
static bool is_file(struct exchange *x, const char *rel)
{
    const struct file_info *fi = file_cache_get(x->h->cache, rel, x->now);
    return fi->status == 0 && S_ISREG(fi->st.st_mode);
}

/*
 * The clean URL of buf->pr.rel, into stem, when serving it gives this very
 * file: "about" for "about.html" (an extension of --try-ext, no file or
 * folder named "about", and no earlier extension's file), "x/" for
 * "x/index.html" (the first index name of x that exists).  Returns 0 when
 * there is none, 1 for a name, 2 for a folder (stem without its '/').
 */
static int clean_url_of(struct exchange *x, char *stem, size_t cap)
{
    const struct pages_config *pages = &x->h->cfg->pages;
    const char *rel = x->buf->pr.rel;
    const char *slash = strrchr(rel, '/');
    const char *last = slash ? slash + 1 : rel;
    size_t dir_len = (size_t)(last - rel);
    int index = 0;
    while (index < pages->index_count && strcmp(last, pages->index_names[index]) != 0)
        index++;
    if (index < pages->index_count) { /* a folder's index file by name */
        for (int i = 0; i < index; i++) {
            snprintf(stem, cap, "%.*s%s", (int)dir_len, rel, pages->index_names[i]);
            if (is_file(x, stem))
                return 0; /* an earlier index name answers for the folder */
        }
        snprintf(stem, cap, "%.*s", dir_len > 0 ? (int)dir_len - 1 : 1, dir_len > 0 ? rel : ".");
        return 2;
    }
    size_t len = strlen(rel);
    for (int i = 0; i < pages->try_ext_count; i++) {
        size_t n = strlen(pages->try_ext[i]);
        if (len <= n || (size_t)(len - n) <= dir_len || strcmp(rel + len - n, pages->try_ext[i]) != 0)
            continue;
        snprintf(stem, cap, "%.*s", (int)(len - n), rel);
        if (file_cache_get(x->h->cache, stem, x->now)->status != 404)
            return 0; /* /about is a file or a folder of its own */
        char earlier[PATH_MAX_DECODED + PAGES_EXT_MAX];
        for (int j = 0; j < i; j++) {
            snprintf(earlier, sizeof(earlier), "%s%s", stem, pages->try_ext[j]);
            if (is_file(x, earlier))
                return 0; /* /about would be about.htm's, not this file's */
        }
        return 1;
    }
    return 0;
}

/*
 * --clean-urls-redirect: a request for a file by its name with the
 * extension, or for a folder's index file by name, is answered 301 with
 * its clean URL (/about.html -> /about, /x/index.html -> /x/), the query
 * kept.  Only for a file that is there, and whose clean URL serves it.
 * Returns true when it answered.
 */
static bool redirect_to_clean_url(struct exchange *x)
{
    struct exchange_buffers *b = x->buf;
    if (!x->h->cfg->pages.clean_urls_redirect || b->pr.trailing_slash || !is_file(x, b->pr.rel))
        return false;
    int kind = clean_url_of(x, b->ext_rel, sizeof(b->ext_rel));
    if (kind == 0)
        return false;
    char location[HANDLER_LOCATION_MAX];
    if (!location_for(x, b->ext_rel, kind == 2, location, sizeof(location))) {
        answer_error(x, 414, NULL);
        return true;
    }
    struct response_head extra = {.location = location, .content_length = -1};
    answer_error(x, 301, &extra);
    return true;
}

/*
 * Turns the request path into an open name under the root: normalised (400,
 * 414), redirected by a --redirect rule, not hidden (dot-files and dot-folders are 404 unless
 * --serve-dotfiles; /.well-known/ never is), redirected to its clean URL,
 * opened as open_target() says (the name, its extensions, the fallback).
 * Returns true when it answered (an error).
 */
static bool resolve_target(struct exchange *x)
{
    struct path_result *pr = &x->buf->pr;
    int status = path_normalize(x->info->path.p, x->info->path.len, pr);
    const struct config *cfg = x->h->cfg;
    if (status == 0 && (cfg->headers.cache_rules.count > 0 || cfg->headers.header_rules.count > 0))
        x->asked = request_path(x); /* before a fallback replaces pr->rel */
    if (status == 0 && apply_redirects(x))
        return true;
    if (status == 0 && !x->h->cfg->serve_dotfiles && path_is_hidden(pr->rel))
        status = 404;
    x->now = clock_mono_ms();
    if (status == 0 && redirect_to_clean_url(x))
        return true;
    if (status == 0)
        status = open_target(x);
    if (status != 0) {
        answer_error(x, status, NULL);
        return true;
    }
    return false;
}

/* Answers 301 to the directory's path with its slash, query kept; 414 when that Location does not fit. */
static void redirect_to_directory(struct exchange *x)
{
    char location[HANDLER_LOCATION_MAX];
    if (!location_for(x, x->buf->pr.rel, true, location, sizeof(location))) {
        answer_error(x, 414, NULL);
        return;
    }
    struct response_head extra = {.location = location, .content_length = -1};
    answer_error(x, 301, &extra);
}

/*
 * --autoindex: answers a folder without an index file (dir, still pinned by
 * the request's scope) with its listing: HTML, or JSON when the client
 * accepts application/json; sent from an in-memory file like any file.  A
 * listing cut short by a bound (autoindex_render()) carries
 * "X-Listing-Truncated: true", the JSON form's only sign of it.
 */
static void answer_listing(struct exchange *x, const struct file_info *dir)
{
    struct autoindex_view v = {.title_path = request_path(x),
                               .json = autoindex_wants_json(x->info->accept),
                               .show_dotfiles = x->h->cfg->serve_dotfiles,
                               .max_entries = AUTOINDEX_ENTRIES_MAX};
    autoindex_parse_query(x->info->query, &v);
    struct autoindex_result res;
    int fd = autoindex_render(dir->fd, &v, &res);
    LOG_DEBUG("autoindex: %s: %zu entries read, %zu looked up, %zu listed%s", v.title_path, res.read, res.looked_up,
              res.listed, res.truncated ? ", truncated" : "");
    if (fd < 0) {
        if (res.status == 503)
            x->keep_alive = false;
        answer_error(x, res.status, NULL);
        return;
    }
    int64_t len = res.len;
    struct response_head rh = {.status = 200,
                               .server = x->h->server,
                               .date = x->date,
                               .content_type = v.json ? "application/json" : "text/html; charset=utf-8",
                               .content_length = len,
                               .vary = "Accept",
                               .cors = x->cors,
                               .listing_truncated = res.truncated,
                               .extra = headers_for(x, NULL),
                               .keep_alive = x->keep_alive};
    x->r->status = 200;
    x->r->close = !x->keep_alive;
    if (x->head_only || len == 0) {
        close(fd);
    } else {
        x->r->fd = fd;
        x->r->offset = 0;
        x->r->length = len;
    }
    reply_set_head(x->r, &rh);
}

/*
 * A directory named without its slash is redirected; with it, its
 * index.html is served (403 without one, or its listing with --autoindex).  A file
 * named with a trailing slash ("/page.html/") is 404, anything but a regular
 * file (FIFO, device, socket) 403.  Returns true when it answered.
 */
static bool directory_or_index(struct exchange *x)
{
    struct exchange_buffers *b = x->buf;
    int status = 0;
    if (S_ISDIR(x->fi->st.st_mode)) {
        if (!b->pr.trailing_slash) {
            redirect_to_directory(x);
            return true;
        }
        const struct file_info *dir = x->fi;
        x->served = b->index_rel;
        for (int i = 0; i < x->h->cfg->pages.index_count; i++) { /* the first index name that exists */
            /* the precision tells the compiler what path_normalize() guarantees: it fits */
            snprintf(b->index_rel, sizeof(b->index_rel), "%.*s/%s", (int)sizeof(b->pr.rel) - 1, b->pr.rel,
                     x->h->cfg->pages.index_names[i]);
            x->fi = file_cache_get(x->h->cache, b->index_rel, x->now);
            if (x->fi->status != 404)
                break;
        }
        if (x->fi->status == 404 && x->h->cfg->autoindex) {
            answer_listing(x, dir);
            return true;
        }
        if (x->fi->status != 0)
            status = x->fi->status == 404 ? 403 : x->fi->status;
    } else if (b->pr.trailing_slash) {
        status = 404;
    }
    if (status == 0 && !S_ISREG(x->fi->st.st_mode))
        status = 403;
    if (status != 0) {
        answer_error(x, status, NULL);
        return true;
    }
    return false;
}

/*
 * True when x->fi may be compressed on the fly (--compress): a type in
 * --compress-types and a size from --compress-min-size to
 * --compress-max-size.
 */
static bool fly_fits(const struct exchange *x)
{
    const struct config *cfg = x->h->cfg;
    int64_t size = (int64_t)x->fi->st.st_size;
    return x->h->gzip != NULL && size >= cfg->compress.min_size && size <= cfg->compress.max_size &&
           compress_type_listed(cfg->compress.types, mime_type_for(x->served));
}

/*
 * The codings in the order that breaks ties: --compress's list, then the
 * others (which only a precompressed sibling can provide).  Returns how many (CODING_COUNT).
 */
static size_t offer_order(const struct config *cfg, int *order)
{
    size_t n = 0;
    for (int i = 0; i < cfg->compress.n_codings; i++)
        order[n++] = cfg->compress.codings[i];
    for (int c = 0; c < CODING_COUNT; c++) {
        bool listed = false;
        for (size_t i = 0; i < n; i++)
            listed = listed || order[i] == c;
        if (!listed)
            order[n++] = c;
    }
    return n;
}

/*
 * The variant of x->fi in coding made on the fly: from the cache (shared
 * or the worker's), compressed now on a miss (HEAD looks it up too, for
 * GET's Content-Length), or by a child for a big file (then the file goes
 * out as it is this time).  Makes it x->gz, its ETag (the file's with the
 * coding's tag inside the quotes) buf->etag, and returns the coding's
 * name; or NULL (the file itself).
 */
static const char *compress_on_the_fly(struct exchange *x, int coding)
{
    struct handler *h = x->h;
    const struct file_info *fi = x->fi;
    struct compress_request rq = {.coding = coding,
                                  .level = h->cfg->compress.levels[coding],
                                  .st = &fi->st,
                                  .data = fi->data,
                                  .fd = fi->fd,
                                  .name = x->served,
                                  .turn = h->turn};
    enum compress_outcome o = compress_get(h->gzip, &rq, &x->gz);
    x->r->gzip_cache_bytes = (int64_t)compress_cache_bytes(h->gzip);
    x->r->gzip_turn_max = compress_turn_bytes_max(h->gzip);
    x->r->gzip_evicted = x->gz.evicted;
    x->r->gzip_unstable = o == COMPRESS_UNSTABLE;
    x->r->gzip_made = o == COMPRESS_MADE || o == COMPRESS_STARTED;
    if (o != COMPRESS_HIT && o != COMPRESS_MADE) {
        x->gz.len = 0;
        return NULL;
    }
    x->r->gzip_hit = o == COMPRESS_HIT;
    size_t n = strlen(fi->etag); /* "...": the tag goes before the closing quote */
    snprintf(x->buf->etag, sizeof(x->buf->etag), "%.*s%s\"", (int)(n > 0 ? n - 1 : 0), fi->etag,
             coding_etag_tag(coding));
    return coding_name(coding);
}

/*
 * Picks the coding of the answer (RFC 9110 negotiation, accept_coding.h)
 * among what this file has: a fresh precompressed sibling smaller than the
 * file, or a variant made on the fly.  A request with Range gets the file
 * itself (a range is of the identity file, as nginx does).  A sibling
 * becomes x->fi; returns the coding's name, or NULL (the file itself).
 */
static const char *choose_encoding(struct exchange *x)
{
    struct http_slice ae = x->info->accept_encoding;
    if (ae.p == NULL || x->info->range.p != NULL)
        return NULL;
    int order[CODING_COUNT];
    const char *names[CODING_COUNT];
    const struct file_info *sib[CODING_COUNT];
    bool usable[CODING_COUNT];
    size_t n = offer_order(x->h->cfg, order);
    bool fly = fly_fits(x);
    for (size_t i = 0; i < n; i++) {
        names[i] = coding_name(order[i]);
        sib[i] = NULL;
        usable[i] = false;
        if (accept_coding_quality(ae, names[i]) == 0)
            continue; /* refused: no need to look for its sibling */
        sib[i] = fresh_sibling(x->h, x->served, coding_suffix(order[i]), &x->fi->st.st_mtim, x->now);
        if (sib[i] != NULL && sib[i]->st.st_size >= x->fi->st.st_size)
            sib[i] = NULL; /* not smaller than the file: ignored */
        usable[i] = sib[i] != NULL || (fly && (int)i < x->h->cfg->compress.n_codings);
    }
    int pick = accept_coding_choose(ae, names, usable, n);
    if (pick < 0)
        return NULL;
    if (sib[pick] != NULL) {
        x->fi = sib[pick];
        return names[pick];
    }
    return compress_on_the_fly(x, order[pick]);
}

/*
 * The Content-Type for name: its media type, with "; charset=" and
 * --charset appended for text types (text/..., JavaScript, JSON, XML, SVG,
 * the web manifest) when one is set.  Uses buf only then.
 */
static const char *content_type_for(const struct config *cfg, const char *name, char *buf, size_t cap)
{
    const char *type = mime_type_for(name);
    if (cfg->mime.charset[0] == '\0')
        return type;
    size_t n = strlen(type);
    bool text = strncmp(type, "text/", 5) == 0 || strcmp(type, "application/javascript") == 0 ||
                strcmp(type, "image/svg+xml") == 0 || strcmp(type, "application/manifest+json") == 0 ||
                (n >= 4 && (strcmp(type + n - 4, "json") == 0 || strcmp(type + n - 3, "xml") == 0));
    if (!text || strchr(type, ';') != NULL)
        return type;
    snprintf(buf, cap, "%s; charset=%s", type, cfg->mime.charset);
    return buf;
}

/*
 * The path of the file that answers, "/" + x->served ("/index.html" for
 * "/" or a fallback route), which rules match besides the request's; NULL
 * without rules.
 */
static const char *served_path(const struct exchange *x)
{
    if (x->asked == NULL)
        return NULL;
    const char *name = strncmp(x->served, "./", 2) == 0 ? x->served + 2 : x->served; /* the root's index */
    snprintf(x->buf->served_path, sizeof(x->buf->served_path), "/%s", name);
    return x->buf->served_path;
}

/*
 * The Cache-Control of a file answer: the first --cache-control rule that
 * matches the request's path or the file's, else the plain value; NULL
 * for none (an empty rule value included).
 */
static const char *cache_control_for(const struct exchange *x, const char *file)
{
    const struct config *cfg = x->h->cfg;
    const char *v = x->asked ? path_rules_first(&cfg->headers.cache_rules, x->asked, file) : NULL;
    if (v == NULL)
        v = cfg->headers.cache_control;
    return v[0] != '\0' ? v : NULL;
}

/* Fills the head of a file answer: type (of the name asked for), coding, validators, configured headers. */
static void fill_head(const struct exchange *x, const char *coding, struct response_head *rh)
{
    const struct config *cfg = x->h->cfg;
    const char *file = served_path(x);
    memset(rh, 0, sizeof(*rh));
    rh->server = x->h->server;
    rh->date = x->date;
    rh->content_type = content_type_for(cfg, x->served, x->buf->content_type, sizeof(x->buf->content_type));
    rh->content_encoding = coding;
    rh->etag = x->fi->etag;
    rh->last_modified = x->fi->last_modified;
    /* a range is of the file as it is: a coded answer offers none, unless the coded file is all there is */
    rh->accept_ranges = coding == NULL || x->only != NULL;
    rh->vary_accept_encoding = true;
    rh->cache_control = cache_control_for(x, file);
    rh->extra = headers_for(x, file);
    rh->cors = x->cors;
    rh->vary = x->vary;
    rh->keep_alive = x->keep_alive;
}

/* Answers 304 with rh's validators: no type, length or body. */
static void answer_not_modified(struct exchange *x, struct response_head *rh)
{
    x->r->status = rh->status = 304;
    rh->content_type = NULL;
    rh->content_length = -1;
    rh->accept_ranges = false;
    reply_set_head(x->r, rh);
}

/*
 * Settles which bytes of x->fi to send: one satisfiable Range (when If-Range
 * holds) gives 206 and its Content-Range, none or an ignored one 200 and the
 * whole file; sets *first, *len and rh's status and length.  An unsatisfiable
 * Range is answered with 416: then it returns true.
 */
static bool apply_range(struct exchange *x, struct response_head *rh, int64_t *first, int64_t *len)
{
    const struct file_info *fi = x->fi;
    char *content_range = x->buf->content_range;
    size_t cap = sizeof(x->buf->content_range);
    int64_t size = (int64_t)fi->st.st_size;
    enum http_range ro = HTTP_RANGE_IGNORE;
    *first = 0;
    *len = size;
    if (x->info->range.p != NULL && http_if_range_holds(x->info->if_range, fi->etag, fi->st.st_mtime))
        ro = http_range_parse(x->info->range, size, first, len);
    if (ro == HTTP_RANGE_UNSATISFIABLE) {
        snprintf(content_range, cap, "bytes */%" PRId64, size);
        struct response_head extra = {.content_range = content_range, .content_length = -1};
        answer_error(x, 416, &extra);
        return true;
    }
    if (ro == HTTP_RANGE_SATISFIABLE) {
        x->r->status = rh->status = 206;
        snprintf(content_range, cap, "bytes %" PRId64 "-%" PRId64 "/%" PRId64, *first, *first + *len - 1, size);
        rh->content_range = content_range;
    } else {
        x->r->status = rh->status = 200;
    }
    rh->content_length = *len;
    return false;
}

/*
 * Points the reply at len bytes from first of a body in memory (data) or
 * open on fd (nothing for HEAD) and formats its head; 503 (then close) when
 * no descriptor is left for the body.
 */
static void attach_body(struct exchange *x, struct response_head *rh, const char *data, int fd, int64_t first,
                        int64_t len)
{
    if (!x->head_only && len > 0 && reply_body_from(data, fd, first, len, x->r) < 0) {
        x->keep_alive = false;
        answer_error(x, 503, NULL); /* out of descriptors */
        return;
    }
    reply_set_head(x->r, rh);
}

/*
 * Points the reply at the gzip variant x->gz, 200 (nothing for HEAD): from
 * memory, or from a duplicate of its memfd (the cache may drop its own
 * while this one is sent); 503 (then close) when no descriptor is left.
 */
static void attach_variant(struct exchange *x, struct response_head *rh)
{
    x->r->status = rh->status = 200;
    rh->content_length = x->gz.len;
    attach_body(x, rh, x->gz.data, x->gz.fd, 0, x->gz.len);
    if (!x->head_only && x->r->status == 200) /* its body is sent: count the bytes it saves */
        x->r->gzip_saved = (int64_t)x->fi->st.st_size - x->gz.len;
}

/*
 * Answers a client that does not accept the coding of x->fi, the name's
 * only file, with it decoded while it is sent: 200 whatever the Range,
 * chunked (HTTP/1.1; HEAD says so, without a length) or ended by the close
 * (HTTP/1.0), its ETag the compressed file's with "-identity"; 412 or 304
 * by that ETag; 503 (then close) when the worker decodes DECODE_ACTIVE_MAX
 * files already or no descriptor is left.
 */
static void answer_decoded(struct exchange *x)
{
    struct response_head rh;
    bool chunked = x->info->minor_version >= 1;
    if (!chunked)
        x->keep_alive = false; /* the close ends the body */
    fill_head(x, NULL, &rh);
    precomp_identity_etag(x->fi, x->buf->etag, sizeof(x->buf->etag));
    rh.etag = x->buf->etag;
    rh.accept_ranges = false;
    rh.content_length = -1;
    x->r->close = !x->keep_alive;
    enum http_precondition pre = http_preconditions(x->info, rh.etag, x->fi->st.st_mtime);
    if (pre == HTTP_PRE_FAILED) {
        answer_error(x, 412, NULL);
        return;
    }
    if (pre == HTTP_PRE_NOT_MODIFIED) {
        answer_not_modified(x, &rh);
        return;
    }
    struct reply_stream s;
    if (!x->head_only && precomp_stream(x->fi, x->only, x->served, &x->h->decode_hook, chunked, &s) < 0) {
        LOG_WARN("decode: /%s: not decoded: %s", x->served, strerror(errno));
        x->keep_alive = false;
        answer_error(x, 503, NULL);
        return;
    }
    if (!x->head_only)
        reply_body_stream(x->r, &s);
    x->r->decoded = !x->head_only;
    x->r->status = rh.status = 200;
    rh.chunked = chunked;
    reply_set_head(x->r, &rh);
}

/*
 * Answers with the file x->fi (or its fresh precompressed sibling, or its
 * gzip variant, or the compressed form that is the name's only file): 412 when If-Match or If-Unmodified-Since fails, 304 when
 * the client's copy is current, else 416, 206 or 200 with the bytes to send.
 */
static void serve_file(struct exchange *x)
{
    struct response_head rh;
    int64_t first = 0, len = 0;
    if (x->only != NULL && !x->only_accepted) {
        answer_decoded(x);
        return;
    }
    const char *coding = x->only != NULL ? x->only->coding : choose_encoding(x);
    fill_head(x, coding, &rh);
    if (x->gz.len > 0)
        rh.etag = x->buf->etag;
    x->r->close = !x->keep_alive;
    enum http_precondition pre = http_preconditions(x->info, rh.etag, x->fi->st.st_mtime);
    if (pre == HTTP_PRE_FAILED)
        answer_error(x, 412, NULL);
    else if (pre == HTTP_PRE_NOT_MODIFIED)
        answer_not_modified(x, &rh);
    else if (x->gz.len > 0)
        attach_variant(x, &rh);
    else if (!apply_range(x, &rh, &first, &len))
        attach_body(x, &rh, x->fi->data, x->fi->fd, first, len);
}

void handler_respond(struct handler *h, int rc, const struct http_request_info *info, bool keep_alive, const char *date,
                     struct reply *r)
{
    struct exchange_buffers buf;
    struct exchange x = {.h = h,
                         .info = info,
                         .r = r,
                         .date = date,
                         .buf = &buf,
                         .head_only = info->method == HTTP_METHOD_HEAD,
                         .keep_alive = keep_alive};
    file_cache_begin(h->cache); /* every answer it gives is held until handler_reply_done() */
    reply_reset(r);
    if (rc != 0) {
        answer_error(&x, rc, NULL); /* the parser's or http_request_interpret()'s verdict */
        return;
    }
    /* Each step either answers, which ends the request, or hands on to the next. */
    if (cors_or_preflight(&x) || answer_options_asterisk(&x) || refuse_method(&x) || resolve_target(&x) ||
        directory_or_index(&x))
        return;
    serve_file(&x);
}
