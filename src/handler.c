/*
 * handler.c - see handler.h.
 */
#include "compat.h"

#include "handler.h"

#include "clock.h"

#include "log.h"
#include "mime.h"
#include "path.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>


/* Most digits we read in a byte position: 10^18 bytes is far past any file. */
#define RANGE_DIGITS_MAX 18
/* Retry-After on a 503 (out of descriptors or memory), in seconds: they free up as connections close. */
#define HANDLER_RETRY_AFTER "1"

int handler_init(struct handler *h, const struct config *cfg)
{
    h->cfg = cfg;
    h->cache = NULL;
    h->root_checked_ms = clock_mono_ms();
    h->root_warned = false;
    snprintf(h->server, sizeof(h->server), "otuserver/%s", OTU_VERSION);
    if (file_root_open(&h->root, cfg->root) < 0)
        return -1;
    if (h->root.walk)
        LOG_INFO("worker: openat2 is not available; names are resolved one component at a time");
    h->fallback_rel[0] = '\0';
    if (cfg->fallback[0] != '\0') {
        struct path_result pr;
        if (path_normalize(cfg->fallback, strlen(cfg->fallback), &pr) == 0)
            snprintf(h->fallback_rel, sizeof(h->fallback_rel), "%s", pr.rel);
    }
    h->cache = file_cache_new(&h->root, cfg->file_cache_entries > 0 ? (size_t)cfg->file_cache_entries : 0,
                              cfg->file_cache_entries > 0);
    if (h->cache == NULL) {
        file_root_close(&h->root);
        return -1;
    }
    return 0;
}

void handler_free(struct handler *h)
{
    file_cache_free(h->cache);
    h->cache = NULL;
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

/* Forgets any body r was to carry, closing its descriptor when it has one. */
static void reply_drop_body(struct reply *r)
{
    if (r->fd >= 0)
        close(r->fd);
    r->fd = -1;
    r->offset = 0;
    r->length = 0;
    r->body = NULL;
    r->body_len = 0;
}

/*
 * Starts a reply: no status, head or body yet.  What r held is overwritten,
 * never closed: a descriptor left in it is the caller's (see struct reply).
 */
static void reply_reset(struct reply *r)
{
    r->fd = -1;
    reply_drop_body(r);
    r->status = 0;
    r->close = false;
    r->head_len = 0;
}

/* Formats rh into r->head; an overflow (never expected) degrades to a bare 500. */
static void reply_set_head(struct reply *r, struct response_head *rh)
{
    int n = response_format_head(rh, r->head, sizeof(r->head));
    if (n < 0) {
        n = snprintf(r->head, sizeof(r->head),
                     "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n"
                     "Connection: close\r\n\r\n");
        r->close = true;
        reply_drop_body(r);
    }
    r->head_len = (size_t)n;
}

/* Returns the configured error page for status when it can be served, else NULL. */
static const struct file_info *error_page_for(struct handler *h, int status, const char **name)
{
    for (int i = 0; i < h->cfg->error_page_count; i++) {
        const struct config_error_page *e = &h->cfg->error_pages[i];
        if (e->status != status)
            continue;
        struct path_result pr;
        if (path_normalize(e->path, strlen(e->path), &pr) != 0)
            return NULL;
        const struct file_info *fi = file_cache_get(h->cache, pr.rel, clock_mono_ms());
        if (fi->status != 0 || !S_ISREG(fi->st.st_mode))
            return NULL; /* missing page: the built-in one is better than nothing */
        *name = e->path;
        return fi;
    }
    return NULL;
}

/* Sets the body of r to len bytes of fi from first: from memory, or from a dup'ed descriptor. */
static int reply_file_body(const struct file_info *fi, int64_t first, int64_t len, struct reply *r)
{
    if (fi->data != NULL) {
        r->body = fi->data + first; /* small file: from memory, with the head */
        r->body_len = (size_t)len;
        return 0;
    }
    /* The cache keeps its descriptor; the connection sends from its own. */
    r->fd = fcntl(fi->fd, F_DUPFD_CLOEXEC, 0);
    if (r->fd < 0)
        return -1;
    r->offset = first;
    r->length = len;
    return 0;
}

/* Fills an error answer; extra fields (Allow, Content-Range, Location) come through rh_extra. */
static void reply_error(struct handler *h, int status, bool head_only, bool keep_alive,
                        const char *date, const struct response_head *rh_extra, struct reply *r)
{
    reply_drop_body(r);
    r->status = status;
    /* After a syntax error or a timeout the stream cannot be trusted: close it. */
    bool fatal = status == 400 || status == 408 || status == 414 || status == 431 ||
                 status == 500 || status == 501 || status == 503 || status == 505;
    r->close = r->close || fatal || !keep_alive;

    struct response_head rh;
    if (rh_extra)
        rh = *rh_extra;
    else
        memset(&rh, 0, sizeof(rh));
    rh.status = status;
    rh.server = h->server;
    rh.date = date;
    rh.extra = h->cfg->headers[0] ? h->cfg->headers : NULL;
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

void handler_error(struct handler *h, int status, bool head_only, const char *date,
                   struct reply *r)
{
    reply_reset(r);
    r->close = true;
    reply_error(h, status, head_only, false, date, NULL, r);
}

/*
 * Weak comparison of our ETag against an If-None-Match list (RFC 9110
 * section 13.1.2): "*" matches any current representation; W/ is ignored.
 */
static bool if_none_match_hits(struct http_slice v, const char *etag)
{
    size_t etag_len = strlen(etag);
    size_t i = 0;
    while (i < v.len) {
        char c = v.p[i];
        if (c == ' ' || c == '\t' || c == ',') {
            i++;
            continue;
        }
        if (c == '*')
            return true;
        if (c == 'W' && i + 1 < v.len && v.p[i + 1] == '/')
            i += 2;
        if (i >= v.len || v.p[i] != '"')
            return false; /* malformed list: no match, serve normally */
        size_t start = i++;
        while (i < v.len && v.p[i] != '"')
            i++;
        if (i >= v.len)
            return false;
        i++;
        if (i - start == etag_len && memcmp(v.p + start, etag, etag_len) == 0)
            return true;
    }
    return false;
}

/* If-Range (RFC 9110 section 13.1.5): true when the Range may be honoured. */
static bool if_range_holds(struct http_slice v, const char *etag, time_t mtime)
{
    if (v.p == NULL)
        return true;
    if (v.len > 0 && v.p[0] == '"')
        return v.len == strlen(etag) && memcmp(v.p, etag, v.len) == 0; /* strong comparison */
    if (v.len > 1 && v.p[0] == 'W' && v.p[1] == '/')
        return false; /* a weak tag never satisfies If-Range */
    time_t t = http_date_parse(v.p, v.len);
    return t != (time_t)-1 && t == mtime;
}

/* Reads up to RANGE_DIGITS_MAX digits at *i; returns the number or -1. */
static int64_t take_number(struct http_slice v, size_t *i)
{
    size_t start = *i;
    int64_t n = 0;
    while (*i < v.len && v.p[*i] >= '0' && v.p[*i] <= '9') {
        if (*i - start >= RANGE_DIGITS_MAX)
            return -1;
        n = n * 10 + (v.p[*i] - '0');
        (*i)++;
    }
    return *i == start ? -1 : n;
}

enum range_outcome {
    RANGE_IGNORE,       /* absent, malformed or several ranges: send the whole file */
    RANGE_SATISFIABLE,  /* one range: 206 */
    RANGE_UNSATISFIABLE /* 416 */
};

/*
 * Parses "bytes=a-b", "bytes=a-" or "bytes=-n" against a file of size bytes.
 * Several ranges are answered with the whole file (RFC 9110 allows it), which
 * also makes "bytes=0-0,0-0,..." amplification impossible.
 */
static enum range_outcome parse_range(struct http_slice v, int64_t size, int64_t *first,
                                      int64_t *len)
{
    if (v.len < 6 || strncasecmp(v.p, "bytes=", 6) != 0)
        return RANGE_IGNORE;
    size_t i = 6;
    while (i < v.len && (v.p[i] == ' ' || v.p[i] == '\t'))
        i++;
    int64_t a = -1, b = -1;
    if (i < v.len && v.p[i] == '-') {
        i++;
        int64_t suffix = take_number(v, &i);
        if (suffix < 0)
            return RANGE_IGNORE;
        while (i < v.len && (v.p[i] == ' ' || v.p[i] == '\t'))
            i++;
        if (i != v.len)
            return RANGE_IGNORE;
        if (suffix == 0 || size == 0)
            return RANGE_UNSATISFIABLE;
        a = suffix >= size ? 0 : size - suffix;
        b = size - 1;
    } else {
        a = take_number(v, &i);
        if (a < 0 || i >= v.len || v.p[i] != '-')
            return RANGE_IGNORE;
        i++;
        if (i < v.len && v.p[i] >= '0' && v.p[i] <= '9') {
            b = take_number(v, &i);
            if (b < 0 || b < a)
                return RANGE_IGNORE;
        }
        while (i < v.len && (v.p[i] == ' ' || v.p[i] == '\t'))
            i++;
        if (i != v.len)
            return RANGE_IGNORE; /* a second range, or junk */
        if (a >= size)
            return RANGE_UNSATISFIABLE;
        if (b < 0 || b >= size)
            b = size - 1;
    }
    *first = a;
    *len = b - a + 1;
    return RANGE_SATISFIABLE;
}

/* True when an Accept-Encoding value accepts coding (by name or "*") with q > 0. */
static bool accepts_encoding(struct http_slice v, const char *coding)
{
    size_t n = strlen(coding);
    size_t i = 0;
    bool star = false, named = false, named_ok = false;
    while (i < v.len) {
        while (i < v.len && (v.p[i] == ' ' || v.p[i] == '\t' || v.p[i] == ','))
            i++;
        size_t start = i;
        while (i < v.len && v.p[i] != ',' && v.p[i] != ';' && v.p[i] != ' ' && v.p[i] != '\t')
            i++;
        size_t tok_len = i - start;
        bool zero_q = false;
        /* parameters: only q matters; "q=0", "q=0.0", "q=0.000" refuse */
        while (i < v.len && v.p[i] != ',') {
            if ((v.p[i] == 'q' || v.p[i] == 'Q') && i + 1 < v.len && v.p[i + 1] == '=') {
                size_t k = i + 2;
                zero_q = k < v.len && v.p[k] == '0';
                for (k++; zero_q && k < v.len && v.p[k] != ',' && v.p[k] != ';'; k++) {
                    if (v.p[k] != '.' && v.p[k] != '0' && v.p[k] != ' ')
                        zero_q = false;
                }
            }
            i++;
        }
        if (tok_len == n && strncasecmp(v.p + start, coding, n) == 0) {
            named = true;
            named_ok = !zero_q;
        } else if (tok_len == 1 && v.p[start] == '*') {
            star = !zero_q;
        }
    }
    return named ? named_ok : star;
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

void handler_respond(struct handler *h, int rc, const struct http_request_info *info,
                     bool keep_alive, const char *date, struct reply *r)
{
    reply_reset(r);
    bool head_only = info->method == HTTP_METHOD_HEAD;
    if (rc != 0) {
        reply_error(h, rc, head_only, keep_alive, date, NULL, r);
        return;
    }
    if (info->method == HTTP_METHOD_UNKNOWN) {
        reply_error(h, 501, false, keep_alive, date, NULL, r);
        return;
    }
    if (info->method == HTTP_METHOD_OTHER) {
        struct response_head extra = {.allow = "GET, HEAD", .content_length = -1};
        reply_error(h, 405, false, keep_alive, date, &extra, r);
        return;
    }

    struct path_result pr;
    int status = path_normalize(info->path.p, info->path.len, &pr);
    if (status == 0 && !h->cfg->serve_dotfiles && path_is_hidden(pr.rel))
        status = 404;
    int64_t now = clock_mono_ms();
    const struct file_info *fi = NULL;
    if (status == 0) {
        fi = file_cache_get(h->cache, pr.rel, now);
        status = fi->status;
        if (status == 404 && h->fallback_rel[0] != '\0' && !has_extension(pr.rel)) {
            /* a client-side route such as /users/42: the single-page app's shell */
            snprintf(pr.rel, sizeof(pr.rel), "%s", h->fallback_rel);
            pr.trailing_slash = false;
            fi = file_cache_get(h->cache, pr.rel, now);
            status = fi->status;
        }
    }
    if (status != 0) {
        reply_error(h, status, head_only, keep_alive, date, NULL, r);
        return;
    }

    const char *served = pr.rel;
    char index_rel[PATH_MAX_DECODED + 16];
    if (S_ISDIR(fi->st.st_mode)) {
        if (!pr.trailing_slash) {
            char location[HANDLER_LOCATION_MAX];
            int n = path_encode(pr.rel, true, location, sizeof(location));
            if (n < 0 || (info->query.len > 0 &&
                          (size_t)n + 1 + info->query.len >= sizeof(location))) {
                reply_error(h, 414, head_only, keep_alive, date, NULL, r);
                return;
            }
            if (info->query.len > 0) {
                location[n] = '?';
                memcpy(location + n + 1, info->query.p, info->query.len);
                location[n + 1 + info->query.len] = '\0';
            }
            struct response_head extra = {.location = location, .content_length = -1};
            reply_error(h, 301, head_only, keep_alive, date, &extra, r);
            return;
        }
        snprintf(index_rel, sizeof(index_rel), "%s/index.html", pr.rel);
        served = index_rel;
        fi = file_cache_get(h->cache, index_rel, now);
        if (fi->status != 0) {
            reply_error(h, fi->status == 404 ? 403 : fi->status, head_only, keep_alive, date, NULL, r);
            return;
        }
    } else if (pr.trailing_slash) {
        reply_error(h, 404, head_only, keep_alive, date, NULL, r); /* "/page.html/" */
        return;
    }
    if (!S_ISREG(fi->st.st_mode)) {
        reply_error(h, 403, head_only, keep_alive, date, NULL, r); /* FIFOs, devices, sockets */
        return;
    }

    struct response_head rh;
    memset(&rh, 0, sizeof(rh));
    rh.content_type = mime_type_for(served);
    rh.vary_accept_encoding = true;
    if (info->accept_encoding.p != NULL) {
        const struct file_info *sib = NULL;
        if (accepts_encoding(info->accept_encoding, "br") &&
            (sib = fresh_sibling(h, served, ".br", &fi->st.st_mtim, now)) != NULL)
            rh.content_encoding = "br";
        else if (accepts_encoding(info->accept_encoding, "gzip") &&
                 (sib = fresh_sibling(h, served, ".gz", &fi->st.st_mtim, now)) != NULL)
            rh.content_encoding = "gzip";
        if (sib != NULL)
            fi = sib;
    }

    char content_range[96];
    const struct stat st = fi->st;
    const char *etag = fi->etag;
    rh.server = h->server;
    rh.date = date;
    rh.etag = etag;
    rh.last_modified = fi->last_modified;
    rh.accept_ranges = true;
    rh.cache_control = h->cfg->cache_control[0] ? h->cfg->cache_control : NULL;
    rh.extra = h->cfg->headers[0] ? h->cfg->headers : NULL;
    r->close = !keep_alive;
    rh.keep_alive = keep_alive;

    /* RFC 9110 section 13.2.2: If-None-Match first; If-Modified-Since only without it. */
    bool not_modified = false;
    if (info->if_none_match.p != NULL) {
        not_modified = if_none_match_hits(info->if_none_match, etag);
    } else if (info->if_modified_since.p != NULL) {
        time_t ims = http_date_parse(info->if_modified_since.p, info->if_modified_since.len);
        not_modified = ims != (time_t)-1 && st.st_mtime <= ims;
    }
    if (not_modified) {
        r->status = rh.status = 304;
        rh.content_type = NULL;
        rh.content_length = -1;
        rh.accept_ranges = false;
        reply_set_head(r, &rh);
        return;
    }

    int64_t size = (int64_t)st.st_size, first = 0, len = size;
    enum range_outcome ro = RANGE_IGNORE;
    if (info->range.p != NULL && if_range_holds(info->if_range, etag, st.st_mtime))
        ro = parse_range(info->range, size, &first, &len);
    if (ro == RANGE_UNSATISFIABLE) {
        snprintf(content_range, sizeof(content_range), "bytes */%" PRId64, size);
        struct response_head extra = {.content_range = content_range, .content_length = -1};
        reply_error(h, 416, head_only, keep_alive, date, &extra, r);
        return;
    }
    if (ro == RANGE_SATISFIABLE) {
        r->status = rh.status = 206;
        snprintf(content_range, sizeof(content_range), "bytes %" PRId64 "-%" PRId64 "/%" PRId64,
                 first, first + len - 1, size);
        rh.content_range = content_range;
    } else {
        r->status = rh.status = 200;
    }
    rh.content_length = len;
    if (!head_only && len > 0 && reply_file_body(fi, first, len, r) < 0) {
        reply_error(h, 503, head_only, false, date, NULL, r); /* out of descriptors */
        return;
    }
    reply_set_head(r, &rh);
}
