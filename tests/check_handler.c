/*
 * check_handler.c - the handler's decisions, without a socket: methods,
 * paths, dot-files, directories, --fallback, --error-page, per-path cache
 * and header rules, conditionals, ranges, precompressed siblings, gzip on
 * the fly, HEAD and running out of descriptors.
 *
 * Each case is one request (a struct http_request_info built here, as the
 * parser would leave it) against a real tree in a temporary directory, and
 * asserts on the struct reply: status, head bytes, body and its source.
 * The tables follow lighttpd's src/t/test_http_range.c: many small named
 * cases, each checking one decision.
 */
#include "compat.h"

#include "handler.h"
#include "pages.h"

#include "cors.h"

#include "check_run.h"

#include <check.h>
#include <fcntl.h>
#include <libdeflate.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Every file's modification time: Tue, 02 Jan 2024 03:04:05 GMT, plus half a second. */
#define T_SEC  1704164645
#define T_NSEC 500000000L
#define T_DATE "Tue, 02 Jan 2024 03:04:05 GMT"
/* The Date the tests pass in (any IMF-fixdate: the handler only copies it). */
#define NOW_DATE "Wed, 03 Jan 2024 00:00:00 GMT"
/* big.bin is larger than the cache keeps in memory: it is sent from a descriptor. */
#define BIG_SIZE ((int)FILE_CACHE_DATA_MAX + 8000)
/* In a case's header values, replaced by the file's ETag as the handler sends it. */
#define ETAG "$E"

/* Options a case turns on (struct hcase.opts). */
enum {
    OPT_FALLBACK = 1 << 0,   /* --fallback /index.html */
    OPT_ERROR_PAGE = 1 << 1, /* --error-page 404=/404.html, 403=/missing.html */
    OPT_DOTFILES = 1 << 2,   /* --serve-dotfiles */
    OPT_HEADERS = 1 << 3,    /* --header 'X-Test: 1', --cache-control 'max-age=60' */
    OPT_NO_CACHE = 1 << 4,   /* --file-cache 0 */
    OPT_CORS = 1 << 5,       /* --cors-origins https://app.example,http://localhost:3000 */
    OPT_CORS_ANY = 1 << 6,   /* --cors-origins '*' */
    OPT_REDIRECTS = 1 << 7,  /* the --redirect rules of make_config() */
    OPT_AUTOINDEX = 1 << 8,  /* --autoindex */
    OPT_RULES = 1 << 9,      /* the --cache-control and --header rules of make_config() */
    OPT_GZIP = 1 << 10,      /* --compress gzip, the default types, --compress-min-size 1k */
    OPT_CLEAN = 1 << 11      /* --try-ext .html,.htm --clean-urls-redirect --fallback /app/=/app/shell.html */
};
/* Sizes of the files gzip on the fly is tried on. */
#define PAGE_SIZE 4000
#define HEX_SIZE  60000

/* One request and what its reply must be. */
struct hcase {
    const char *name;
    unsigned opts;        /* OPT_* */
    const char *method;   /* "GET" (NULL), "HEAD", "POST" (a refused method) or "FOO" (unknown) */
    const char *path;     /* still percent-encoded, as info->path */
    const char *query;    /* after '?', or NULL */
    const char *inm;      /* If-None-Match, or NULL; ETAG is replaced */
    const char *ims;      /* If-Modified-Since, or NULL */
    const char *im;       /* If-Match, or NULL; ETAG is replaced */
    const char *ius;      /* If-Unmodified-Since, or NULL */
    const char *range;    /* Range, or NULL */
    const char *if_range; /* If-Range, or NULL; ETAG is replaced */
    const char *ae;       /* Accept-Encoding, or NULL */
    const char *accept;   /* Accept, or NULL */
    const char *origin;   /* Origin, or NULL */
    const char *acrm;     /* Access-Control-Request-Method, or NULL */
    const char *mode;     /* Sec-Fetch-Mode, or NULL */
    bool asterisk;        /* OPTIONS * (the path is not looked at) */
    int rc;               /* the status the parser chose, 0 for none */
    bool no_keep_alive;   /* the connection would close anyway */
    int status;           /* expected status */
    const char *has[4];   /* lines (or parts) the head must contain */
    const char *lacks[2]; /* ... and must not */
    const char *body;     /* the exact body (memory or file), NULL = not checked */
    const char *body_has; /* a part of the body, NULL = not checked */
};

static char root[64];

/* Writes len bytes of text to root/name and sets its mtime to T plus dsec seconds and dnsec ns. */
static void put(const char *name, const char *text, size_t len, int dsec, long dnsec)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", root, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq((int)write(fd, text, len), (int)len);
    close(fd);
    struct timespec ts[2] = {{T_SEC + dsec, T_NSEC + dnsec}, {T_SEC + dsec, T_NSEC + dnsec}};
    ck_assert_int_eq(utimensat(AT_FDCWD, path, ts, 0), 0);
}

/* put() for a string, with T as its mtime. */
static void put_text(const char *name, const char *text)
{
    put(name, text, strlen(text), 0, 0);
}

static void make_dir(const char *name)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", root, name);
    ck_assert_int_eq(mkdir(path, 0755), 0);
}

/* Fills buf (len bytes) with numbered HTML lines: text that compresses well. */
static void fill_lines(char *buf, size_t len)
{
    char line[32];
    size_t n = 0;
    for (int i = 0; n < len; i++) {
        int k = snprintf(line, sizeof(line), "<p>line %d</p>\n", i);
        size_t take = (size_t)k < len - n ? (size_t)k : len - n;
        memcpy(buf + n, line, take);
        n += take;
    }
}

/* The tree every case reads; nothing changes it afterwards. */
static void tree_setup(void)
{
    snprintf(root, sizeof(root), "/tmp/otu-handler-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(root));
    put_text("index.html", "<h1>home</h1>\n");
    put_text("ten.txt", "0123456789");
    put_text("empty.txt", "");
    static char big[BIG_SIZE];
    for (int i = 0; i < BIG_SIZE; i++)
        big[i] = (char)('a' + i % 26);
    put("big.bin", big, sizeof(big), 0, 0);
    make_dir("dir");
    put_text("dir/index.html", "dir index\n");
    make_dir("noindex");
    make_dir("a b");
    put_text("a b/index.html", "spaced\n");
    put_text(".env", "SECRET=1\n");
    make_dir("sub");
    make_dir("sub/.git");
    put_text("sub/.git/config", "[core]\n");
    make_dir(".well-known");
    put_text(".well-known/acme.txt", "token\n");
    put_text("404.html", "custom 404\n");
    /* clean URLs: a static-site generator's export, and an app under /app/ */
    put_text("about.html", "about\n");
    put_text("old.htm", "old page\n");
    put_text("both.html", "both html\n");
    put_text("both.htm", "both htm\n");
    put_text("dir.html", "not the folder\n");
    make_dir("articles");
    put_text("articles/post.html", "a post\n");
    make_dir("app");
    put_text("app/shell.html", "app shell\n");
    /* precompressed siblings: the handler checks names and times, not contents */
    put_text("style.css", "body { margin: 0 }\n"); /* larger than its siblings: they are used */
    put_text("style.css.gz", "GZ-style");
    put_text("style.css.br", "BR-style");
    put_text("only-gz.js", "var a = 1, b;\n");
    put_text("big-gz.txt", "tiny\n");
    put_text("big-gz.txt.gz", "GZ-larger-than-its-file"); /* ignored: not smaller */
    put_text("only-gz.js.gz", "GZ-js");
    put_text("stale.txt", "fresh text\n");
    put("stale.txt.gz", "GZ-stale", 8, 0, -1); /* one nanosecond older than its file */
    put_text("same.txt", "same text\n");
    put_text("same.txt.gz", "GZ-same");
    put_text("newer.txt", "newer text\n");
    put("newer.txt.gz", "GZ-newer", 8, 1, 0);
    /* gzip on the fly: text that compresses, an image, and larger text that goes to a memfd */
    static char page[PAGE_SIZE], hex[HEX_SIZE];
    fill_lines(page, sizeof(page));
    put("page.html", page, sizeof(page), 0, 0);
    put("pic.png", page, sizeof(page), 0, 0);
    put("sib.html", page, sizeof(page), 0, 0);
    put_text("sib.html.gz", "GZ-sib");
    put("z.js", page, sizeof(page), 0, 0);
    put_text("z.js.zst", "ZST-z");
    put_text("z.js.gz", "GZ-z");
    unsigned x = 2463534242u;
    for (size_t i = 0; i < sizeof(hex); i++) { /* about half as large gzip'ed: over HANDLER_BODY_MAX */
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        hex[i] = "0123456789abcdef"[x >> 28];
    }
    put("hex.js", hex, sizeof(hex), 0, 0);
    char path[256];
    snprintf(path, sizeof(path), "%s/fifo", root);
    ck_assert_int_eq(mkfifo(path, 0644), 0);
}

static void tree_teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
    ck_assert_int_eq(system(cmd), 0);
}

/* The configuration a case runs with: the defaults, the tree, and its options. */
static void make_config(struct config *cfg, unsigned opts)
{
    memset(cfg, 0, sizeof(*cfg));
    snprintf(cfg->root, sizeof(cfg->root), "%s", root);
    cfg->server_tokens = true;  /* the default: Server names the version */
    cfg->pages.index_count = 1; /* the default --index */
    snprintf(cfg->pages.index_names[0], sizeof(cfg->pages.index_names[0]), "index.html");
    cfg->file_cache_entries = opts & OPT_NO_CACHE ? 0 : 1024;
    cfg->serve_dotfiles = (opts & OPT_DOTFILES) != 0;
    if (opts & OPT_FALLBACK) {
        cfg->pages.fallback_count = 1;
        snprintf(cfg->pages.fallbacks[0].prefix, sizeof(cfg->pages.fallbacks[0].prefix), "/");
        snprintf(cfg->pages.fallbacks[0].path, sizeof(cfg->pages.fallbacks[0].path), "/index.html");
    }
    if (opts & OPT_ERROR_PAGE) {
        cfg->pages.error_pages[0].status = 404;
        snprintf(cfg->pages.error_pages[0].path, sizeof(cfg->pages.error_pages[0].path), "/404.html");
        cfg->pages.error_pages[1].status = 403;
        snprintf(cfg->pages.error_pages[1].path, sizeof(cfg->pages.error_pages[1].path), "/missing.html");
        cfg->pages.error_page_count = 2;
    }
    if (opts & OPT_HEADERS) {
        snprintf(cfg->headers.headers, sizeof(cfg->headers.headers), "X-Test: 1\r\n");
        snprintf(cfg->headers.cache_control, sizeof(cfg->headers.cache_control), "max-age=60");
    }
    if (opts & (OPT_CORS | OPT_CORS_ANY)) {
        cfg->cors.any = (opts & OPT_CORS_ANY) != 0;
        if (opts & OPT_CORS) {
            snprintf(cfg->cors.origins[0], sizeof(cfg->cors.origins[0]), "https://app.example");
            snprintf(cfg->cors.origins[1], sizeof(cfg->cors.origins[1]), "http://localhost:3000");
            cfg->cors.origin_count = 2;
        }
        snprintf(cfg->cors.allow_headers, sizeof(cfg->cors.allow_headers), "Range, If-None-Match");
        cfg->cors.max_age = 600;
    }
    cfg->autoindex = (opts & OPT_AUTOINDEX) != 0;
    if (opts & OPT_CLEAN) {
        static const char *const items[][2] = {
            {"try-ext", ".html"}, {"try-ext", ".htm"}, {"fallback", "/app/=/app/shell.html"}};
        char why[200];
        for (size_t i = 0; i < OTU_ARRAY_LEN(items); i++) {
            int rc = items[i][0][0] == 't' ? pages_try_ext_parse(&cfg->pages, items[i][1], why, sizeof(why))
                                           : pages_fallback_parse(&cfg->pages, items[i][1], why, sizeof(why));
            ck_assert_msg(rc == 0, "%s", why);
        }
        cfg->pages.clean_urls_redirect = true;
    }
    if (opts & OPT_GZIP) {
        cfg->compress.codings[0] = CODING_GZIP; /* --compress gzip */
        cfg->compress.n_codings = 1;
        snprintf(cfg->compress.types, sizeof(cfg->compress.types), "text/*,application/javascript,image/svg+xml");
        cfg->compress.min_size = 1024;
        cfg->compress.max_size = 1024 * 1024;
        cfg->compress.cache_size = 1024 * 1024;
        cfg->compress.levels[CODING_GZIP] = 6;
    }
    if (opts & OPT_RULES) {
        static const char *const cache[][2] = {
            {"*.html", "no-cache"}, {"*.css", "public, max-age=31536000, immutable"}, {"/ten.txt", ""}};
        static const char *const headers[][2] = {{"/dir/*", "X-Frame-Options: SAMEORIGIN\r\n"},
                                                 {"*.css", "X-Asset: 1\r\n"}};
        for (size_t i = 0; i < OTU_ARRAY_LEN(cache); i++)
            ck_assert_int_eq(path_rules_add(&cfg->headers.cache_rules, cache[i][0], strlen(cache[i][0]), cache[i][1],
                                            strlen(cache[i][1])),
                             0);
        for (size_t i = 0; i < OTU_ARRAY_LEN(headers); i++)
            ck_assert_int_eq(path_rules_add(&cfg->headers.header_rules, headers[i][0], strlen(headers[i][0]),
                                            headers[i][1], strlen(headers[i][1])),
                             0);
        snprintf(cfg->headers.cache_control, sizeof(cfg->headers.cache_control), "max-age=60");
        snprintf(cfg->headers.headers, sizeof(cfg->headers.headers), "X-Frame-Options: DENY\r\n");
    }
    if (opts & OPT_REDIRECTS) {
        static const struct redirect_rule rules[] = {
            {"/blog", false, "https://blog.example.com/", 302},
            {"/old/", true, "/new/*", 301},
            {"/docs/", true, "/manual/*", 308},
            {"/tmp/", true, "/temp", 307},
            {"/go", true, "/*", 301},
            {"/search", false, "/find?src=old", 301},
            {"/ten.txt", false, "/dir/", 301},
            {"/ext/", true, "https://cdn.example.com:8443/assets/*", 302},
            {"/site", true, "https://site.example.com*", 301},        /* a bare authority */
            {"/posts", true, "https://news.example.com/posts*", 301}, /* ...and one with a path */
            {"/cdn", true, "//cdn.example.com*", 301},                /* a network-path reference */
            {"/port", true, "https://site.example.com:8443*", 301},   /* an authority with its port */
        };
        memcpy(cfg->redirects.rule, rules, sizeof(rules));
        cfg->redirects.count = (int)OTU_ARRAY_LEN(rules);
    }
}

/* A slice over s, absent when s is NULL. */
static struct http_slice slice(const char *s)
{
    struct http_slice v = {s, s ? strlen(s) : 0};
    return v;
}

/* Copies template to out with every ETAG replaced by etag; returns out, or NULL for NULL. */
static const char *with_etag(const char *template, const char *etag, char *out, size_t cap)
{
    if (template == NULL)
        return NULL;
    size_t n = 0;
    for (const char *p = template; *p && n + 1 < cap; p++) {
        if (strncmp(p, ETAG, 2) == 0) {
            n += (size_t)snprintf(out + n, cap - n, "%s", etag);
            p++;
        } else {
            out[n++] = *p;
        }
    }
    out[n] = '\0';
    return out;
}

/* The method a case names, as http_request_interpret() would classify it. */
static enum http_method method_of(const char *m)
{
    if (m == NULL || strcmp(m, "GET") == 0)
        return HTTP_METHOD_GET;
    if (strcmp(m, "HEAD") == 0)
        return HTTP_METHOD_HEAD;
    if (strcmp(m, "POST") == 0 || strcmp(m, "DELETE") == 0)
        return HTTP_METHOD_OTHER;
    if (strcmp(m, "OPTIONS") == 0)
        return HTTP_METHOD_OPTIONS;
    return HTTP_METHOD_UNKNOWN;
}

/* Answers a plain GET of path and copies the ETag the head carries into etag ("" when none). */
static void learn_etag(struct handler *h, const char *path, char *etag, size_t cap)
{
    struct http_request_info info;
    memset(&info, 0, sizeof(info));
    info.method = HTTP_METHOD_GET;
    info.path = slice(path);
    struct reply r;
    ck_assert_int_eq(reply_init(&r, handler_head_max(h)), 0);
    handler_respond(h, 0, &info, true, NOW_DATE, &r);
    etag[0] = '\0';
    const char *p = strstr(r.head, "ETag: ");
    if (p != NULL)
        snprintf(etag, cap, "%.*s", (int)strcspn(p + 6, "\r"), p + 6);
    if (r.fd >= 0)
        close(r.fd);
    reply_free(&r);
}

/* Copies the reply's body, from memory or from its descriptor, into out (NUL-terminated); returns its length. */
static size_t body_of(const struct reply *r, char *out, size_t cap)
{
    size_t n = 0;
    if (r->body != NULL) {
        ck_assert_uint_lt(r->body_len, cap);
        memcpy(out, r->body, r->body_len);
        n = r->body_len;
    } else if (r->fd >= 0 && r->length > 0) {
        ck_assert_int_lt(r->length, (int64_t)cap);
        ck_assert_int_eq(pread(r->fd, out, (size_t)r->length, r->offset), r->length);
        n = (size_t)r->length;
    }
    out[n] = '\0';
    return n;
}

/* Runs one case: a fresh handler over the tree, one request, every expectation. */
static void run_case(const struct hcase *c)
{
    struct config cfg;
    make_config(&cfg, c->opts);
    struct handler h;
    ck_assert_msg(handler_init(&h, &cfg) == 0, "%s: handler_init", c->name);

    char etag[64] = "", inm[256], im[256], if_range[256];
    if ((c->inm && strstr(c->inm, ETAG)) || (c->im && strstr(c->im, ETAG)) ||
        (c->if_range && strstr(c->if_range, ETAG))) {
        learn_etag(&h, c->path, etag, sizeof(etag));
        ck_assert_msg(etag[0] == '"', "%s: no ETag to compare with", c->name);
    }
    struct http_request_info info;
    memset(&info, 0, sizeof(info));
    info.method = method_of(c->method);
    info.asterisk = c->asterisk;
    info.minor_version = 1;
    info.keep_alive = !c->no_keep_alive;
    info.content_length = -1;
    info.path = slice(c->path);
    info.query = slice(c->query);
    info.if_none_match = slice(with_etag(c->inm, etag, inm, sizeof(inm)));
    info.if_modified_since = slice(c->ims);
    info.if_match = slice(with_etag(c->im, etag, im, sizeof(im)));
    info.if_unmodified_since = slice(c->ius);
    info.range = slice(c->range);
    info.if_range = slice(with_etag(c->if_range, etag, if_range, sizeof(if_range)));
    info.accept_encoding = slice(c->ae);
    info.origin = slice(c->origin);
    info.accept = slice(c->accept);
    info.ac_request_method = slice(c->acrm);
    info.sec_fetch_mode = slice(c->mode);

    struct reply r;
    ck_assert_int_eq(reply_init(&r, handler_head_max(&h)), 0);
    handler_respond(&h, c->rc, &info, !c->no_keep_alive, NOW_DATE, &r);

    char status_line[32];
    snprintf(status_line, sizeof(status_line), "HTTP/1.1 %d ", c->status);
    ck_assert_msg(r.status == c->status, "%s: status %d, expected %d", c->name, r.status, c->status);
    ck_assert_msg(r.head_len == strlen(r.head), "%s: head_len %zu", c->name, r.head_len);
    ck_assert_msg(strncmp(r.head, status_line, strlen(status_line)) == 0, "%s: head starts %.20s", c->name, r.head);
    ck_assert_msg(strstr(r.head, "Date: " NOW_DATE "\r\n") != NULL, "%s: no Date", c->name);
    for (size_t i = 0; i < OTU_ARRAY_LEN(c->has) && c->has[i]; i++) {
        char want[256];
        with_etag(c->has[i], etag, want, sizeof(want));
        ck_assert_msg(strstr(r.head, want) != NULL, "%s: head lacks \"%s\":\n%s", c->name, want, r.head);
    }
    for (size_t i = 0; i < OTU_ARRAY_LEN(c->lacks) && c->lacks[i]; i++)
        ck_assert_msg(strstr(r.head, c->lacks[i]) == NULL, "%s: head has \"%s\":\n%s", c->name, c->lacks[i], r.head);
    /* The connection closes exactly when the head says so. */
    ck_assert_msg(r.close == (strstr(r.head, "Connection: close\r\n") != NULL), "%s: close %d", c->name, r.close);

    static char body[BIG_SIZE + 1];
    size_t n = body_of(&r, body, sizeof(body));
    if (c->body)
        ck_assert_msg(n == strlen(c->body) && memcmp(body, c->body, n) == 0, "%s: body \"%s\", expected \"%s\"",
                      c->name, body, c->body);
    if (c->body_has)
        ck_assert_msg(strstr(body, c->body_has) != NULL, "%s: body \"%s\" lacks \"%s\"", c->name, body, c->body_has);
    /* Content-Length is what will be sent (HEAD: what GET would send). */
    if (method_of(c->method) != HTTP_METHOD_HEAD && strstr(r.head, "Content-Length: ")) {
        char cl[48];
        snprintf(cl, sizeof(cl), "Content-Length: %zu\r\n", n);
        ck_assert_msg(strstr(r.head, cl) != NULL, "%s: body of %zu bytes, head:\n%s", c->name, n, r.head);
    }
    if (r.fd >= 0)
        close(r.fd);
    reply_free(&r);
    handler_free(&h);
}

/* Methods, the parser's verdict and keep-alive. */
static const struct hcase method_cases[] = {
    {"GET a file", .path = "/ten.txt", .status = 200,
     .has = {"Content-Type: text/plain", "Content-Length: 10\r\n", "Accept-Ranges: bytes\r\n",
             "Connection: keep-alive\r\n"},
     .body = "0123456789"},
    {"GET keeps validators", .path = "/ten.txt", .status = 200,
     .has = {"Last-Modified: " T_DATE "\r\n", "ETag: \"", "Vary: Accept-Encoding\r\n", "Server: otuserver/"}},
    {"HEAD: the same head, no body", .method = "HEAD", .path = "/ten.txt", .status = 200,
     .has = {"Content-Length: 10\r\n", "ETag: \""}, .body = ""},
    {"HEAD of a missing file: the error's length, no body", .method = "HEAD", .path = "/nope.txt", .status = 404,
     .has = {"Content-Type: text/html", "Content-Length: "}, .body = ""},
    {"a refused method is 405 with Allow", .method = "POST", .path = "/ten.txt", .status = 405,
     .has = {"Allow: GET, HEAD\r\n", "Connection: keep-alive\r\n"}, .body_has = "405 Method Not Allowed"},
    {"DELETE of a missing file is 405 too", .method = "DELETE", .path = "/nope", .status = 405,
     .has = {"Allow: GET, HEAD\r\n"}},
    {"an unknown method is 501, then close", .method = "FOO", .path = "/ten.txt", .status = 501,
     .has = {"Connection: close\r\n"}, .lacks = {"Allow:"}, .body_has = "501 Not Implemented"},
    {"the parser's 400 is answered and closes", .path = "/ten.txt", .rc = 400, .status = 400,
     .has = {"Connection: close\r\n"}, .body_has = "400 Bad Request"},
    {"the parser's 505 is answered and closes", .path = "/ten.txt", .rc = 505, .status = 505,
     .has = {"Connection: close\r\n"}},
    {"no keep-alive: Connection: close", .path = "/ten.txt", .no_keep_alive = true, .status = 200,
     .has = {"Connection: close\r\n"}, .body = "0123456789"},
    {"a 404 keeps the connection", .path = "/nope.txt", .status = 404, .has = {"Connection: keep-alive\r\n"},
     .body_has = "404 Not Found"},
    {"configured headers on files", .opts = OPT_HEADERS, .path = "/ten.txt", .status = 200,
     .has = {"X-Test: 1\r\n", "Cache-Control: max-age=60\r\n"}},
    {"configured headers on errors, no Cache-Control", .opts = OPT_HEADERS, .path = "/nope.txt", .status = 404,
     .has = {"X-Test: 1\r\n"}, .lacks = {"Cache-Control"}},
    {"without the file cache: the same answer", .opts = OPT_NO_CACHE, .path = "/ten.txt", .status = 200,
     .body = "0123456789"},
};

/* Paths, dot-files, directories and the index. */
static const struct hcase path_cases[] = {
    {"the root serves index.html", .path = "/", .status = 200, .has = {"Content-Type: text/html\r\n"},
     .body = "<h1>home</h1>\n"},
    {"a directory with its slash serves its index", .path = "/dir/", .status = 200, .body = "dir index\n"},
    {"a directory without its slash: 301", .path = "/dir", .status = 301,
     .has = {"Location: /dir/\r\n", "Connection: keep-alive\r\n"}},
    {"the redirect keeps the query", .path = "/dir", .query = "a=1&b", .status = 301,
     .has = {"Location: /dir/?a=1&b\r\n"}},
    {"the redirect encodes the name", .path = "/a%20b", .status = 301, .has = {"Location: /a%20b/\r\n"}},
    {"a HEAD redirect has no body", .method = "HEAD", .path = "/dir", .status = 301, .has = {"Location: /dir/\r\n"},
     .body = ""},
    {"a directory without index.html is 403", .path = "/noindex/", .status = 403, .body_has = "403 Forbidden"},
    {"a file named with a trailing slash is 404", .path = "/ten.txt/", .status = 404},
    {"a missing file is 404", .path = "/nope.txt", .status = 404},
    {"a FIFO is 403 and never opened for reading", .path = "/fifo", .status = 403},
    {"dot-dot above the root is 400", .path = "/../etc/passwd", .status = 400, .has = {"Connection: close\r\n"}},
    {"a decoded NUL is 400", .path = "/ten%00.txt", .status = 400},
    {"dot-dot inside the root resolves", .path = "/dir/../ten.txt", .status = 200, .body = "0123456789"},
    {"a dot-file is hidden", .path = "/.env", .status = 404},
    {"a file in a dot-folder is hidden", .path = "/sub/.git/config", .status = 404},
    {"--serve-dotfiles serves a dot-file", .opts = OPT_DOTFILES, .path = "/.env", .status = 200, .body = "SECRET=1\n"},
    {"--serve-dotfiles serves a dot-folder", .opts = OPT_DOTFILES, .path = "/sub/.git/config", .status = 200,
     .body = "[core]\n"},
    {"/.well-known/ is always served", .path = "/.well-known/acme.txt", .status = 200, .body = "token\n"},
    {"a query is ignored for files", .path = "/ten.txt", .query = "v=2", .status = 200, .body = "0123456789"},
    {"a big file is sent from a descriptor", .path = "/big.bin", .status = 200,
     .body_has = "abcdefghijklmnopqrstuvwxyzabc"},
};

/* --fallback and --error-page. */
static const struct hcase spa_cases[] = {
    {"/about is about.html", .opts = OPT_CLEAN, .path = "/about", .status = 200,
     .has = {"Content-Type: text/html\r\n", "ETag: "}, .body = "about\n"},
    {"the second extension is tried", .opts = OPT_CLEAN, .path = "/old", .status = 200, .body = "old page\n"},
    {"the first extension wins", .opts = OPT_CLEAN, .path = "/both", .status = 200, .body = "both html\n"},
    {"a clean URL in a folder", .opts = OPT_CLEAN, .path = "/articles/post", .status = 200, .body = "a post\n"},
    {"a folder wins over name.html", .opts = OPT_CLEAN, .path = "/dir", .status = 301, .has = {"Location: /dir/\r\n"}},
    {"/about/ with only about.html is 404", .opts = OPT_CLEAN, .path = "/about/", .status = 404},
    {"a range of a clean URL's file", .opts = OPT_CLEAN, .path = "/about", .range = "bytes=0-1", .status = 206,
     .body = "ab"},
    {"a 304 for a clean URL's file", .opts = OPT_CLEAN, .path = "/about", .inm = ETAG, .status = 304},
    {"without --try-ext /about is 404", .path = "/about", .status = 404},
    {"/about.html redirects to /about", .opts = OPT_CLEAN, .path = "/about.html", .query = "a=1", .status = 301,
     .has = {"Location: /about?a=1\r\n"}},
    {"/old.htm redirects to /old", .opts = OPT_CLEAN, .path = "/old.htm", .status = 301, .has = {"Location: /old\r\n"}},
    {"/both.htm does not: /both is both.html", .opts = OPT_CLEAN, .path = "/both.htm", .status = 200,
     .body = "both htm\n"},
    {"/dir.html does not: /dir is a folder", .opts = OPT_CLEAN, .path = "/dir.html", .status = 200,
     .body = "not the folder\n"},
    {"/dir/index.html redirects to /dir/", .opts = OPT_CLEAN, .path = "/dir/index.html", .status = 301,
     .has = {"Location: /dir/\r\n"}},
    {"/index.html redirects to /", .opts = OPT_CLEAN, .path = "/index.html", .query = "x", .status = 301,
     .has = {"Location: /?x\r\n"}},
    {"a missing /gone.html is 404, not redirected", .opts = OPT_CLEAN, .path = "/gone.html", .status = 404},
    {"under /app/ a route gets the app's shell", .opts = OPT_CLEAN, .path = "/app/users/42", .status = 200,
     .lacks = {"Vary: Accept, Sec-Fetch-Mode"}, .body = "app shell\n"},
    {"/app itself is held by the prefix", .opts = OPT_CLEAN, .path = "/app", .status = 301},
    {"/apple is not under /app/", .opts = OPT_CLEAN, .path = "/apple/x", .status = 404},
    {"a navigation to a dotted route gets the shell", .opts = OPT_CLEAN, .path = "/app/users/john.doe",
     .accept = "text/html,*/*;q=0.8", .status = 200, .has = {"Vary: Accept, Sec-Fetch-Mode\r\n"},
     .body = "app shell\n"},
    {"Sec-Fetch-Mode: navigate is a navigation", .opts = OPT_CLEAN, .path = "/app/blog/2024.01.01", .mode = "navigate",
     .status = 200, .body = "app shell\n"},
    {"a script's fetch of a missing .js stays 404", .opts = OPT_CLEAN, .path = "/app/main.js", .accept = "*/*",
     .mode = "no-cors", .status = 404, .has = {"Vary: Accept, Sec-Fetch-Mode\r\n"}},
    {"an image's fetch stays 404", .opts = OPT_CLEAN, .path = "/app/logo.png", .accept = "image/avif,*/*;q=0.8",
     .status = 404},
    {"a navigation outside every prefix is 404", .opts = OPT_CLEAN, .path = "/users/john.doe", .accept = "text/html",
     .status = 404, .lacks = {"Vary: Accept, Sec-Fetch-Mode"}},
    {"a client route gets the app's shell", .opts = OPT_FALLBACK, .path = "/users/42", .status = 200,
     .has = {"Content-Type: text/html\r\n"}, .body = "<h1>home</h1>\n"},
    {"a client route with a slash gets the shell", .opts = OPT_FALLBACK, .path = "/users/42/", .status = 200,
     .body = "<h1>home</h1>\n"},
    {"a missing /app.js stays 404", .opts = OPT_FALLBACK, .path = "/app.js", .status = 404},
    {"a dot inside a route's folder is no extension", .opts = OPT_FALLBACK, .path = "/v1.2/users", .status = 200,
     .body = "<h1>home</h1>\n"},
    {"existing files win over the fallback", .opts = OPT_FALLBACK, .path = "/ten.txt", .status = 200,
     .body = "0123456789"},
    {"directories still redirect", .opts = OPT_FALLBACK, .path = "/dir", .status = 301},
    {"without --fallback a route is 404", .path = "/users/42", .status = 404},
    {"a hidden name does not fall back", .opts = OPT_FALLBACK, .path = "/.secret", .status = 404},
    {"--error-page gives the 404 body", .opts = OPT_ERROR_PAGE, .path = "/nope.txt", .status = 404,
     .has = {"Content-Type: text/html\r\n", "Content-Length: 11\r\n"}, .body = "custom 404\n"},
    {"--error-page on HEAD: its length, no body", .opts = OPT_ERROR_PAGE, .method = "HEAD", .path = "/nope.txt",
     .status = 404, .has = {"Content-Length: 11\r\n"}, .body = ""},
    {"a missing error page leaves the built-in one", .opts = OPT_ERROR_PAGE, .path = "/noindex/", .status = 403,
     .body_has = "403 Forbidden"},
    {"other statuses keep the built-in page", .opts = OPT_ERROR_PAGE, .path = "/../x", .status = 400,
     .body_has = "400 Bad Request"},
};

/*
 * --cache-control and --header rules (OPT_RULES, with --fallback): *.html
 * no-cache, *.css immutable, /ten.txt none, max-age=60 elsewhere; all
 * paths X-Frame-Options: DENY, /dir/ + '*' SAMEORIGIN instead, *.css X-Asset.
 */
#define RULES     (OPT_RULES | OPT_FALLBACK)
#define IMMUTABLE "Cache-Control: public, max-age=31536000, immutable\r\n"
static const struct hcase rule_cases[] = {
    {"/ matches *.html by its file, /index.html", .opts = RULES, .path = "/", .status = 200,
     .has = {"Cache-Control: no-cache\r\n", "X-Frame-Options: DENY\r\n"}, .lacks = {"X-Asset", "SAMEORIGIN"}},
    {"/index.html is no-cache", .opts = RULES, .path = "/index.html", .status = 200,
     .has = {"Cache-Control: no-cache\r\n"}},
    {"a fallback route gets the shell's no-cache", .opts = RULES, .path = "/users/42", .status = 200,
     .has = {"Cache-Control: no-cache\r\n"}, .body = "<h1>home</h1>\n"},
    {"an asset is immutable, with its rule's header", .opts = RULES, .path = "/style.css", .status = 200,
     .has = {IMMUTABLE, "X-Asset: 1\r\n", "X-Frame-Options: DENY\r\n"}},
    {"its precompressed sibling matches by the name asked for", .opts = RULES, .path = "/style.css", .ae = "gzip",
     .status = 200, .has = {IMMUTABLE, "Content-Encoding: gzip\r\n", "X-Asset: 1\r\n"}},
    {"a 304 keeps the rule's Cache-Control and headers", .opts = RULES, .path = "/style.css", .inm = ETAG,
     .status = 304, .has = {IMMUTABLE, "X-Asset: 1\r\n"}},
    {"a 206 keeps it too", .opts = RULES, .path = "/style.css", .range = "bytes=0-1", .status = 206, .has = {IMMUTABLE},
     .body = "bo"},
    {"an empty rule value sends none", .opts = RULES, .path = "/ten.txt", .status = 200, .lacks = {"Cache-Control"}},
    {"no rule matches: the plain value", .opts = RULES, .path = "/empty.txt", .status = 200,
     .has = {"Cache-Control: max-age=60\r\n"}, .lacks = {"X-Asset"}},
    {"a folder's index: its rules by both paths", .opts = RULES, .path = "/dir/", .status = 200,
     .has = {"Cache-Control: no-cache\r\n", "X-Frame-Options: SAMEORIGIN\r\n"}, .lacks = {"DENY"}},
    {"a 404 under a header rule gets its header, no Cache-Control", .opts = RULES, .path = "/dir/nope.txt",
     .status = 404, .has = {"X-Frame-Options: SAMEORIGIN\r\n"}, .lacks = {"Cache-Control", "DENY"}},
    {"a 404 by the request path alone", .opts = RULES, .path = "/nope.css", .status = 404,
     .has = {"X-Asset: 1\r\n", "X-Frame-Options: DENY\r\n"}, .lacks = {"Cache-Control"}},
    {"a 416 carries no Cache-Control", .opts = RULES, .path = "/style.css", .range = "bytes=100-", .status = 416,
     .has = {"X-Asset: 1\r\n"}, .lacks = {"Cache-Control"}},
    {"an encoded slash is decoded before matching", .opts = RULES, .path = "/dir%2f", .status = 200,
     .has = {"X-Frame-Options: SAMEORIGIN\r\n"}},
    {"a redirect matches by its own path: /dir is not under /dir/", .opts = RULES, .path = "/dir", .status = 301,
     .has = {"Location: /dir/\r\n", "X-Frame-Options: DENY\r\n"}, .lacks = {"SAMEORIGIN", "Cache-Control"}},
    {"a refused method comes before the path: all-paths lines only", .opts = RULES, .method = "POST", .path = "/dir/",
     .status = 405, .has = {"X-Frame-Options: DENY\r\n"}, .lacks = {"SAMEORIGIN"}},
    {"the path is matched decoded and normalised", .opts = RULES, .path = "/x/../st%79le.css", .status = 200,
     .has = {IMMUTABLE, "X-Asset: 1\r\n"}},
    {"without rules nothing changes", .path = "/style.css", .status = 200, .lacks = {"Cache-Control", "X-Asset"}},
};
#undef RULES
#undef IMMUTABLE

/* If-None-Match and If-Modified-Since (RFC 9110 section 13). */
static const struct hcase conditional_cases[] = {
    {"If-None-Match with the ETag: 304", .path = "/ten.txt", .inm = ETAG, .status = 304,
     .has = {"ETag: " ETAG "\r\n", "Last-Modified: " T_DATE}, .lacks = {"Content-Length", "Content-Type"}, .body = ""},
    {"a 304 has no Accept-Ranges", .path = "/ten.txt", .inm = ETAG, .status = 304, .lacks = {"Accept-Ranges"}},
    {"If-None-Match in a list: 304", .path = "/ten.txt", .inm = "\"x\", " ETAG ", \"y\"", .status = 304},
    {"If-None-Match compares weakly: W/ matches", .path = "/ten.txt", .inm = "W/" ETAG, .status = 304},
    {"If-None-Match: * matches", .path = "/ten.txt", .inm = "*", .status = 304},
    {"If-None-Match with another tag: 200", .path = "/ten.txt", .inm = "\"other\"", .status = 200,
     .body = "0123456789"},
    {"If-None-Match malformed: 200", .path = "/ten.txt", .inm = "abc", .status = 200},
    {"If-None-Match unterminated: 200", .path = "/ten.txt", .inm = "\"abc", .status = 200},
    {"If-Modified-Since equal to the mtime: 304", .path = "/ten.txt", .ims = T_DATE, .status = 304, .body = ""},
    {"If-Modified-Since later: 304", .path = "/ten.txt", .ims = "Wed, 03 Jan 2024 00:00:00 GMT", .status = 304},
    {"If-Modified-Since a second earlier: 200", .path = "/ten.txt", .ims = "Tue, 02 Jan 2024 03:04:04 GMT",
     .status = 200, .body = "0123456789"},
    {"If-Modified-Since malformed: 200", .path = "/ten.txt", .ims = "yesterday", .status = 200},
    {"If-None-Match wins: no match beats a fresh date", .path = "/ten.txt", .inm = "\"other\"", .ims = T_DATE,
     .status = 200},
    {"If-None-Match wins: a match beats an old date", .path = "/ten.txt", .inm = ETAG,
     .ims = "Mon, 01 Jan 2024 00:00:00 GMT", .status = 304},
    {"a 304 on HEAD", .method = "HEAD", .path = "/ten.txt", .inm = ETAG, .status = 304, .body = ""},
    {"a 304 beats a Range", .path = "/ten.txt", .inm = ETAG, .range = "bytes=0-1", .status = 304},
    {"a 304 for an index, by its own ETag", .path = "/dir/", .inm = ETAG, .status = 304},
    /* If-Match and If-Unmodified-Since (RFC 9110 sections 13.1.1, 13.1.4, 13.2.2) */
    {"If-Match with the ETag: 200", .path = "/ten.txt", .im = ETAG, .status = 200, .body = "0123456789"},
    {"If-Match in a list: 200", .path = "/ten.txt", .im = "\"x\", " ETAG, .status = 200},
    {"If-Match: * on a file: 200", .path = "/ten.txt", .im = "*", .status = 200},
    {"If-Match with another tag: 412", .path = "/ten.txt", .im = "\"other\"", .status = 412,
     .has = {"Content-Type: text/html", "Content-Length: ", "Connection: keep-alive\r\n"},
     .lacks = {"ETag:", "Accept-Ranges"}, .body_has = "412 Precondition Failed"},
    {"If-Match compares strongly: W/ never matches", .path = "/ten.txt", .im = "W/" ETAG, .status = 412},
    {"If-Match malformed: 412", .path = "/ten.txt", .im = "abc", .status = 412},
    {"a 412 on HEAD: the head, no body", .method = "HEAD", .path = "/ten.txt", .im = "\"other\"", .status = 412,
     .has = {"Content-Length: "}, .body = ""},
    {"If-Match fails before If-None-Match matches: 412", .path = "/ten.txt", .im = "\"x\"", .inm = ETAG, .status = 412},
    {"If-Match holds, then If-None-Match: 304", .path = "/ten.txt", .im = ETAG, .inm = ETAG, .status = 304},
    {"If-Match fails before a Range: 412", .path = "/ten.txt", .im = "\"x\"", .range = "bytes=0-1", .status = 412},
    {"If-Match holds, then a Range: 206", .path = "/ten.txt", .im = ETAG, .range = "bytes=0-1", .status = 206,
     .body = "01"},
    {"If-Match on a missing file: 404", .path = "/nope.txt", .im = "\"x\"", .status = 404},
    {"If-Match: * on a missing file: 404", .path = "/nope.txt", .im = "*", .status = 404},
    {"If-Unmodified-Since equal to the mtime: 200", .path = "/ten.txt", .ius = T_DATE, .status = 200},
    {"If-Unmodified-Since later: 200", .path = "/ten.txt", .ius = "Wed, 03 Jan 2024 00:00:00 GMT", .status = 200},
    {"If-Unmodified-Since a second earlier: 412", .path = "/ten.txt", .ius = "Tue, 02 Jan 2024 03:04:04 GMT",
     .status = 412, .body_has = "412 Precondition Failed"},
    {"If-Unmodified-Since malformed: ignored", .path = "/ten.txt", .ius = "yesterday", .status = 200},
    {"If-Match wins: a match beats an old If-Unmodified-Since", .path = "/ten.txt", .im = ETAG,
     .ius = "Mon, 01 Jan 2024 00:00:00 GMT", .status = 200},
    {"If-Unmodified-Since fails before If-Modified-Since: 412", .path = "/ten.txt",
     .ius = "Mon, 01 Jan 2024 00:00:00 GMT", .ims = T_DATE, .status = 412},
    {"If-Match for an index, by its own ETag", .path = "/dir/", .im = ETAG, .status = 200},
};

/* Range and If-Range (RFC 9110 section 14). */
static const struct hcase range_cases[] = {
    {"bytes=0-3", .path = "/ten.txt", .range = "bytes=0-3", .status = 206,
     .has = {"Content-Range: bytes 0-3/10\r\n", "Content-Length: 4\r\n"}, .body = "0123"},
    {"bytes=7- to the end", .path = "/ten.txt", .range = "bytes=7-", .status = 206,
     .has = {"Content-Range: bytes 7-9/10\r\n"}, .body = "789"},
    {"bytes=-3, a suffix", .path = "/ten.txt", .range = "bytes=-3", .status = 206,
     .has = {"Content-Range: bytes 7-9/10\r\n"}, .body = "789"},
    {"a suffix longer than the file is all of it", .path = "/ten.txt", .range = "bytes=-20", .status = 206,
     .has = {"Content-Range: bytes 0-9/10\r\n"}, .body = "0123456789"},
    {"an end past the file is cut", .path = "/ten.txt", .range = "bytes=5-100", .status = 206,
     .has = {"Content-Range: bytes 5-9/10\r\n"}, .body = "56789"},
    {"a single byte", .path = "/ten.txt", .range = "bytes=9-9", .status = 206, .body = "9"},
    {"the unit is case-insensitive", .path = "/ten.txt", .range = "BYTES=1-2", .status = 206, .body = "12"},
    {"blanks around the range", .path = "/ten.txt", .range = "bytes= 1-2 ", .status = 206, .body = "12"},
    {"a start at the size: 416", .path = "/ten.txt", .range = "bytes=10-", .status = 416,
     .has = {"Content-Range: bytes */10\r\n"}, .body_has = "416 Range Not Satisfiable"},
    {"a zero suffix: 416", .path = "/ten.txt", .range = "bytes=-0", .status = 416},
    {"any range of an empty file: 416", .path = "/empty.txt", .range = "bytes=0-", .status = 416,
     .has = {"Content-Range: bytes */0\r\n"}},
    {"a 416 on HEAD has no body", .method = "HEAD", .path = "/ten.txt", .range = "bytes=10-", .status = 416,
     .body = ""},
    {"several ranges: the whole file", .path = "/ten.txt", .range = "bytes=0-1,3-4", .status = 200,
     .lacks = {"Content-Range"}, .body = "0123456789"},
    {"an end before the start is ignored", .path = "/ten.txt", .range = "bytes=3-1", .status = 200},
    {"another unit is ignored", .path = "/ten.txt", .range = "items=0-1", .status = 200},
    {"no digits is ignored", .path = "/ten.txt", .range = "bytes=abc", .status = 200},
    {"a 19-digit position is ignored", .path = "/ten.txt", .range = "bytes=1000000000000000000-", .status = 200},
    {"a range of a big file: offset and length", .path = "/big.bin", .range = "bytes=30-55", .status = 206,
     .has = {"Content-Range: bytes 30-55/20288\r\n"}, .body = "efghijklmnopqrstuvwxyzabcd"},
    {"a 206 on HEAD: the head only", .method = "HEAD", .path = "/ten.txt", .range = "bytes=0-3", .status = 206,
     .has = {"Content-Length: 4\r\n", "Content-Range: bytes 0-3/10\r\n"}, .body = ""},
    {"If-Range with the ETag: 206", .path = "/ten.txt", .range = "bytes=0-3", .if_range = ETAG, .status = 206,
     .body = "0123"},
    {"If-Range with another ETag: the whole file", .path = "/ten.txt", .range = "bytes=0-3", .if_range = "\"other\"",
     .status = 200, .body = "0123456789"},
    {"If-Range with a weak tag: the whole file", .path = "/ten.txt", .range = "bytes=0-3", .if_range = "W/" ETAG,
     .status = 200},
    {"If-Range with the date: 206", .path = "/ten.txt", .range = "bytes=0-3", .if_range = T_DATE, .status = 206},
    {"If-Range with another date: the whole file", .path = "/ten.txt", .range = "bytes=0-3",
     .if_range = "Mon, 01 Jan 2024 00:00:00 GMT", .status = 200},
    {"If-Range also guards a 416", .path = "/ten.txt", .range = "bytes=10-", .if_range = "\"other\"", .status = 200},
    {"If-Range takes one tag, not a list", .path = "/ten.txt", .range = "bytes=0-3", .if_range = "\"x\", " ETAG,
     .status = 200},
};

/* Accept-Encoding and precompressed siblings. */
static const struct hcase encoding_cases[] = {
    {"br preferred when both exist", .path = "/style.css", .ae = "gzip, br", .status = 200,
     .has = {"Content-Encoding: br\r\n", "Content-Type: text/css", "Vary: Accept-Encoding\r\n"}, .body = "BR-style"},
    {"gzip alone", .path = "/style.css", .ae = "gzip", .status = 200, .has = {"Content-Encoding: gzip\r\n"},
     .body = "GZ-style"},
    {"br;q=0 refuses br", .path = "/style.css", .ae = "br;q=0, gzip", .status = 200,
     .has = {"Content-Encoding: gzip\r\n"}},
    {"gzip;q=0.000 refuses gzip", .path = "/style.css", .ae = "gzip;q=0.000", .status = 200,
     .lacks = {"Content-Encoding"}, .body = "body { margin: 0 }\n"},
    {"gzip;q=0.001 accepts it", .path = "/style.css", .ae = "gzip;q=0.001", .status = 200,
     .has = {"Content-Encoding: gzip\r\n"}},
    {"* accepts br", .path = "/style.css", .ae = "*", .status = 200, .has = {"Content-Encoding: br\r\n"}},
    {"* with br;q=0 gives gzip", .path = "/style.css", .ae = "*, br;q=0", .status = 200,
     .has = {"Content-Encoding: gzip\r\n"}},
    {"*;q=0 refuses all", .path = "/style.css", .ae = "*;q=0", .status = 200, .lacks = {"Content-Encoding"}},
    {"coding names are case-insensitive", .path = "/style.css", .ae = "GZIP", .status = 200,
     .has = {"Content-Encoding: gzip\r\n"}},
    {"identity only: the file itself", .path = "/style.css", .ae = "identity", .status = 200,
     .lacks = {"Content-Encoding"}, .body = "body { margin: 0 }\n"},
    {"no Accept-Encoding: the file, still Vary", .path = "/style.css", .status = 200,
     .has = {"Vary: Accept-Encoding\r\n"}, .lacks = {"Content-Encoding"}, .body = "body { margin: 0 }\n"},
    {"no br sibling: gzip", .path = "/only-gz.js", .ae = "br, gzip", .status = 200,
     .has = {"Content-Encoding: gzip\r\n", "Content-Type: application/javascript\r\n"}, .body = "GZ-js"},
    {"no sibling at all: the file", .path = "/ten.txt", .ae = "br, gzip", .status = 200, .lacks = {"Content-Encoding"}},
    {"a sibling one nanosecond older is stale", .path = "/stale.txt", .ae = "gzip", .status = 200,
     .lacks = {"Content-Encoding"}, .body = "fresh text\n"},
    {"a sibling of the same nanosecond is fresh", .path = "/same.txt", .ae = "gzip", .status = 200,
     .has = {"Content-Encoding: gzip\r\n"}, .body = "GZ-same"},
    {"a newer sibling is fresh", .path = "/newer.txt", .ae = "gzip", .status = 200,
     .has = {"Content-Encoding: gzip\r\n"}, .body = "GZ-newer"},
    {"a range is of the file itself, not a sibling", .path = "/style.css", .ae = "gzip", .range = "bytes=0-1",
     .status = 206, .has = {"Content-Range: bytes 0-1/19\r\n", "Accept-Ranges: bytes\r\n"},
     .lacks = {"Content-Encoding"}, .body = "bo"},
    {"a coded answer offers no ranges", .path = "/style.css", .ae = "gzip", .status = 200,
     .has = {"Content-Encoding: gzip\r\n"}, .lacks = {"Accept-Ranges"}},
    {"a sibling not smaller than its file is ignored", .path = "/big-gz.txt", .ae = "gzip", .status = 200,
     .lacks = {"Content-Encoding"}, .body = "tiny\n"},
    {"identity rated above gzip: the file", .path = "/style.css", .ae = "gzip;q=0.5, identity", .status = 200,
     .lacks = {"Content-Encoding"}},
};

/* .zst siblings, and gzip on the fly (OPT_GZIP); the variant's bytes are checked in test_gzip_on_the_fly. */
#define G OPT_GZIP
static const struct hcase on_the_fly_cases[] = {
    {"zstd sibling before gzip", .path = "/z.js", .ae = "gzip, zstd", .status = 200,
     .has = {"Content-Encoding: zstd\r\n", "Vary: Accept-Encoding\r\n"}, .body = "ZST-z"},
    {"zstd;q=0: the gzip sibling", .path = "/z.js", .ae = "zstd;q=0, gzip", .status = 200,
     .has = {"Content-Encoding: gzip\r\n"}, .body = "GZ-z"},
    {"zstd alone without a sibling: the file", .path = "/page.html", .ae = "zstd", .status = 200,
     .lacks = {"Content-Encoding"}},
    {"--compress off: no gzip on the fly", .path = "/page.html", .ae = "gzip", .status = 200,
     .has = {"Vary: Accept-Encoding\r\n"}, .lacks = {"Content-Encoding"}},
    {"gzip on the fly, its own ETag", .opts = G, .path = "/page.html", .ae = "gzip, deflate", .status = 200,
     .has = {"Content-Encoding: gzip\r\n", "-gz\"\r\n", "Vary: Accept-Encoding\r\n", "Content-Type: text/html\r\n"},
     .lacks = {"Content-Length: 4000\r\n"}},
    {"a fresh sibling comes first", .opts = G, .path = "/sib.html", .ae = "gzip", .status = 200,
     .has = {"Content-Encoding: gzip\r\n"}, .lacks = {"-gz\""}, .body = "GZ-sib"},
    {"a Range gets the file itself", .opts = G, .path = "/page.html", .ae = "gzip", .range = "bytes=0-7", .status = 206,
     .has = {"Content-Range: bytes 0-7/4000\r\n", "Vary: Accept-Encoding\r\n"}, .lacks = {"Content-Encoding", "-gz\""},
     .body = "<p>line "},
    {"not accepted (gzip;q=0): the file", .opts = G, .path = "/page.html", .ae = "gzip;q=0, br;q=0", .status = 200,
     .lacks = {"Content-Encoding"}},
    {"identity;q=0 and nothing acceptable: the file anyway", .opts = G, .path = "/page.html", .ae = "identity;q=0",
     .status = 200, .lacks = {"Content-Encoding"}},
    {"* accepts gzip", .opts = G, .path = "/page.html", .ae = "*", .status = 200,
     .has = {"Content-Encoding: gzip\r\n"}},
    {"no Accept-Encoding: the file", .opts = G, .path = "/page.html", .status = 200,
     .has = {"Content-Length: 4000\r\n"}, .lacks = {"Content-Encoding"}},
    {"an image is not compressed", .opts = G, .path = "/pic.png", .ae = "gzip", .status = 200,
     .lacks = {"Content-Encoding"}},
    {"below --compress-min-size: the file", .opts = G, .path = "/ten.txt", .ae = "gzip", .status = 200,
     .lacks = {"Content-Encoding"}, .body = "0123456789"},
    {"the file's ETag does not match the variant", .opts = G, .path = "/page.html", .ae = "gzip", .inm = ETAG,
     .status = 200, .has = {"Content-Encoding: gzip\r\n"}},
    {"the file's ETag still matches the file", .opts = G, .path = "/page.html", .inm = ETAG, .status = 304},
    {"If-Match: the file's ETag is not the variant's: 412", .opts = G, .path = "/page.html", .ae = "gzip", .im = ETAG,
     .status = 412},
    {"If-Match: the file's ETag holds for the file", .opts = G, .path = "/page.html", .im = ETAG, .status = 200,
     .lacks = {"Content-Encoding"}},
    {"If-Match: * holds for the variant", .opts = G, .path = "/page.html", .ae = "gzip", .im = "*", .status = 200,
     .has = {"Content-Encoding: gzip\r\n"}},
};
#undef G

/* CORS: preflights and the Access-Control-Allow-Origin of simple requests. */
#define APP "https://app.example"
static const struct hcase cors_cases[] = {
    {"without CORS OPTIONS stays 405", .method = "OPTIONS", .origin = APP, .acrm = "GET", .status = 405,
     .has = {"Allow: GET, HEAD\r\n"}, .lacks = {"Access-Control-", "Vary: Origin"}},
    {"OPTIONS *: 204 with Allow", .method = "OPTIONS", .asterisk = true, .status = 204,
     .has = {"Allow: GET, HEAD\r\n", "Connection: keep-alive\r\n"}, .lacks = {"Content-Length", "Content-Type"},
     .body = ""},
    {"OPTIONS * on a closing connection", .method = "OPTIONS", .asterisk = true, .no_keep_alive = true, .status = 204,
     .has = {"Allow: GET, HEAD\r\n", "Connection: close\r\n"}},
    {"OPTIONS * with CORS on: 204 with Allow", .opts = OPT_CORS, .method = "OPTIONS", .asterisk = true, .origin = APP,
     .status = 204, .has = {"Allow: GET, HEAD\r\n", "Access-Control-Allow-Origin: " APP "\r\n"}},
    {"without CORS a GET with Origin gets no CORS lines", .path = "/ten.txt", .origin = APP, .status = 200,
     .lacks = {"Access-Control-", "Vary: Origin"}},
    {"a preflight from an allowed origin: 204", .opts = OPT_CORS, .method = "OPTIONS", .origin = APP, .acrm = "GET",
     .status = 204,
     .has = {"Access-Control-Allow-Origin: " APP "\r\n", "Access-Control-Allow-Methods: GET, HEAD, OPTIONS\r\n",
             "Access-Control-Allow-Headers: Range, If-None-Match\r\n", "Access-Control-Max-Age: 600\r\n"},
     .lacks = {"Content-Length", "Allow:"}, .body = ""},
    {"a preflight's answer varies by Origin", .opts = OPT_CORS, .method = "OPTIONS", .origin = APP, .acrm = "GET",
     .status = 204, .has = {"Vary: Origin\r\n", "Connection: keep-alive\r\n"}},
    {"the host is compared without case", .opts = OPT_CORS, .method = "OPTIONS", .origin = "https://APP.example",
     .acrm = "GET", .status = 204, .has = {"Access-Control-Allow-Origin: https://APP.example\r\n"}},
    {"a port is part of the origin", .opts = OPT_CORS, .method = "OPTIONS", .origin = "http://localhost:3000",
     .acrm = "GET", .status = 204, .has = {"Access-Control-Allow-Origin: http://localhost:3000\r\n"}},
    {"another port is another origin: 405", .opts = OPT_CORS, .method = "OPTIONS", .origin = "http://localhost:3001",
     .acrm = "GET", .status = 405, .has = {"Allow: GET, HEAD\r\n"}, .lacks = {"Access-Control-"}},
    {"another scheme is another origin", .opts = OPT_CORS, .method = "OPTIONS", .origin = "http://app.example",
     .acrm = "GET", .status = 405, .lacks = {"Access-Control-"}},
    {"a prefix of an origin is no match", .opts = OPT_CORS, .method = "OPTIONS", .origin = "https://app.exampl",
     .acrm = "GET", .status = 405, .lacks = {"Access-Control-"}},
    {"an origin with a suffix is no match", .opts = OPT_CORS, .path = "/ten.txt",
     .origin = "https://app.example.evil.test", .status = 200, .lacks = {"Access-Control-"}},
    {"OPTIONS without Access-Control-Request-Method is no preflight", .opts = OPT_CORS, .method = "OPTIONS",
     .origin = APP, .status = 405, .has = {"Access-Control-Allow-Origin: " APP "\r\n"},
     .lacks = {"Access-Control-Allow-Methods"}},
    {"a simple GET from an allowed origin", .opts = OPT_CORS, .path = "/ten.txt", .origin = APP, .status = 200,
     .has = {"Access-Control-Allow-Origin: " APP "\r\n", "Vary: Origin\r\n"},
     .lacks = {"Access-Control-Allow-Methods", "Access-Control-Max-Age"}, .body = "0123456789"},
    {"a 304 carries it too", .opts = OPT_CORS, .path = "/ten.txt", .inm = ETAG, .origin = APP, .status = 304,
     .has = {"Access-Control-Allow-Origin: " APP "\r\n", "Vary: Origin\r\n"}},
    {"a 404 carries it too", .opts = OPT_CORS, .path = "/nope.txt", .origin = APP, .status = 404,
     .has = {"Access-Control-Allow-Origin: " APP "\r\n", "Vary: Origin\r\n"}},
    {"a HEAD carries it", .opts = OPT_CORS, .method = "HEAD", .path = "/ten.txt", .origin = APP, .status = 200,
     .has = {"Access-Control-Allow-Origin: " APP "\r\n"}, .body = ""},
    {"a GET from another origin: no Allow-Origin, still Vary", .opts = OPT_CORS, .path = "/ten.txt",
     .origin = "https://evil.test", .status = 200, .has = {"Vary: Origin\r\n"}, .lacks = {"Access-Control-"}},
    {"a GET without Origin: no Allow-Origin, still Vary", .opts = OPT_CORS, .path = "/ten.txt", .status = 200,
     .has = {"Vary: Origin\r\n"}, .lacks = {"Access-Control-"}},
    {"'*': any origin gets *", .opts = OPT_CORS_ANY, .path = "/ten.txt", .origin = "https://evil.test", .status = 200,
     .has = {"Access-Control-Allow-Origin: *\r\n"}, .lacks = {"Vary: Origin", "evil"}},
    {"'*': a preflight gets *, no Vary", .opts = OPT_CORS_ANY, .method = "OPTIONS", .origin = "https://x.test",
     .acrm = "GET", .status = 204, .has = {"Access-Control-Allow-Origin: *\r\n", "Access-Control-Max-Age: 600"},
     .lacks = {"Vary: Origin", "x.test"}},
    {"'*': a GET without Origin gets nothing", .opts = OPT_CORS_ANY, .path = "/ten.txt", .status = 200,
     .lacks = {"Access-Control-"}},
    {"other methods stay 405 with CORS", .opts = OPT_CORS, .method = "POST", .path = "/ten.txt", .origin = APP,
     .status = 405, .has = {"Allow: GET, HEAD\r\n"}},
};

/* --redirect: exact and prefix rules, codes, the query, what a Location may carry. */
#define R OPT_REDIRECTS
static const struct hcase redirect_cases[] = {
    {"an exact path to an absolute URL, 302", .opts = R, .path = "/blog", .status = 302,
     .has = {"Location: https://blog.example.com/\r\n", "Connection: keep-alive\r\n"}, .body_has = "302 Found"},
    {"exact means exact: /blog/ is not /blog", .opts = R, .path = "/blog/", .status = 404},
    {"a prefix carries its rest, 301 by default", .opts = R, .path = "/old/a/b.html", .status = 301,
     .has = {"Location: /new/a/b.html\r\n"}},
    {"the prefix itself: an empty rest", .opts = R, .path = "/old/", .status = 301, .has = {"Location: /new/\r\n"}},
    {"the prefix needs its slash", .opts = R, .path = "/old", .status = 404},
    {"308", .opts = R, .path = "/docs/x", .status = 308, .has = {"Location: /manual/x\r\n"},
     .body_has = "308 Permanent Redirect"},
    {"307, and a TO without * drops the rest", .opts = R, .path = "/tmp/a/b", .status = 307,
     .has = {"Location: /temp\r\n"}, .body_has = "307 Temporary Redirect"},
    {"the query is kept", .opts = R, .path = "/old/p", .query = "a=1&b=2", .status = 301,
     .has = {"Location: /new/p?a=1&b=2\r\n"}},
    {"a TO with a query gets &", .opts = R, .path = "/search", .query = "q=x", .status = 301,
     .has = {"Location: /find?src=old&q=x\r\n"}},
    {"an absolute URL with a port takes the rest", .opts = R, .path = "/ext/app.js", .status = 302,
     .has = {"Location: https://cdn.example.com:8443/assets/app.js\r\n"}},
    {"matched on the decoded, normalised path", .opts = R, .path = "/x/../%6Fld/./a", .status = 301,
     .has = {"Location: /new/a\r\n"}},
    {"the rest is encoded again: space and UTF-8", .opts = R, .path = "/old/a%20b/%C3%A9.txt", .status = 301,
     .has = {"Location: /new/a%20b/%C3%A9.txt\r\n"}},
    {"quotes and angle brackets are encoded", .opts = R, .path = "/old/%22%3Cx%3E", .status = 301,
     .has = {"Location: /new/%22%3Cx%3E\r\n"}},
    {"CR LF in the rest never reaches the head: 400", .opts = R, .path = "/old/x%0d%0aSet-Cookie:%20a=b", .status = 400,
     .lacks = {"Set-Cookie", "Location"}},
    {"no //host from a rest that starts with /", .opts = R, .path = "/go/evil.example/x", .status = 301,
     .has = {"Location: /evil.example/x\r\n"}, .lacks = {"Location: //"}},
    {"a prefix without a slash joins as written", .opts = R, .path = "/gone", .status = 301,
     .has = {"Location: /ne\r\n"}},
    {"a rule wins over an existing file", .opts = R, .path = "/ten.txt", .status = 301, .has = {"Location: /dir/\r\n"}},
    {"a HEAD redirect has no body", .opts = R, .method = "HEAD", .path = "/blog", .status = 302,
     .has = {"Location: https://blog.example.com/\r\n"}, .body = ""},
    {"unmatched paths are served", .opts = R, .path = "/dir/", .status = 200, .body = "dir index\n"},
    /* issue 24 item 3: after a bare authority the carried rest always starts a path */
    {"a rest that would extend the host starts a path", .opts = R, .path = "/site.evil.com/x", .status = 301,
     .has = {"Location: https://site.example.com/.evil.com/x\r\n"}, .lacks = {"example.com.evil"}},
    {"...and so does its encoded form", .opts = R, .path = "/site%2eevil.com", .status = 301,
     .has = {"Location: https://site.example.com/.evil.com\r\n"}, .lacks = {"example.com.evil"}},
    {"a bare authority: /sitex", .opts = R, .path = "/sitex", .status = 301,
     .has = {"Location: https://site.example.com/x\r\n"}},
    {"a bare authority: the prefix alone", .opts = R, .path = "/site", .status = 301,
     .has = {"Location: https://site.example.com\r\n"}},
    {"a bare authority: the prefix and its slash", .opts = R, .path = "/site/", .status = 301,
     .has = {"Location: https://site.example.com/\r\n"}},
    {"a bare authority: a rest with its own slash", .opts = R, .path = "/site/a/b", .status = 301,
     .has = {"Location: https://site.example.com/a/b\r\n"}},
    {"a bare authority keeps the query", .opts = R, .path = "/site.x", .query = "q=1", .status = 301,
     .has = {"Location: https://site.example.com/.x?q=1\r\n"}},
    {"a port cannot be extended either", .opts = R, .path = "/port0", .status = 301,
     .has = {"Location: https://site.example.com:8443/0\r\n"}},
    {"a network-path target: //host then a path", .opts = R, .path = "/cdn.evil.com/x", .status = 301,
     .has = {"Location: //cdn.example.com/.evil.com/x\r\n"}},
    {"a target with a path: the rest joins it", .opts = R, .path = "/posts.evil.com/x", .status = 301,
     .has = {"Location: https://news.example.com/posts.evil.com/x\r\n"}},
    {"a target with a path: encoded dot", .opts = R, .path = "/posts%2eevil.com", .status = 301,
     .has = {"Location: https://news.example.com/posts.evil.com\r\n"}},
    {"a target with a path: /postsx", .opts = R, .path = "/postsx", .status = 301,
     .has = {"Location: https://news.example.com/postsx\r\n"}},
    {"a target with a path: the prefix alone", .opts = R, .path = "/posts", .status = 301,
     .has = {"Location: https://news.example.com/posts\r\n"}},
    {"a target with a path: the prefix and its slash", .opts = R, .path = "/posts/", .status = 301,
     .has = {"Location: https://news.example.com/posts/\r\n"}},
    {"without rules /old/a is 404", .path = "/old/a", .status = 404},
};
#undef R

/* --autoindex: a folder without index.html is listed; everything else as before. */
#define A OPT_AUTOINDEX
static const struct hcase autoindex_cases[] = {
    {"without --autoindex: 403", .path = "/noindex/", .status = 403},
    {"an empty folder's listing", .opts = A, .path = "/noindex/", .status = 200,
     .has = {"Content-Type: text/html; charset=utf-8\r\n", "Vary: Accept\r\n"}, .lacks = {"ETag"},
     .body_has = "<title>Index of /noindex/</title>"},
    {"the listing links its parent", .opts = A, .path = "/noindex/", .status = 200, .body_has = "href=\"../\""},
    {"dot-names are left out", .opts = A, .path = "/sub/", .status = 200, .body_has = "</table>"},
    {"JSON for Accept: application/json", .opts = A, .path = "/noindex/", .accept = "application/json", .status = 200,
     .has = {"Content-Type: application/json\r\n"}, .body = "[\n]\n"},
    {"JSON among other types", .opts = A, .path = "/noindex/", .accept = "text/html;q=0.9, application/json",
     .status = 200, .body = "[\n]\n"},
    {"application/json;q=0 is HTML", .opts = A, .path = "/noindex/", .accept = "application/json;q=0", .status = 200,
     .has = {"Content-Type: text/html"}},
    {"HEAD: the length, no body", .opts = A, .method = "HEAD", .path = "/noindex/", .status = 200,
     .has = {"Content-Length: "}, .body = ""},
    {"index.html still wins", .opts = A, .path = "/dir/", .status = 200, .body = "dir index\n"},
    {"a folder without its slash still redirects", .opts = A, .path = "/noindex", .status = 301,
     .has = {"Location: /noindex/\r\n"}},
    {"a dot-folder stays hidden", .opts = A, .path = "/sub/.git/", .status = 404},
    {"a listing of .well-known (never hidden)", .opts = A, .path = "/.well-known/", .status = 200,
     .body_has = "<a href=\"./acme.txt\">acme.txt</a>"},
};
#undef A

/* Each table above is one loop test: a case per row (Check's _i). */
#define TABLE_TEST(name, table) \
    START_TEST(name)            \
    {                           \
        run_case(&table[_i]);   \
    }                           \
    END_TEST

TABLE_TEST(test_methods, method_cases)

TABLE_TEST(test_cors, cors_cases)

TABLE_TEST(test_redirects, redirect_cases)

TABLE_TEST(test_autoindex, autoindex_cases)

TABLE_TEST(test_paths, path_cases)

TABLE_TEST(test_spa_and_error_pages, spa_cases)

TABLE_TEST(test_rules, rule_cases)

TABLE_TEST(test_conditionals, conditional_cases)

TABLE_TEST(test_ranges, range_cases)

TABLE_TEST(test_encodings, encoding_cases)

TABLE_TEST(test_on_the_fly, on_the_fly_cases)

/* GETs path with Accept-Encoding: gzip (and If-None-Match inm, method HEAD when head) into *r. */
static void get_gzip(struct handler *h, const char *path, const char *inm, bool head, struct reply *r)
{
    struct http_request_info info;
    memset(&info, 0, sizeof(info));
    info.method = head ? HTTP_METHOD_HEAD : HTTP_METHOD_GET;
    info.path = slice(path);
    info.accept_encoding = slice("gzip");
    info.if_none_match = slice(inm);
    handler_respond(h, 0, &info, true, NOW_DATE, r);
}

/* The reply's body gunzipped equals the n bytes of root/name; returns the gzip length. */
static size_t expect_gunzips_to_file(const struct reply *r, const char *name, size_t n)
{
    static char gz[HEX_SIZE], out[HEX_SIZE + 1], want[HEX_SIZE];
    size_t len = body_of(r, gz, sizeof(gz));
    ck_assert_uint_gt(len, 0);
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", root, name);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ck_assert_int_eq(read(fd, want, n), (ssize_t)n);
    close(fd);
    struct libdeflate_decompressor *d = libdeflate_alloc_decompressor();
    size_t got = 0;
    ck_assert_int_eq(libdeflate_gzip_decompress(d, gz, len, out, sizeof(out), &got), LIBDEFLATE_SUCCESS);
    libdeflate_free_decompressor(d);
    ck_assert_uint_eq(got, n);
    ck_assert_mem_eq(out, want, n);
    return len;
}

/*
 * gzip on the fly: compressed once (then from the cache), byte-identical
 * after gunzip, from memory when small and from a memfd of the reply's own
 * when larger; its ETag gives 304 and satisfies If-Match; HEAD's head is GET's.
 */
START_TEST(test_gzip_on_the_fly)
{
    struct config cfg;
    make_config(&cfg, OPT_GZIP);
    struct handler h;
    ck_assert_int_eq(handler_init(&h, &cfg), 0);
    struct reply r;
    ck_assert_int_eq(reply_init(&r, handler_head_max(&h)), 0);
    get_gzip(&h, "/page.html", NULL, false, &r);
    ck_assert(r.gzip_made && !r.gzip_hit);
    ck_assert_ptr_nonnull(r.body); /* small: from memory */
    size_t len = expect_gunzips_to_file(&r, "page.html", PAGE_SIZE);
    ck_assert_int_eq(r.gzip_saved, PAGE_SIZE - (int64_t)len);
    ck_assert_int_eq(r.gzip_cache_bytes, (int64_t)len);
    char etag[80];
    const char *p = strstr(r.head, "ETag: ");
    ck_assert_ptr_nonnull(p);
    snprintf(etag, sizeof(etag), "%.*s", (int)strcspn(p + 6, "\r"), p + 6);
    ck_assert_ptr_nonnull(strstr(etag, "-gz\""));
    char get_head[4096];
    snprintf(get_head, sizeof(get_head), "%s", r.head);

    get_gzip(&h, "/page.html", NULL, false, &r); /* the second time: from the cache */
    ck_assert(r.gzip_hit && !r.gzip_made);
    ck_assert_uint_eq(expect_gunzips_to_file(&r, "page.html", PAGE_SIZE), len);

    get_gzip(&h, "/page.html", NULL, true, &r); /* HEAD: the same head, no body */
    ck_assert_str_eq(r.head, get_head);
    ck_assert(r.body == NULL && r.fd == -1);
    ck_assert_int_eq(r.gzip_saved, 0);

    get_gzip(&h, "/page.html", etag, false, &r); /* the variant's ETag: 304 with it */
    ck_assert_int_eq(r.status, 304);
    ck_assert_ptr_nonnull(strstr(r.head, etag));
    ck_assert_ptr_nonnull(strstr(r.head, "Vary: Accept-Encoding\r\n"));

    struct http_request_info info; /* If-Match with the variant's ETag holds for the variant */
    memset(&info, 0, sizeof(info));
    info.method = HTTP_METHOD_GET;
    info.path = slice("/page.html");
    info.accept_encoding = slice("gzip");
    info.if_match = slice(etag);
    handler_respond(&h, 0, &info, true, NOW_DATE, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_ptr_nonnull(strstr(r.head, "Content-Encoding: gzip\r\n"));
    info.accept_encoding = slice(NULL); /* ... and not for the file itself */
    handler_respond(&h, 0, &info, true, NOW_DATE, &r);
    ck_assert_int_eq(r.status, 412);

    get_gzip(&h, "/hex.js", NULL, false, &r); /* larger: a memfd, the reply's own descriptor */
    ck_assert(r.gzip_made);
    ck_assert_ptr_null(r.body);
    ck_assert_int_ge(r.fd, 0);
    ck_assert_int_gt(r.length, (int64_t)HANDLER_BODY_MAX);
    expect_gunzips_to_file(&r, "hex.js", HEX_SIZE);
    int fd = r.fd;
    handler_free(&h); /* the cache is gone; the reply's descriptor still reads */
    expect_gunzips_to_file(&r, "hex.js", HEX_SIZE);
    close(fd);
    reply_free(&r);
}
END_TEST

/* The head of a HEAD answer is the GET answer's, byte for byte. */
START_TEST(test_head_is_get_without_body)
{
    static const char *const paths[] = {"/ten.txt", "/big.bin", "/dir/", "/dir", "/nope"};
    struct config cfg;
    make_config(&cfg, 0);
    struct handler h;
    ck_assert_int_eq(handler_init(&h, &cfg), 0);
    for (size_t i = 0; i < OTU_ARRAY_LEN(paths); i++) {
        struct http_request_info info;
        memset(&info, 0, sizeof(info));
        info.path = slice(paths[i]);
        info.method = HTTP_METHOD_GET;
        struct reply get, head;
        ck_assert_int_eq(reply_init(&get, handler_head_max(&h)), 0);
        ck_assert_int_eq(reply_init(&head, handler_head_max(&h)), 0);
        handler_respond(&h, 0, &info, true, NOW_DATE, &get);
        info.method = HTTP_METHOD_HEAD;
        handler_respond(&h, 0, &info, true, NOW_DATE, &head);
        ck_assert_msg(get.head_len == head.head_len && memcmp(get.head, head.head, get.head_len) == 0,
                      "%s: GET head\n%s\nHEAD head\n%s", paths[i], get.head, head.head);
        ck_assert_msg(get.body_len > 0 || get.length > 0, "%s: GET has a body", paths[i]);
        ck_assert_msg(head.body == NULL && head.body_len == 0 && head.fd == -1 && head.length == 0,
                      "%s: HEAD has a body", paths[i]);
        if (get.fd >= 0)
            close(get.fd);
        reply_free(&get);
        reply_free(&head);
    }
    handler_free(&h);
}
END_TEST

/* A big file is handed over as a descriptor of its own, the offset and length to send. */
START_TEST(test_big_file_range_is_a_descriptor_slice)
{
    struct config cfg;
    make_config(&cfg, 0);
    struct handler h;
    ck_assert_int_eq(handler_init(&h, &cfg), 0);
    struct http_request_info info;
    memset(&info, 0, sizeof(info));
    info.method = HTTP_METHOD_GET;
    info.path = slice("/big.bin");
    info.range = slice("bytes=100-");
    struct reply r;
    ck_assert_int_eq(reply_init(&r, handler_head_max(&h)), 0);
    handler_respond(&h, 0, &info, true, NOW_DATE, &r);
    ck_assert_int_eq(r.status, 206);
    ck_assert_int_ge(r.fd, 0);
    ck_assert_ptr_null(r.body);
    ck_assert_int_eq(r.offset, 100);
    ck_assert_int_eq(r.length, BIG_SIZE - 100);
    /* the descriptor is the reply's own: the caller closes it, the cache keeps its own */
    close(r.fd);
    info.range = slice(NULL);
    handler_respond(&h, 0, &info, true, NOW_DATE, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_int_eq(r.offset, 0);
    ck_assert_int_eq(r.length, BIG_SIZE);
    char c;
    ck_assert_int_eq(pread(r.fd, &c, 1, 27), 1);
    ck_assert_int_eq(c, 'b');
    close(r.fd);
    reply_free(&r);
    handler_free(&h);
}
END_TEST

/* Makes every new descriptor fail with EMFILE (the limit is the lowest free one); returns the old limit. */
static struct rlimit no_more_descriptors(void)
{
    struct rlimit old, low;
    ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &old), 0);
    int lowest = dup(0);
    ck_assert_int_ge(lowest, 0);
    close(lowest);
    low.rlim_cur = (rlim_t)lowest;
    low.rlim_max = old.rlim_max;
    ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &low), 0);
    return old;
}

/* GETs path and returns the reply's status; *head gets a copy of its head. */
static int get_status(struct handler *h, const char *path, char *head, size_t cap, bool *close_after)
{
    struct http_request_info info;
    memset(&info, 0, sizeof(info));
    info.method = HTTP_METHOD_GET;
    info.path = slice(path);
    struct reply r;
    ck_assert_int_eq(reply_init(&r, handler_head_max(h)), 0);
    handler_respond(h, 0, &info, true, NOW_DATE, &r);
    snprintf(head, cap, "%s", r.head);
    *close_after = r.close;
    if (r.fd >= 0)
        close(r.fd);
    reply_free(&r);
    return r.status;
}

/* Out of descriptors when opening: 503 with Retry-After, then close; never remembered. */
START_TEST(test_out_of_descriptors_on_open)
{
    struct config cfg;
    make_config(&cfg, 0);
    struct handler h;
    ck_assert_int_eq(handler_init(&h, &cfg), 0);
    char head[4096];
    bool close_after = false;
    struct rlimit old = no_more_descriptors();
    int status = get_status(&h, "/big.bin", head, sizeof(head), &close_after);
    ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &old), 0);
    ck_assert_int_eq(status, 503);
    ck_assert_ptr_nonnull(strstr(head, "Retry-After: 1\r\n"));
    ck_assert_ptr_nonnull(strstr(head, "Connection: close\r\n"));
    ck_assert(close_after);
    /* descriptors are back: served at once, not a remembered failure */
    ck_assert_int_eq(get_status(&h, "/big.bin", head, sizeof(head), &close_after), 200);
    ck_assert(!close_after);
    handler_free(&h);
}
END_TEST

/* Out of descriptors for the reply's own copy of a cached one: 503 as well. */
START_TEST(test_out_of_descriptors_on_dup)
{
    struct config cfg;
    make_config(&cfg, 0);
    struct handler h;
    ck_assert_int_eq(handler_init(&h, &cfg), 0);
    char head[4096];
    bool close_after = false;
    ck_assert_int_eq(get_status(&h, "/big.bin", head, sizeof(head), &close_after), 200);
    struct rlimit old = no_more_descriptors();
    int status = get_status(&h, "/big.bin", head, sizeof(head), &close_after);
    ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &old), 0);
    ck_assert_int_eq(status, 503);
    ck_assert_ptr_nonnull(strstr(head, "Retry-After: 1\r\n"));
    ck_assert_ptr_nonnull(strstr(head, "Connection: close\r\n"));
    ck_assert(close_after);
    ck_assert_int_eq(get_status(&h, "/big.bin", head, sizeof(head), &close_after), 200);
    handler_free(&h);
}
END_TEST

/* handler_error(): a bare error answer that always closes. */
START_TEST(test_bare_errors_close)
{
    struct config cfg;
    make_config(&cfg, OPT_HEADERS);
    struct handler h;
    ck_assert_int_eq(handler_init(&h, &cfg), 0);
    struct reply r;
    ck_assert_int_eq(reply_init(&r, handler_head_max(&h)), 0);
    handler_error(&h, 431, false, NOW_DATE, &r);
    ck_assert_int_eq(r.status, 431);
    ck_assert(r.close);
    ck_assert_int_eq(r.fd, -1);
    ck_assert_ptr_nonnull(strstr(r.head, "HTTP/1.1 431 Request Header Fields Too Large\r\n"));
    ck_assert_ptr_nonnull(strstr(r.head, "X-Test: 1\r\n"));
    ck_assert_ptr_nonnull(strstr(r.head, "Connection: close\r\n"));
    ck_assert_uint_gt(r.body_len, 0);
    handler_error(&h, 408, true, NOW_DATE, &r);
    ck_assert_int_eq(r.status, 408);
    ck_assert(r.close);
    ck_assert_ptr_null(r.body);
    reply_free(&r);
    handler_free(&h);
}
END_TEST

/* Sets cfg->headers to --header lines of exactly len bytes in all ("X-Pad-N: aaa...\r\n" each). */
static void fill_header_lines(struct config *cfg, size_t len)
{
    size_t n = 0;
    for (int i = 0; n < len; i++) {
        size_t left = len - n, line = left > 800 ? 400 : left;
        int k = snprintf(cfg->headers.headers + n, sizeof(cfg->headers.headers) - n, "X-Pad-%d: ", i);
        memset(cfg->headers.headers + n + k, 'a', line - (size_t)k - 2);
        memcpy(cfg->headers.headers + n + line - 2, "\r\n", 3);
        n += line;
    }
    ck_assert_uint_eq(strlen(cfg->headers.headers), len);
}

/* s of len bytes: prefix, then c up to the length, then suffix. */
static void fill_text(char *s, size_t len, const char *prefix, char c, const char *suffix)
{
    size_t p = strlen(prefix), q = strlen(suffix);
    memcpy(s, prefix, p);
    memset(s + p, c, len - p - q);
    memcpy(s + len - q, suffix, q + 1);
}

/* The configuration at the limits: 2047 bytes of --header lines, the longest CORS origin and
 * allowed headers, and a --redirect rule with the longest target (511 bytes). */
static void make_limits_config(struct config *cfg)
{
    make_config(cfg, OPT_CORS);
    fill_header_lines(cfg, sizeof(cfg->headers.headers) - 1);
    fill_text(cfg->cors.origins[0], sizeof(cfg->cors.origins[0]) - 1, "https://", 'o', ".test");
    fill_text(cfg->cors.allow_headers, sizeof(cfg->cors.allow_headers) - 1, "X-", 'h', "");
    struct redirect_rule *r = &cfg->redirects.rule[0];
    snprintf(r->from, sizeof(r->from), "/r/");
    r->prefix = true;
    fill_text(r->to, sizeof(r->to) - 1, "https://", 't', ".test/*");
    r->code = 301;
    cfg->redirects.count = 1;
}

/* GETs path?query with Origin origin into r (initialised by the caller). */
static void get_with_query(struct handler *h, const char *path, const char *query, const char *origin, struct reply *r)
{
    struct http_request_info info;
    memset(&info, 0, sizeof(info));
    info.method = HTTP_METHOD_GET;
    info.path = slice(path);
    info.query = slice(query);
    info.origin = slice(origin);
    handler_respond(h, 0, &info, true, NOW_DATE, r);
}

/*
 * Issue 24 item 7: a Location carrying a ~2 KB query, with the longest
 * rule, 2047 bytes of --header lines and the longest CORS lines, is a
 * correct 301 with Date and Server (the head is sized at start for it),
 * never a bare 500; past the Location's limit, a 414, with them too.
 */
START_TEST(test_redirect_at_the_limits)
{
    struct config cfg;
    make_limits_config(&cfg);
    struct handler h;
    ck_assert_int_eq(handler_init(&h, &cfg), 0);
    struct reply r;
    ck_assert_int_eq(reply_init(&r, handler_head_max(&h)), 0);
    static char query[2101], location[3000], want[3100];
    fill_text(query, 2000, "q=", 'x', "");
    get_with_query(&h, "/r/x", query, cfg.cors.origins[0], &r);
    ck_assert_msg(r.status == 301, "a rule's Location at the limits: status %d, expected 301; head:\n%.300s", r.status,
                  r.head);
    snprintf(location, sizeof(location), "%.*sx?%s", (int)strlen(cfg.redirects.rule[0].to) - 1,
             cfg.redirects.rule[0].to, query);
    snprintf(want, sizeof(want), "Location: %s\r\n", location);
    ck_assert_ptr_nonnull(strstr(r.head, want));
    ck_assert_ptr_nonnull(strstr(r.head, "Date: " NOW_DATE "\r\n"));
    ck_assert_ptr_nonnull(strstr(r.head, "Server: otuserver/"));
    ck_assert_ptr_nonnull(strstr(r.head, "Access-Control-Allow-Origin: https://ooo"));
    ck_assert_ptr_nonnull(strstr(r.head, "X-Pad-4: aaa"));
    printf("a 301 at the limits: a %zu-byte Location, a %zu-byte head, %zu bytes of room\n", strlen(location),
           r.head_len, handler_head_max(&h));

    get_with_query(&h, "/dir", query, cfg.cors.origins[0], &r); /* a folder's slash redirect */
    ck_assert_msg(r.status == 301, "a folder's redirect at the limits: status %d, expected 301", r.status);
    snprintf(want, sizeof(want), "Location: /dir/?%s\r\n", query);
    ck_assert_ptr_nonnull(strstr(r.head, want));

    fill_text(query, 2100, "q=", 'x', ""); /* past the Location's limit: 414, a whole head */
    get_with_query(&h, "/r/x", query, cfg.cors.origins[0], &r);
    ck_assert_int_eq(r.status, 414);
    ck_assert_ptr_nonnull(strstr(r.head, "Date: " NOW_DATE "\r\n"));
    ck_assert_ptr_nonnull(strstr(r.head, "Server: otuserver/"));
    ck_assert_ptr_null(strstr(r.head, "Location:"));
    reply_free(&r);
    handler_free(&h);
}
END_TEST

/*
 * The head's room (handler_head_max()) holds every field at its longest
 * at once: HANDLER_HEAD_FIXED covers what the code bounds, the rest comes
 * from the configuration at its limits.
 */
START_TEST(test_head_max_holds_every_field)
{
    struct config cfg;
    make_limits_config(&cfg);
    fill_text(cfg.headers.cache_control, sizeof(cfg.headers.cache_control) - 1, "max-age=", '9', "");
    struct handler h;
    ck_assert_int_eq(handler_init(&h, &cfg), 0);
    static char server[64], type[160], range[96], etag[68], location[3000], cors[CORS_LINES_MAX], extra[4096];
    fill_text(server, sizeof(server) - 1, "otuserver/", '9', "");
    fill_text(type, sizeof(type) - 1, "text/", 't', "; charset=utf-8");
    fill_text(range, sizeof(range) - 1, "bytes ", '9', "");
    fill_text(etag, sizeof(etag) - 1, "\"", 'e', "-gz\"");
    fill_text(location, h.location_cap - 1, "https://", 'l', "");
    fill_text(cors, CORS_LINES_MAX - 1, "Access-Control-Allow-Origin: ", 'c', "\r\n");
    snprintf(extra, sizeof(extra), "WWW-Authenticate: Basic realm=\"%063d\", charset=\"UTF-8\"\r\n%s", 0,
             cfg.headers.headers);
    struct response_head rh = {.status = 431,
                               .server = server,
                               .date = NOW_DATE,
                               .content_type = type,
                               .content_length = INT64_MAX,
                               .last_modified = T_DATE,
                               .etag = etag,
                               .content_range = range,
                               .content_encoding = "gzip",
                               .location = location,
                               .allow = "GET, HEAD",
                               .retry_after = "1",
                               .cache_control = cfg.headers.cache_control,
                               .cors = cors,
                               .extra = extra,
                               .accept_ranges = true,
                               .vary_accept_encoding = true,
                               .vary = "Accept",
                               .listing_truncated = true,
                               .keep_alive = true};
    size_t room = handler_head_max(&h);
    char *buf = malloc(room);
    ck_assert_ptr_nonnull(buf);
    int n = response_format_head(&rh, buf, room);
    ck_assert_msg(n > 0, "the largest head does not fit in the %zu bytes of handler_head_max()", room);
    printf("the largest head: %d bytes of %zu\n", n, room);
    free(buf);
    handler_free(&h);
}
END_TEST

static Suite *handler_suite(void)
{
    Suite *s = suite_create("handler");
    TCase *tc = tcase_create("decisions");
    tcase_add_unchecked_fixture(tc, tree_setup, tree_teardown);
    tcase_add_loop_test(tc, test_methods, 0, (int)OTU_ARRAY_LEN(method_cases));
    tcase_add_loop_test(tc, test_cors, 0, (int)OTU_ARRAY_LEN(cors_cases));
    tcase_add_loop_test(tc, test_redirects, 0, (int)OTU_ARRAY_LEN(redirect_cases));
    tcase_add_loop_test(tc, test_autoindex, 0, (int)OTU_ARRAY_LEN(autoindex_cases));
    tcase_add_loop_test(tc, test_paths, 0, (int)OTU_ARRAY_LEN(path_cases));
    tcase_add_loop_test(tc, test_spa_and_error_pages, 0, (int)OTU_ARRAY_LEN(spa_cases));
    tcase_add_loop_test(tc, test_rules, 0, (int)OTU_ARRAY_LEN(rule_cases));
    tcase_add_loop_test(tc, test_conditionals, 0, (int)OTU_ARRAY_LEN(conditional_cases));
    tcase_add_loop_test(tc, test_ranges, 0, (int)OTU_ARRAY_LEN(range_cases));
    tcase_add_loop_test(tc, test_encodings, 0, (int)OTU_ARRAY_LEN(encoding_cases));
    tcase_add_loop_test(tc, test_on_the_fly, 0, (int)OTU_ARRAY_LEN(on_the_fly_cases));
    tcase_add_test(tc, test_gzip_on_the_fly);
    tcase_add_test(tc, test_head_is_get_without_body);
    tcase_add_test(tc, test_big_file_range_is_a_descriptor_slice);
    tcase_add_test(tc, test_out_of_descriptors_on_open);
    tcase_add_test(tc, test_out_of_descriptors_on_dup);
    tcase_add_test(tc, test_bare_errors_close);
    tcase_add_test(tc, test_redirect_at_the_limits);
    tcase_add_test(tc, test_head_max_holds_every_field);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return check_run(handler_suite());
}
