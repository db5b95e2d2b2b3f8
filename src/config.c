/*
 * config.c - see config.h.
 */
#include "compat.h"

#include "config.h"

#include "access_log.h"
#include "http_parser.h"
#include "log.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* Sets one field from a string; returns 0, or -1 with what is allowed in why. */
typedef int (*option_setter)(struct config *cfg, const char *value, char *why, size_t whylen);

struct option_spec {
    char short_name;          /* 'p' for -p, or 0 */
    const char *long_name;    /* "port" for --port */
    const char *alias;        /* a second long name (the classic OTUServer spelling), or NULL */
    const char *env;          /* environment variable, or NULL */
    const char *default_value; /* applied before the environment; NULL = none */
    const char *metavar;      /* shown in --help; NULL = the option takes no value */
    const char *help;         /* one line for --help */
    option_setter set;        /* parses and stores the value */
    void (*clear)(struct config *cfg); /* repeatable options: forget the variable's values
                                          when the first flag comes; else NULL */
    const char *examples;     /* --help lines after "e.g.", newline-separated, or NULL */
};

/* Writes "expected ..." into why and returns -1. */
static int expected(char *why, size_t whylen, const char *fmt, ...) OTU_PRINTF(3, 4);
static int expected(char *why, size_t whylen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, whylen, fmt, ap);
    va_end(ap);
    return -1;
}

/* Copies the NUL-terminated s into dst of cap bytes when it fits; returns 0 or -1. */
static int copy_string(char *dst, size_t cap, const char *s)
{
    size_t n = strlen(s);
    if (n >= cap)
        return -1;
    memcpy(dst, s, n + 1);
    return 0;
}

/* Parses a whole decimal number in [min, max]; returns 0 or -1. */
static int parse_int(const char *s, long min, long max, long *out)
{
    if (*s == '\0' || strlen(s) > 10)
        return -1;
    long v = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        v = v * 10 + (*p - '0');
    }
    if (v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

/*
 * Parses a duration: a number with an optional unit, "ms", "s" (the
 * default) or "m".  Returns milliseconds in [min_ms, max_ms], or -1.
 */
static long parse_duration_ms(const char *s, long min_ms, long max_ms)
{
    char digits[16];
    size_t n = strspn(s, "0123456789");
    const char *unit = s + n;
    long scale;
    if (*unit == '\0' || strcmp(unit, "s") == 0)
        scale = 1000;
    else if (strcmp(unit, "ms") == 0)
        scale = 1;
    else if (strcmp(unit, "m") == 0)
        scale = 60000;
    else
        return -1;
    if (n == 0 || n >= sizeof(digits))
        return -1;
    memcpy(digits, s, n);
    digits[n] = '\0';
    long v;
    if (parse_int(digits, 0, 100000000, &v) < 0 || v > max_ms / scale)
        return -1;
    v *= scale;
    return (v < min_ms || v > max_ms) ? -1 : v;
}

/* Copies s into dst (cap bytes) when it fits and is printable ASCII; returns 0 or -1. */
static int copy_printable(char *dst, size_t cap, const char *s, bool allow_space)
{
    size_t n = strlen(s);
    if (n >= cap)
        return -1;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c >= 0x7f || (c == ' ' && !allow_space))
            return -1;
    }
    memcpy(dst, s, n + 1);
    return 0;
}

static int set_port(struct config *cfg, const char *v, char *why, size_t whylen)
{
    long n;
    if (parse_int(v, 1, 65535, &n) < 0)
        return expected(why, whylen, "a port number 1..65535");
    cfg->port = (int)n;
    return 0;
}

/* Takes an IPv4 or IPv6 literal; an IPv6 one may come in brackets, as in URLs ([::1]). */
static int set_bind(struct config *cfg, const char *v, char *why, size_t whylen)
{
    char bare[sizeof(cfg->bind_addr)];
    size_t n = strlen(v);
    if (n >= 2 && v[0] == '[' && v[n - 1] == ']' && n - 2 < sizeof(bare)) {
        memcpy(bare, v + 1, n - 2);
        bare[n - 2] = '\0';
    } else if (copy_string(bare, sizeof(bare), v) < 0) {
        bare[0] = '\0';
    }
    unsigned char addr[sizeof(struct in6_addr)];
    bool v6 = inet_pton(AF_INET6, bare, addr) == 1;
    if ((!v6 && (v[0] == '[' || inet_pton(AF_INET, bare, addr) != 1)) ||
        copy_string(cfg->bind_addr, sizeof(cfg->bind_addr), bare) < 0)
        return expected(why, whylen, "an IPv4 or IPv6 address such as 0.0.0.0, :: or [::1]");
    return 0;
}

static int set_server_tokens(struct config *cfg, const char *v, char *why, size_t whylen)
{
    if (strcmp(v, "on") == 0)
        cfg->server_tokens = true;
    else if (strcmp(v, "off") == 0)
        cfg->server_tokens = false;
    else
        return expected(why, whylen, "on or off");
    return 0;
}

/* Most workers we fork; a 2-core container does not need more, a 256-core host may. */
#define CONFIG_WORKERS_MAX 256

static int set_workers(struct config *cfg, const char *v, char *why, size_t whylen)
{
    long n;
    if (strcmp(v, "auto") == 0) {
        cfg->workers_auto = true;
        n = config_cpu_count();
        cfg->workers = n > CONFIG_WORKERS_MAX ? CONFIG_WORKERS_MAX : (int)n;
        return 0;
    }
    if (parse_int(v, 1, CONFIG_WORKERS_MAX, &n) < 0)
        return expected(why, whylen, "a number 1..%d or auto", CONFIG_WORKERS_MAX);
    cfg->workers_auto = false;
    cfg->workers = (int)n;
    return 0;
}

static int set_log_level(struct config *cfg, const char *v, char *why, size_t whylen)
{
    for (int level = LOG_LEVEL_ERROR; level <= LOG_LEVEL_DEBUG; level++) {
        if (strcmp(v, log_level_name((enum log_level)level)) == 0) {
            cfg->log_level = level;
            return 0;
        }
    }
    return expected(why, whylen, "one of debug, info, warn, error");
}

static int set_log_format(struct config *cfg, const char *v, char *why, size_t whylen)
{
    int f = access_log_parse_format(v);
    if (f < 0)
        return expected(why, whylen, "one of text, combined, json");
    cfg->log_format = f;
    return 0;
}

static int set_root(struct config *cfg, const char *v, char *why, size_t whylen)
{
    if (*v == '\0' || copy_string(cfg->root, sizeof(cfg->root), v) < 0)
        return expected(why, whylen, "a directory path shorter than %zu bytes", sizeof(cfg->root));
    return 0;
}

static int set_log_file(struct config *cfg, const char *v, char *why, size_t whylen)
{
    if (*v == '\0' || copy_string(cfg->log_file, sizeof(cfg->log_file), v) < 0)
        return expected(why, whylen, "a file path, or - for standard output");
    return 0;
}

/* Defines a setter for a duration field with its range. */
#define DURATION_SETTER(fn, field, min_ms, max_ms, what)                                           \
    static int fn(struct config *cfg, const char *v, char *why, size_t whylen)                     \
    {                                                                                              \
        long ms = parse_duration_ms(v, min_ms, max_ms);                                            \
        if (ms < 0)                                                                                \
            return expected(why, whylen, "%s, such as 10s or 500ms", what);                        \
        cfg->field = (int)ms;                                                                      \
        return 0;                                                                                  \
    }
DURATION_SETTER(set_grace, grace_ms, 0, 3600000, "a duration from 0 to 1h")
DURATION_SETTER(set_header_timeout, header_timeout_ms, 1, 3600000, "a duration from 1ms to 1h")
DURATION_SETTER(set_keepalive_timeout, keepalive_timeout_ms, 0, 3600000,
                "a duration from 0 (no keep-alive) to 1h")
DURATION_SETTER(set_send_timeout, send_timeout_ms, 1, 3600000, "a duration from 1ms to 1h")

/* Defines a setter for an integer field with its range. */
#define INT_SETTER(fn, field, min, max)                                                            \
    static int fn(struct config *cfg, const char *v, char *why, size_t whylen)                     \
    {                                                                                              \
        long n;                                                                                    \
        if (parse_int(v, min, max, &n) < 0)                                                        \
            return expected(why, whylen, "a number %ld..%ld", (long)(min), (long)(max));          \
        cfg->field = (int)n;                                                                       \
        return 0;                                                                                  \
    }
/* 1 KiB fits any sane request line; 1 MiB is past what any browser sends. */
INT_SETTER(set_max_head_size, max_head_size, 1024, 1048576)
INT_SETTER(set_max_headers, max_headers, 1, 1000)
INT_SETTER(set_keepalive_requests, keepalive_requests, 1, 100000000)
INT_SETTER(set_max_connections, max_connections, 1, 1000000)
INT_SETTER(set_file_cache, file_cache_entries, 0, 100000)

static int set_serve_dotfiles(struct config *cfg, const char *v, char *why, size_t whylen)
{
    if (strcmp(v, "1") == 0 || strcmp(v, "true") == 0 || strcmp(v, "yes") == 0)
        cfg->serve_dotfiles = true;
    else if (strcmp(v, "0") == 0 || strcmp(v, "false") == 0 || strcmp(v, "no") == 0)
        cfg->serve_dotfiles = false;
    else
        return expected(why, whylen, "true or false");
    return 0;
}

/*
 * Steps *p over one line of a value that holds several, one per line (a
 * flag's value or a variable): *s and *n get the line with the spaces and
 * CR around it dropped (n may be 0).  Returns false once *p is at the end.
 */
static bool next_line(const char **p, const char **s, size_t *n)
{
    if (**p == '\0')
        return false;
    size_t len = strcspn(*p, "\n");
    *s = *p;
    *n = len;
    while (*n > 0 && (**s == ' ' || **s == '\t')) {
        (*s)++;
        (*n)--;
    }
    while (*n > 0 && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t' || (*s)[*n - 1] == '\r'))
        (*n)--;
    *p += len;
    if (**p != '\0')
        (*p)++;
    return true;
}

/* What --cache-control takes, for its errors. */
#define CACHE_CONTROL_USAGE                                                                        \
    "a Cache-Control value, or PATTERN=VALUE with a glob starting with / or * "                    \
    "(*.html=no-cache), one per line"

/*
 * One --cache-control item of len bytes at s: a plain value (files no rule
 * matches) or a PATTERN=VALUE rule.  *plain counts the plain ones of the
 * value it came in.
 */
static int add_cache_control(struct config *cfg, const char *s, size_t len, int *plain, char *why,
                             size_t whylen)
{
    struct path_rule_text t;
    int form = path_rule_split(s, len, &t);
    char value[CONFIG_HEADER_VALUE_MAX];
    if (form < 0 || t.value_len >= sizeof(value))
        return expected(why, whylen, "%s, values under %zu bytes", CACHE_CONTROL_USAGE, sizeof(value));
    memcpy(value, t.value, t.value_len);
    value[t.value_len] = '\0';
    for (size_t i = 0; i < t.value_len; i++) {
        if ((unsigned char)value[i] < 0x20 || (unsigned char)value[i] >= 0x7f)
            return expected(why, whylen, "%s, values of printable ASCII", CACHE_CONTROL_USAGE);
    }
    if (form == 0) {
        if (++*plain > 1)
            return expected(why, whylen,
                            "one plain value, the other lines PATTERN=VALUE rules (a glob starts with / or *)");
        memcpy(cfg->cache_control, value, t.value_len + 1);
        return 0;
    }
    if (path_rules_add(&cfg->cache_rules, t.pattern, t.pattern_len, t.value, t.value_len) < 0)
        return expected(why, whylen, "at most %d rules, each a glob of up to %d bytes starting with / or *",
                        PATH_RULES_MAX, PATH_RULE_PATTERN_MAX - 1);
    return 0;
}

/*
 * --cache-control VALUE or PATTERN=VALUE, repeatable; a value holds several,
 * one per line, at most one of them plain.  A later plain value replaces an
 * earlier one, as when the option took a single value.
 */
static int set_cache_control(struct config *cfg, const char *v, char *why, size_t whylen)
{
    int plain = 0;
    const char *s;
    size_t n;
    for (const char *p = v; next_line(&p, &s, &n);) {
        if (n > 0 && add_cache_control(cfg, s, n, &plain, why, whylen) < 0)
            return -1;
    }
    return 0;
}

static void clear_cache_control(struct config *cfg)
{
    cfg->cache_control[0] = '\0';
    path_rules_clear(&cfg->cache_rules);
}

/* Stores a request path (or "" for none) in dst: it starts with '/', has no space, and a
 * query only when allowed (the health path is matched without its query). */
static int set_path(char *dst, size_t cap, const char *v, bool allow_query, char *why, size_t whylen)
{
    if (*v != '\0' && (v[0] != '/' || (!allow_query && strchr(v, '?') != NULL) ||
                        copy_printable(dst, cap, v, false) < 0))
        return expected(why, whylen, "a path starting with /, without spaces%s, under %zu bytes",
                        allow_query ? "" : " or '?'", cap);
    if (*v == '\0')
        dst[0] = '\0';
    return 0;
}

static int set_healthcheck_path(struct config *cfg, const char *v, char *why, size_t whylen)
{
    return set_path(cfg->healthcheck_path, sizeof(cfg->healthcheck_path), v, true, why, whylen);
}

static int set_health_path(struct config *cfg, const char *v, char *why, size_t whylen)
{
    return set_path(cfg->health_path, sizeof(cfg->health_path), v, false, why, whylen);
}

const char *config_probe_path(const struct config *cfg)
{
    if (cfg->healthcheck_path[0] != '\0')
        return cfg->healthcheck_path;
    return cfg->health_path[0] != '\0' ? cfg->health_path : "/";
}

static int set_metrics_port(struct config *cfg, const char *v, char *why, size_t whylen)
{
    long n;
    if (strcmp(v, "off") == 0) {
        cfg->metrics_port = 0;
        return 0;
    }
    if (parse_int(v, 0, 65535, &n) < 0)
        return expected(why, whylen, "a port number 1..65535, or 0 or off");
    cfg->metrics_port = (int)n;
    return 0;
}

static int set_fallback(struct config *cfg, const char *v, char *why, size_t whylen)
{
    if (*v != '\0' && (v[0] != '/' || copy_printable(cfg->fallback, sizeof(cfg->fallback), v, false) < 0))
        return expected(why, whylen, "a path starting with /, without spaces, such as /index.html");
    if (*v == '\0')
        cfg->fallback[0] = '\0';
    return 0;
}

/* Header names that would break the framing of our responses. */
static bool header_breaks_framing(const char *name, size_t len)
{
    static const char *const refused[] = {"content-length", "transfer-encoding", "connection"};
    for (size_t i = 0; i < OTU_ARRAY_LEN(refused); i++) {
        if (len == strlen(refused[i]) && strncasecmp(name, refused[i], len) == 0)
            return true;
    }
    return false;
}

/*
 * Formats one "Name: value" (len bytes at line) as "Name: value\r\n" into
 * out (cap bytes).  Returns its length, or -1 with why.
 */
static int format_header(const char *line, size_t len, char *out, size_t cap, char *why, size_t whylen)
{
    size_t colon = 0;
    while (colon < len && line[colon] != ':') {
        if (!http_is_token_char((unsigned char)line[colon]))
            return expected(why, whylen, "'Name: value' with a token name");
        colon++;
    }
    if (colon == 0 || colon == len)
        return expected(why, whylen, "'Name: value' with a token name");
    if (header_breaks_framing(line, colon))
        return expected(why, whylen, "a header other than Content-Length, Transfer-Encoding and "
                                     "Connection, which would break the response framing");
    size_t vstart = colon + 1;
    while (vstart < len && (line[vstart] == ' ' || line[vstart] == '\t'))
        vstart++;
    for (size_t i = vstart; i < len; i++) {
        unsigned char c = (unsigned char)line[i];
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return expected(why, whylen, "a header value without control characters");
    }
    int n = snprintf(out, cap, "%.*s: %.*s\r\n", (int)colon, line, (int)(len - vstart), line + vstart);
    if (n < 0 || (size_t)n >= cap)
        return expected(why, whylen, "headers of at most %zu bytes in all", cap - 1);
    return n;
}

/*
 * Adds one --header item: "Name: value" to cfg->headers (every answer), or
 * "PATTERN=Name: value" to cfg->header_rules (paths matching the glob).
 * Both together stay within CONFIG_HEADERS_MAX, so every line a path may
 * get fits in one head.  Returns 0 or -1 with why.
 */
static int add_header(struct config *cfg, const char *item, size_t len, char *why, size_t whylen)
{
    struct path_rule_text t;
    int form = path_rule_split(item, len, &t);
    if (form < 0)
        return expected(why, whylen, "'Name: value', or PATTERN=Name: value with a glob starting with / or *");
    char line[CONFIG_HEADERS_MAX];
    int n = format_header(t.value, t.value_len, line, sizeof(line), why, whylen);
    if (n < 0)
        return -1;
    size_t used = strlen(cfg->headers) + cfg->header_rules.value_bytes;
    if (used + (size_t)n + 1 > sizeof(cfg->headers))
        return expected(why, whylen, "headers of at most %zu bytes in all", sizeof(cfg->headers) - 1);
    if (form == 0) {
        memcpy(cfg->headers + strlen(cfg->headers), line, (size_t)n + 1);
        return 0;
    }
    if (path_rules_add(&cfg->header_rules, t.pattern, t.pattern_len, line, (size_t)n) < 0)
        return expected(why, whylen, "at most %d rules, each a glob of up to %d bytes starting with / or *",
                        PATH_RULES_MAX, PATH_RULE_PATTERN_MAX - 1);
    return 0;
}

/* --header [PATTERN=]'Name: value', repeatable; the variable holds several, one per line. */
static int set_header(struct config *cfg, const char *v, char *why, size_t whylen)
{
    const char *s;
    size_t n;
    for (const char *p = v; next_line(&p, &s, &n);) {
        if (n > 0 && add_header(cfg, s, n, why, whylen) < 0)
            return -1;
    }
    return 0;
}

static void clear_headers(struct config *cfg)
{
    cfg->headers[0] = '\0';
    path_rules_clear(&cfg->header_rules);
}

/* --error-page STATUS=PATH, repeatable; the variable holds several, comma- or newline-separated. */
static int set_error_page(struct config *cfg, const char *v, char *why, size_t whylen)
{
    const char *p = v;
    while (*p) {
        size_t len = strcspn(p, ",\n");
        char item[300];
        if (len >= sizeof(item))
            return expected(why, whylen, "STATUS=/path entries such as 404=/404.html");
        memcpy(item, p, len);
        item[len] = '\0';
        char *eq = strchr(item, '=');
        long status;
        if (len > 0) {
            if (eq == NULL)
                return expected(why, whylen, "STATUS=/path, such as 404=/404.html");
            *eq = '\0';
            if (parse_int(item, 400, 599, &status) < 0 || eq[1] != '/')
                return expected(why, whylen, "STATUS=/path with a status 400..599, such as 404=/404.html");
            if (cfg->error_page_count >= CONFIG_ERROR_PAGES_MAX)
                return expected(why, whylen, "at most %d error pages", CONFIG_ERROR_PAGES_MAX);
            struct config_error_page *e = &cfg->error_pages[cfg->error_page_count];
            if (copy_printable(e->path, sizeof(e->path), eq + 1, false) < 0)
                return expected(why, whylen, "a page path without spaces");
            e->status = (int)status;
            cfg->error_page_count++;
        }
        p += len;
        if (*p)
            p++;
    }
    return 0;
}

static void clear_error_pages(struct config *cfg)
{
    cfg->error_page_count = 0;
}

/* True when t is a media type a header may carry: type/subtype, printable, no spaces. */
static bool plain_media_type(const char *t)
{
    const char *slash = strchr(t, '/');
    if (slash == NULL || slash == t || slash[1] == '\0')
        return false;
    for (const char *p = t; *p; p++) {
        if (p != slash && !http_is_token_char((unsigned char)*p))
            return false;
    }
    return true;
}

/* --mime EXT=TYPE, repeatable; the variable holds several, comma- or newline-separated. */
static int set_mime(struct config *cfg, const char *v, char *why, size_t whylen)
{
    for (const char *p = v; *p;) {
        size_t len = strcspn(p, ",\n");
        char item[160];
        if (len >= sizeof(item))
            return expected(why, whylen, "EXT=TYPE entries such as yaml=application/yaml");
        memcpy(item, p, len);
        item[len] = '\0';
        char *eq = strchr(item, '=');
        if (len > 0) {
            if (eq == NULL || eq == item)
                return expected(why, whylen, "EXT=TYPE, such as yaml=application/yaml");
            *eq = '\0';
            const char *ext = item[0] == '.' ? item + 1 : item;
            if (cfg->mime_count >= CONFIG_MIME_MAX)
                return expected(why, whylen, "at most %d --mime entries", CONFIG_MIME_MAX);
            if (!plain_media_type(eq + 1) || strchr(ext, '/') || strchr(ext, '.') ||
                copy_printable(cfg->mime[cfg->mime_count].ext, sizeof(cfg->mime[0].ext), ext,
                               false) < 0 ||
                copy_string(cfg->mime[cfg->mime_count].type, sizeof(cfg->mime[0].type), eq + 1) < 0)
                return expected(why, whylen, "EXT=TYPE: an extension of up to 16 characters and "
                                             "a type/subtype, such as yaml=application/yaml");
            cfg->mime_count++;
        }
        p += len;
        if (*p)
            p++;
    }
    return 0;
}

static void clear_mime(struct config *cfg)
{
    cfg->mime_count = 0;
}

/*
 * Edges: CORS (--cors-*).  An origin is scheme://host[:port] exactly as a
 * browser serialises it: http or https, a DNS name, IPv4 or [IPv6] host, an
 * optional port, no path and no trailing slash.  It is stored in lower case,
 * so the comparison with a request's Origin can ignore case.
 */
static int parse_origin(const char *s, size_t len, char *out, size_t cap)
{
    size_t scheme = 0;
    if (len > 7 && strncasecmp(s, "http://", 7) == 0)
        scheme = 7;
    else if (len > 8 && strncasecmp(s, "https://", 8) == 0)
        scheme = 8;
    if (scheme == 0 || len >= cap)
        return -1;
    size_t i = scheme;
    if (s[i] == '[') {
        const char *close = memchr(s + i, ']', len - i);
        if (close == NULL || close == s + i + 1)
            return -1;
        for (i++; s + i < close; i++) {
            if (!isxdigit((unsigned char)s[i]) && s[i] != ':' && s[i] != '.')
                return -1;
        }
        i++;
    } else {
        size_t host_start = i;
        for (; i < len && s[i] != ':'; i++) {
            if (!isalnum((unsigned char)s[i]) && s[i] != '.' && s[i] != '-')
                return -1;
        }
        if (i == host_start)
            return -1;
    }
    if (i < len) {
        if (s[i] != ':')
            return -1; /* a path, or junk after [IPv6] */
        size_t digits = 0;
        for (i++; i < len; i++, digits++) {
            if (s[i] < '0' || s[i] > '9' || digits >= 5)
                return -1;
        }
        if (digits == 0)
            return -1;
    }
    for (i = 0; i < len; i++)
        out[i] = (char)tolower((unsigned char)s[i]);
    out[len] = '\0';
    return 0;
}

/* --cors-origins '*' or ORIGIN[,ORIGIN...]: the whole list (a later value replaces it). */
static int set_cors_origins(struct config *cfg, const char *v, char *why, size_t whylen)
{
    cfg->cors_any = false;
    cfg->cors_origin_count = 0;
    if (strcmp(v, "*") == 0) {
        cfg->cors_any = true;
        return 0;
    }
    for (const char *p = v; *p;) {
        while (*p == ' ' || *p == ',' || *p == '\n')
            p++;
        size_t len = strcspn(p, ", \n");
        if (len == 0)
            break;
        if (cfg->cors_origin_count >= CONFIG_CORS_ORIGINS_MAX)
            return expected(why, whylen, "at most %d origins", CONFIG_CORS_ORIGINS_MAX);
        if (parse_origin(p, len, cfg->cors_origins[cfg->cors_origin_count], CONFIG_ORIGIN_MAX) < 0)
            return expected(why, whylen, "'*' or origins such as https://app.example.com or "
                                         "http://localhost:3000 (scheme://host[:port], no path)");
        cfg->cors_origin_count++;
        p += len;
    }
    return 0;
}

/* --cors-headers NAME[,NAME...]: field names, stored as "A, B"; empty = none. */
static int set_cors_headers(struct config *cfg, const char *v, char *why, size_t whylen)
{
    char *out = cfg->cors_headers;
    size_t cap = sizeof(cfg->cors_headers), n = 0;
    out[0] = '\0';
    for (const char *p = v; *p;) {
        while (*p == ' ' || *p == ',')
            p++;
        size_t len = 0;
        while (p[len] != '\0' && p[len] != ',' && p[len] != ' ') {
            if (!http_is_token_char((unsigned char)p[len]))
                return expected(why, whylen, "header names separated by commas, such as Range, Content-Type");
            len++;
        }
        if (len == 0)
            break;
        if (n + len + 3 > cap)
            return expected(why, whylen, "header names of at most %zu bytes in all", cap - 1);
        n += (size_t)snprintf(out + n, cap - n, "%s%.*s", n ? ", " : "", (int)len, p);
        p += len;
    }
    return 0;
}

/* A preflight's answer is cached by the browser for this long; a day is past every browser's own cap. */
INT_SETTER(set_cors_max_age, cors_max_age, 0, 86400)

/*
 * Edges: --redirect FROM=TO[:CODE].  A trailing ':' and three digits is
 * always the code, which must be 301, 302, 307 or 308 (default 301): a
 * mistyped "/b:999" or "/b:200" is refused rather than sent as part of the
 * Location.  TO may still be a URL with a port (https://h:8443/x); one that
 * ends in a three-digit port or ":NNN" adds a path or its code after it
 * (https://h:999/, /b:999:301).  FROM is a path, a trailing '*' making it a
 * prefix whose rest a TO ending in '*' receives.
 */
static int add_redirect(struct config *cfg, char *item, char *why, size_t whylen)
{
    static const char usage[] = "FROM=TO[:CODE], such as /old/*=/new/*:301 or /blog=https://blog.example.com/:302 "
                                "(FROM a path, TO a path or http(s) URL, no spaces; CODE 301, 302, 307 or 308)";
    char *eq = strchr(item, '=');
    if (eq == NULL || item[0] != '/')
        return expected(why, whylen, "%s", usage);
    *eq = '\0';
    char *to = eq + 1;
    size_t to_len = strlen(to);
    int code = 301;
    if (to_len > 4 && to[to_len - 4] == ':' && isdigit((unsigned char)to[to_len - 3]) &&
        isdigit((unsigned char)to[to_len - 2]) && isdigit((unsigned char)to[to_len - 1])) {
        code = (to[to_len - 3] - '0') * 100 + (to[to_len - 2] - '0') * 10 + (to[to_len - 1] - '0');
        if (code != 301 && code != 302 && code != 307 && code != 308)
            return expected(why, whylen, "%s", usage);
        to[to_len - 4] = '\0';
        to_len -= 4;
    }
    if (cfg->redirect_count >= CONFIG_REDIRECTS_MAX)
        return expected(why, whylen, "at most %d redirects", CONFIG_REDIRECTS_MAX);
    struct config_redirect *r = &cfg->redirects[cfg->redirect_count];
    size_t from_len = strlen(item);
    r->prefix = item[from_len - 1] == '*';
    if (r->prefix)
        item[from_len - 1] = '\0';
    bool to_ok = to[0] == '/' || strncmp(to, "http://", 7) == 0 || strncmp(to, "https://", 8) == 0;
    const char *star = strchr(to, '*');
    bool to_carries = star != NULL && star == to + to_len - 1;
    if (!to_ok || strchr(item, '*') != NULL || (star != NULL && !to_carries) || (to_carries && !r->prefix) ||
        copy_printable(r->from, sizeof(r->from), item, false) < 0 ||
        copy_printable(r->to, sizeof(r->to), to, false) < 0)
        return expected(why, whylen, "%s", usage);
    r->code = code;
    cfg->redirect_count++;
    return 0;
}

/* --redirect, repeatable; a value holds several, newline-separated, or comma-separated without a newline. */
static int set_redirect(struct config *cfg, const char *v, char *why, size_t whylen)
{
    const char *seps = strchr(v, '\n') ? "\n" : ",";
    for (const char *p = v; *p;) {
        size_t len = strcspn(p, seps);
        char item[sizeof(cfg->redirects[0].from) + sizeof(cfg->redirects[0].to) + 8];
        if (len >= sizeof(item))
            return expected(why, whylen, "FROM=TO[:CODE] entries under %zu bytes each", sizeof(item));
        memcpy(item, p, len);
        item[len] = '\0';
        while (len > 0 && (item[len - 1] == '\r' || item[len - 1] == ' '))
            item[--len] = '\0';
        char *start = item + strspn(item, " ");
        if (*start != '\0' && add_redirect(cfg, start, why, whylen) < 0)
            return -1;
        p += strcspn(p, seps);
        if (*p)
            p++;
    }
    return 0;
}

static void clear_redirects(struct config *cfg)
{
    cfg->redirect_count = 0;
}

/* --index NAME[,NAME...]: plain file names (no '/', not "." or ".."), at most CONFIG_INDEX_MAX. */
static int set_index(struct config *cfg, const char *v, char *why, size_t whylen)
{
    cfg->index_count = 0;
    for (const char *p = v; *p;) {
        size_t len = strcspn(p, ",");
        char name[64];
        if (len == 0 || len >= sizeof(name) || cfg->index_count >= CONFIG_INDEX_MAX)
            return expected(why, whylen, "1 to %d file names, comma-separated, such as "
                                         "index.html,index.htm", CONFIG_INDEX_MAX);
        memcpy(name, p, len);
        name[len] = '\0';
        if (strchr(name, '/') || strcmp(name, ".") == 0 || strcmp(name, "..") == 0 ||
            copy_printable(cfg->index_names[cfg->index_count], sizeof(cfg->index_names[0]), name,
                           false) < 0)
            return expected(why, whylen, "file names without '/' or spaces, such as index.htm");
        cfg->index_count++;
        p += len;
        if (*p)
            p++;
    }
    if (cfg->index_count == 0)
        return expected(why, whylen, "at least one file name, such as index.html");
    return 0;
}

/* --charset: a token such as utf-8, or "" for none. */
static int set_charset(struct config *cfg, const char *v, char *why, size_t whylen)
{
    for (const char *p = v; *p; p++) {
        if (!http_is_token_char((unsigned char)*p))
            return expected(why, whylen, "a charset name such as utf-8, or empty for none");
    }
    if (copy_string(cfg->charset, sizeof(cfg->charset), v) < 0)
        return expected(why, whylen, "a charset name of up to %zu characters", sizeof(cfg->charset) - 1);
    return 0;
}

static int set_autoindex(struct config *cfg, const char *v, char *why, size_t whylen)
{
    if (strcmp(v, "1") == 0 || strcmp(v, "true") == 0 || strcmp(v, "yes") == 0)
        cfg->autoindex = true;
    else if (strcmp(v, "0") == 0 || strcmp(v, "false") == 0 || strcmp(v, "no") == 0)
        cfg->autoindex = false;
    else
        return expected(why, whylen, "true or false");
    return 0;
}

/* compression on the fly (issue 15) */

/* Most bytes one file may have to be compressed on the fly: 16 MiB takes about 0.3 s at level 6. */
#define CONFIG_COMPRESS_MAX_SIZE_LIMIT (16L * 1024 * 1024)
/* Most compressed bytes a worker may keep: 1 GiB. */
#define CONFIG_COMPRESS_CACHE_LIMIT (1024L * 1024 * 1024)

/* Parses a size in bytes, or with a unit k (KiB) or m (MiB), in [min, max]; returns it or -1. */
static long parse_size(const char *s, long min, long max)
{
    char digits[16];
    size_t n = strspn(s, "0123456789");
    long scale = 1;
    if (s[n] == 'k' || s[n] == 'K')
        scale = 1024;
    else if (s[n] == 'm' || s[n] == 'M')
        scale = 1024L * 1024;
    else if (s[n] != '\0')
        return -1;
    if (n == 0 || n >= sizeof(digits) || (scale > 1 && s[n + 1] != '\0'))
        return -1;
    memcpy(digits, s, n);
    digits[n] = '\0';
    long v;
    if (parse_int(digits, 0, 2000000000, &v) < 0 || v > max / scale)
        return -1;
    v *= scale;
    return v < min ? -1 : v;
}

/* Defines a setter for a size field (bytes, or k/m) with its range and what to say. */
#define SIZE_SETTER(fn, field, min, max, what)                                                     \
    static int fn(struct config *cfg, const char *v, char *why, size_t whylen)                     \
    {                                                                                              \
        long n = parse_size(v, min, max);                                                          \
        if (n < 0)                                                                                 \
            return expected(why, whylen, "%s, in bytes or with k or m (KiB, MiB)", what);          \
        cfg->field = (int)n;                                                                       \
        return 0;                                                                                  \
    }
SIZE_SETTER(set_compress_min_size, compress_min_size, 0, CONFIG_COMPRESS_MAX_SIZE_LIMIT,
            "a size from 0 to 16m")
SIZE_SETTER(set_compress_max_size, compress_max_size, 0, CONFIG_COMPRESS_MAX_SIZE_LIMIT,
            "a size from 0 to 16m")
SIZE_SETTER(set_compress_cache_size, compress_cache_size, 4096, CONFIG_COMPRESS_CACHE_LIMIT,
            "a size from 4k to 1024m")
INT_SETTER(set_compress_level, compress_level, 1, 12)

static int set_compress(struct config *cfg, const char *v, char *why, size_t whylen)
{
    if (strcmp(v, "gzip") == 0)
        cfg->compress_gzip = true;
    else if (strcmp(v, "off") == 0)
        cfg->compress_gzip = false;
    else
        return expected(why, whylen, "off or gzip");
    return 0;
}

/* --compress-types: media types (type/subtype, or a type and "/" + "*" for a prefix), comma-separated. */
static int set_compress_types(struct config *cfg, const char *v, char *why, size_t whylen)
{
    const char *p = v;
    while (*p != '\0') {
        p += strspn(p, " ,");
        size_t n = strcspn(p, ", ");
        const char *slash = memchr(p, '/', n);
        bool ok = slash != NULL && slash > p && slash < p + n - 1;
        for (size_t i = 0; ok && i < n; i++) /* '*' only as the whole subtype */
            ok = p[i] == '*' ? i == n - 1 && p[i - 1] == '/'
                             : http_is_token_char((unsigned char)p[i]) || p + i == slash;
        if (n > 0 && !ok)
            return expected(why, whylen, "media types such as text/*,application/json, comma-separated");
        p += n;
    }
    if (copy_string(cfg->compress_types, sizeof(cfg->compress_types), v) < 0)
        return expected(why, whylen, "a list of media types under %zu bytes", sizeof(cfg->compress_types));
    return 0;
}

/* --basic-auth-file: a path, or "" for none; auth_file_check() reads it at start. */
static int set_basic_auth_file(struct config *cfg, const char *v, char *why, size_t whylen)
{
    if (copy_string(cfg->basic_auth_file, sizeof(cfg->basic_auth_file), v) < 0)
        return expected(why, whylen, "an htpasswd file path, or empty for none");
    return 0;
}

/* --basic-auth-realm: goes inside a quoted string, so no '"' or '\\'. */
static int set_basic_auth_realm(struct config *cfg, const char *v, char *why, size_t whylen)
{
    if (*v == '\0' || strpbrk(v, "\"\\") != NULL ||
        copy_printable(cfg->basic_auth_realm, sizeof(cfg->basic_auth_realm), v, true) < 0)
        return expected(why, whylen, "1 to %zu printable ASCII characters without '\"' or '\\'",
                        sizeof(cfg->basic_auth_realm) - 1);
    return 0;
}

static int set_mode_help(struct config *cfg, const char *v, char *why, size_t whylen)
{
    (void)v, (void)why, (void)whylen;
    cfg->mode = CONFIG_MODE_HELP;
    return 0;
}

static int set_mode_version(struct config *cfg, const char *v, char *why, size_t whylen)
{
    (void)v, (void)why, (void)whylen;
    if (cfg->mode != CONFIG_MODE_HELP)
        cfg->mode = CONFIG_MODE_VERSION;
    return 0;
}

static int set_mode_healthcheck(struct config *cfg, const char *v, char *why, size_t whylen)
{
    (void)v, (void)why, (void)whylen;
    if (cfg->mode == CONFIG_MODE_SERVE)
        cfg->mode = CONFIG_MODE_HEALTHCHECK;
    return 0;
}

static const struct option_spec options[] = {
    {'p', "port", NULL, "OTUSERVER_PORT", "80", "PORT", "TCP port to listen on (1..65535)",
     set_port},
    {'w', "workers", NULL, "OTUSERVER_WORKERS", "4", "N|auto",
     "worker processes, 1..256, or auto = usable CPUs (affinity and cgroup quota)", set_workers},
    {'l', "log-level", "level_log", "OTUSERVER_LOG_LEVEL", "info", "LEVEL",
     "debug, info (one line per request), warn or error", set_log_level},
    {0, "log-format", NULL, "OTUSERVER_LOG_FORMAT", "text", "FORMAT",
     "access lines: text, combined (Combined Log Format + duration) or json", set_log_format},
    {'r', "root", "root_document", "OTUSERVER_ROOT", "./DOCUMENT_ROOT", "DIR",
     "document root: an existing, readable directory", set_root},
    {'f', "log-file", "file_log", "OTUSERVER_LOG_FILE", "./httpd.log", "PATH",
     "log file, or - for standard output", set_log_file},
    {'b', "bind", NULL, "OTUSERVER_BIND", "::", "ADDR",
     "address to listen on: :: = every IPv6 and IPv4 address (0.0.0.0 where the kernel has no IPv6)",
     set_bind},
    {0, "server-tokens", NULL, "OTUSERVER_SERVER_TOKENS", "on", "on|off",
     "the Server header names the version (otuserver/1.0.0), or off: just otuserver",
     set_server_tokens},
    {0, "grace-period", NULL, "OTUSERVER_GRACE_PERIOD", "10s", "DURATION",
     "on SIGTERM, how long responses in flight may take before workers are killed", set_grace},
    {0, "max-head-size", NULL, "OTUSERVER_MAX_HEAD_SIZE", "8192", "BYTES",
     "request line + headers limit, 1024..1048576 (431; 414 for the target)", set_max_head_size},
    {0, "max-headers", NULL, "OTUSERVER_MAX_HEADERS", "100", "N",
     "header lines per request, 1..1000 (431)", set_max_headers},
    {0, "header-timeout", NULL, "OTUSERVER_HEADER_TIMEOUT", "10s", "DURATION",
     "the whole request head must arrive within this (408), not reset by each byte",
     set_header_timeout},
    {0, "keepalive-timeout", NULL, "OTUSERVER_KEEPALIVE_TIMEOUT", "5s", "DURATION",
     "idle time allowed between requests on a connection; 0 turns keep-alive off",
     set_keepalive_timeout},
    {0, "keepalive-requests", NULL, "OTUSERVER_KEEPALIVE_REQUESTS", "1000", "N",
     "requests served on one connection before it is closed", set_keepalive_requests},
    {0, "send-timeout", NULL, "OTUSERVER_SEND_TIMEOUT", "60s", "DURATION",
     "close a connection whose client takes no bytes for this long", set_send_timeout},
    {0, "max-connections", NULL, "OTUSERVER_MAX_CONNECTIONS", "8192", "N",
     "open connections per worker; at the cap the worker stops accepting", set_max_connections},
    {0, "file-cache", NULL, "OTUSERVER_FILE_CACHE", "1024", "N",
     "open files remembered per worker (changes show within 1 s); 0 reopens every time",
     set_file_cache},
    {0, "serve-dotfiles", NULL, "OTUSERVER_SERVE_DOTFILES", "false", NULL,
     "serve names starting with '.' (otherwise 404; /.well-known/ is always served)",
     set_serve_dotfiles},
    {0, "cache-control", NULL, "OTUSERVER_CACHE_CONTROL", "", "[PATTERN=]VALUE",
     "Cache-Control on files (200, 206, 304): VALUE for all, or PATTERN=VALUE for paths matching a "
     "glob (* any run, / included; ? one character), the request's or the answering file's "
     "(/ -> /index.html); first match wins, the plain VALUE where none does; repeatable; the "
     "variable takes several, one per line; empty = none",
     set_cache_control, clear_cache_control,
     "--cache-control 'public, max-age=3600'\n"
     "--cache-control '*.html=no-cache' --cache-control '/assets/*=public, max-age=31536000, immutable'\n"
     "OTUSERVER_CACHE_CONTROL=$'*.html=no-cache\\n/assets/*=public, max-age=31536000, immutable'"},
    {0, "metrics-port", NULL, "OTUSERVER_METRICS_PORT", "0", "PORT",
     "serve Prometheus metrics at http://BIND:PORT/metrics (its own listener); 0 = off",
     set_metrics_port},
    {0, "fallback", NULL, "OTUSERVER_FALLBACK", "", "PATH",
     "single-page apps: serve PATH (e.g. /index.html) for missing paths without an extension",
     set_fallback},
    {0, "mime", NULL, "OTUSERVER_MIME_TYPES", NULL, "EXT=TYPE",
     "send files ending in .EXT as TYPE (e.g. yaml=application/yaml), ahead of the built-in "
     "table; repeatable; the variable takes several, comma-separated", set_mime, clear_mime},
    {0, "error-page", NULL, "OTUSERVER_ERROR_PAGES", NULL, "STATUS=PATH",
     "serve PATH as the body of STATUS (e.g. 404=/404.html); repeatable; the variable takes "
     "several, comma-separated", set_error_page, clear_error_pages},
    {0, "header", NULL, "OTUSERVER_HEADERS", NULL, "'[PATTERN=]NAME: VALUE'",
     "add a header to every response (security headers), or with PATTERN= to answers for paths "
     "matching the glob (as --cache-control's; errors too), where it replaces an all-paths header "
     "of its name; every matching rule applies; repeatable; the variable takes several, one per line",
     set_header, clear_headers,
     "--header 'X-Frame-Options: DENY' --header '/embed/*=X-Frame-Options: SAMEORIGIN'\n"
     "OTUSERVER_HEADERS=$'X-Frame-Options: DENY\\n/embed/*=X-Frame-Options: SAMEORIGIN'"},
    /* edges: CORS, redirects, directory listings */
    {0, "cors-origins", NULL, "OTUSERVER_CORS_ORIGINS", "", "'*'|ORIGIN,...",
     "CORS: answer preflights (OPTIONS) and add Access-Control-Allow-Origin for these origins "
     "(scheme://host[:port], comma-separated), or '*' for any; empty = off", set_cors_origins},
    {0, "cors-headers", NULL, "OTUSERVER_CORS_HEADERS",
     "Range, If-None-Match, If-Modified-Since, If-Range", "NAME,...",
     "CORS: request headers a preflight allows (Access-Control-Allow-Headers)", set_cors_headers},
    {0, "cors-max-age", NULL, "OTUSERVER_CORS_MAX_AGE", "600", "SECONDS",
     "CORS: how long a browser may keep a preflight's answer (Access-Control-Max-Age), 0..86400",
     set_cors_max_age},
    {0, "redirect", NULL, "OTUSERVER_REDIRECTS", NULL, "FROM=TO[:CODE]",
     "answer FROM with CODE (301 default, 302, 307, 308) and Location TO: an exact path or a prefix "
     "/old/* whose rest goes to a TO ending in *; query kept; repeatable; the variable takes several, "
     "comma- or newline-separated", set_redirect, clear_redirects},
    {0, "index", NULL, "OTUSERVER_INDEX", "index.html", "NAME,...",
     "the file a folder serves, the first of these names that exists (e.g. index.html,index.htm)",
     set_index},
    {0, "charset", NULL, "OTUSERVER_CHARSET", "", "NAME",
     "append '; charset=NAME' (e.g. utf-8) to text types: text/*, JavaScript, JSON, XML, SVG; "
     "empty = none (the classic contract sends text/html bare)",
     set_charset},
    {0, "autoindex", NULL, "OTUSERVER_AUTOINDEX", "false", NULL,
     "list a folder without index.html (HTML; JSON for Accept: application/json; ?sort=name|size|time"
     "&order=asc|desc; at most 10000 entries) instead of 403", set_autoindex},
    {0, "health-path", NULL, "OTUSERVER_HEALTH_PATH", "", "PATH",
     "health probe path, e.g. /healthz: GET/HEAD answered by the worker itself, 200 when it "
     "can open the root, else 503; logged only at debug; empty = off", set_health_path},
    /* basic authentication (issue 16) */
    {0, "basic-auth-file", NULL, "OTUSERVER_BASIC_AUTH_FILE", "", "FILE",
     "htpasswd file (user:hash, bcrypt $2y$/$2b$ or SHA-crypt $5$/$6$): every request but the "
     "health path needs its credentials (401); read at start and on SIGHUP; empty = off",
     set_basic_auth_file},
    {0, "basic-auth-realm", NULL, "OTUSERVER_BASIC_AUTH_REALM", "otuserver", "REALM",
     "realm named in WWW-Authenticate (printable ASCII, no quotes)", set_basic_auth_realm},
    /* compression on the fly (issue 15) */
    {0, "compress", NULL, "OTUSERVER_COMPRESS", "gzip", "off|gzip",
     "gzip compressible files for clients that accept it, once: the result is kept per worker "
     "(precompressed .br/.zst/.gz siblings come first)", set_compress},
    {0, "compress-types", NULL, "OTUSERVER_COMPRESS_TYPES",
     "text/*,application/javascript,application/json,application/xml,application/manifest+json,"
     "application/wasm,image/svg+xml,font/ttf,font/otf,application/vnd.ms-fontobject", "TYPE,...",
     "media types compressed on the fly; type/* takes a whole type", set_compress_types},
    {0, "compress-min-size", NULL, "OTUSERVER_COMPRESS_MIN_SIZE", "1k", "SIZE",
     "smaller files are sent as they are (bytes, or k, m)", set_compress_min_size},
    {0, "compress-max-size", NULL, "OTUSERVER_COMPRESS_MAX_SIZE", "1m", "SIZE",
     "larger files are never compressed on the fly (bounds a worker's pause), up to 16m",
     set_compress_max_size},
    {0, "compress-cache-size", NULL, "OTUSERVER_COMPRESS_CACHE_SIZE", "8m", "SIZE",
     "compressed bytes each worker keeps, least recently used dropped first, 4k..1024m",
     set_compress_cache_size},
    {0, "compress-level", NULL, "OTUSERVER_COMPRESS_LEVEL", "6", "N",
     "gzip level 1 (fastest) .. 12 (smallest)", set_compress_level},
    {0, "healthcheck", NULL, NULL, NULL, NULL,
     "probe http://127.0.0.1:PORT/ (or the bind address) and exit 0 if it answers 200, else 1",
     set_mode_healthcheck},
    {0, "healthcheck-path", NULL, "OTUSERVER_HEALTHCHECK_PATH", "", "PATH",
     "path that --healthcheck requests; empty = the health path if set, else /",
     set_healthcheck_path},
    {'h', "help", NULL, NULL, NULL, NULL, "print this help and exit", set_mode_help},
    {'V', "version", NULL, NULL, NULL, NULL, "print the version and exit", set_mode_version},
};

/* Finds the option for "-x" or "--name"; NULL when there is none. */
static const struct option_spec *find_option(const char *arg, size_t name_len)
{
    for (size_t i = 0; i < OTU_ARRAY_LEN(options); i++) {
        const struct option_spec *o = &options[i];
        if (arg[1] != '-') {
            if (o->short_name != 0 && arg[1] == o->short_name)
                return o;
            continue;
        }
        const char *name = arg + 2;
        if ((strlen(o->long_name) == name_len && strncmp(name, o->long_name, name_len) == 0) ||
            (o->alias && strlen(o->alias) == name_len && strncmp(name, o->alias, name_len) == 0))
            return o;
    }
    return NULL;
}

/*
 * True when name=value is a service link: a Kubernetes Service "otuserver"
 * puts OTUSERVER_PORT=tcp://10.0.0.7:80 into every pod of its namespace
 * (and Docker's legacy links do the same), which is no port number.  Only
 * *_PORT variables in exactly the form PROTO://ADDR:PORT are taken for one.
 */
static bool is_service_link(const char *name, const char *value)
{
    size_t n = strlen(name);
    if (n < 5 || strcmp(name + n - 5, "_PORT") != 0)
        return false;
    const char *rest = NULL;
    if (strncmp(value, "tcp://", 6) == 0 || strncmp(value, "udp://", 6) == 0)
        rest = value + 6;
    else if (strncmp(value, "sctp://", 7) == 0)
        rest = value + 7;
    const char *colon = rest ? strrchr(rest, ':') : NULL;
    if (colon == NULL || colon == rest || colon[1] == '\0')
        return false;
    for (const char *p = colon + 1; *p; p++) {
        if (*p < '0' || *p > '9')
            return false;
    }
    return true;
}

/* Adds name=value to the one warning line about ignored service links. */
static void note_service_link(struct config *cfg, const char *name, const char *value)
{
    size_t n = strlen(cfg->warning);
    if (n == 0)
        snprintf(cfg->warning, sizeof(cfg->warning),
                 "ignoring %s=%.40s: a service link that Kubernetes (from a Service named "
                 "otuserver) or Docker links inject, not a setting; set enableServiceLinks: "
                 "false or name the Service otherwise",
                 name, value);
    else if (n < sizeof(cfg->warning))
        snprintf(cfg->warning + n, sizeof(cfg->warning) - n, " (also %s)", name);
}

/* Longest part of a bad value echoed in an error; the rest is cut. */
#define CONFIG_ECHO_MAX 80

/* Copies value for an error line: control bytes as \xNN, so the line stays one line. */
static void escape_value(const char *value, char *out, size_t cap)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)value; *p && n + 5 < cap; p++) {
        if (p - (const unsigned char *)value >= CONFIG_ECHO_MAX) {
            memcpy(out + n, "...", 3);
            n += 3;
            break;
        }
        if (*p < 0x20 || *p == 0x7f)
            n += (size_t)snprintf(out + n, cap - n, "\\x%02x", *p);
        else
            out[n++] = (char)*p;
    }
    out[n] = '\0';
}

/* Applies value through o->set; on failure writes the one-line error for 'source'. */
static int apply(struct config *cfg, const struct option_spec *o, const char *value,
                 const char *source, char *err, size_t errlen)
{
    char why[160], shown[CONFIG_ECHO_MAX * 4 + 8];
    if (o->set(cfg, value, why, sizeof(why)) == 0)
        return 0;
    escape_value(value, shown, sizeof(shown));
    snprintf(err, errlen, "invalid value '%s' for %s: expected %s", shown, source, why);
    return 2;
}

/* Step 1 of config_parse(): every option's default.  Returns 0 or 2. */
static int apply_defaults(struct config *cfg, char *err, size_t errlen)
{
    for (size_t i = 0; i < OTU_ARRAY_LEN(options); i++) {
        const struct option_spec *o = &options[i];
        if (o->default_value && apply(cfg, o, o->default_value, "default", err, errlen))
            return 2;
    }
    return 0;
}

/* Step 2: the OTUSERVER_* variables; service links are noted and skipped.  Returns 0 or 2. */
static int apply_environment(struct config *cfg, config_getenv_fn getenv_fn, char *err,
                             size_t errlen)
{
    for (size_t i = 0; i < OTU_ARRAY_LEN(options); i++) {
        const struct option_spec *o = &options[i];
        const char *v = o->env ? getenv_fn(o->env) : NULL;
        if (v != NULL && is_service_link(o->env, v)) {
            note_service_link(cfg, o->env, v);
            continue;
        }
        if (v != NULL && *v != '\0' && apply(cfg, o, v, o->env, err, errlen))
            return 2;
    }
    return 0;
}

/*
 * Reads the value of flag argv[*i] (o, named source): "--name=value",
 * "-pVALUE", or the next argument (*i moves on).  Flags without a value
 * read "true".  Returns the value, or NULL with err set.
 */
static const char *flag_value(const struct option_spec *o, const char *source, int argc,
                              char **argv, int *i, char *err, size_t errlen)
{
    const char *arg = argv[*i];
    bool is_long = arg[1] == '-';
    const char *eq = is_long ? strchr(arg, '=') : NULL;
    if (o->metavar == NULL) {
        if (eq != NULL || (!is_long && arg[2] != '\0')) {
            snprintf(err, errlen, "option %s takes no value", source);
            return NULL;
        }
        return "true";
    }
    if (eq != NULL)
        return eq + 1;
    if (!is_long && arg[2] != '\0')
        return arg + 2; /* -p8080 */
    if (*i + 1 < argc)
        return argv[++*i];
    snprintf(err, errlen, "option %s needs a value (%s)", source, o->metavar);
    return NULL;
}

/* Step 3: the command line, which wins over both.  Returns 0 or 2. */
static int apply_flags(struct config *cfg, int argc, char **argv, char *err, size_t errlen)
{
    bool flag_seen[OTU_ARRAY_LEN(options)] = {false};
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (arg[0] != '-' || arg[1] == '\0' || strcmp(arg, "--") == 0) {
            snprintf(err, errlen, "unexpected argument '%s' (see --help)", arg);
            return 2;
        }
        bool is_long = arg[1] == '-';
        const char *eq = is_long ? strchr(arg, '=') : NULL;
        size_t name_len = is_long ? (eq ? (size_t)(eq - arg - 2) : strlen(arg + 2)) : 1;
        const struct option_spec *o = find_option(arg, name_len);
        if (o == NULL) {
            snprintf(err, errlen, "unknown option '%s' (see --help)", arg);
            return 2;
        }
        char source[64];
        if (is_long)
            snprintf(source, sizeof(source), "--%.*s", (int)name_len, arg + 2);
        else
            snprintf(source, sizeof(source), "-%c", o->short_name);
        const char *value = flag_value(o, source, argc, argv, &i, err, errlen);
        if (value == NULL)
            return 2;
        if (o->clear != NULL && !flag_seen[o - options]) {
            o->clear(cfg); /* flags replace the variable's list */
            flag_seen[o - options] = true;
        }
        if (apply(cfg, o, value, source, err, errlen))
            return 2;
    }
    return 0;
}

int config_parse(struct config *cfg, int argc, char **argv, config_getenv_fn getenv_fn,
                 char *err, size_t errlen)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->mode = CONFIG_MODE_SERVE;
    err[0] = '\0';
    if (apply_defaults(cfg, err, errlen) || apply_environment(cfg, getenv_fn, err, errlen) ||
        apply_flags(cfg, argc, argv, err, errlen))
        return 2;
    return 0;
}

int config_validate(const struct config *cfg, char *err, size_t errlen)
{
    struct stat st;
    if (stat(cfg->root, &st) < 0) {
        snprintf(err, errlen, "invalid document root '%s' (-r, OTUSERVER_ROOT): %s", cfg->root,
                 strerror(errno));
        return 2;
    }
    if (!S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "invalid document root '%s' (-r, OTUSERVER_ROOT): not a directory",
                 cfg->root);
        return 2;
    }
    if (access(cfg->root, R_OK | X_OK) < 0) {
        snprintf(err, errlen, "invalid document root '%s' (-r, OTUSERVER_ROOT): %s", cfg->root,
                 strerror(errno));
        return 2;
    }
    return 0;
}

void config_print_help(FILE *out)
{
    fprintf(out, "usage: otuserver [options]\n\n"
                 "A static-file HTTP/1.1 server: a master process and prefork workers.\n"
                 "Every option also reads an environment variable; a flag wins over the variable,\n"
                 "the variable over the default.  Durations take ms, s (default) or m.\n\n");
    for (size_t i = 0; i < OTU_ARRAY_LEN(options); i++) {
        const struct option_spec *o = &options[i];
        char flags[96];
        int n = 0;
        if (o->short_name)
            n = snprintf(flags, sizeof(flags), "-%c, ", o->short_name);
        snprintf(flags + n, sizeof(flags) - (size_t)n, "--%s%s%s", o->long_name,
                 o->metavar ? " " : "", o->metavar ? o->metavar : "");
        fprintf(out, "  %-32s %s\n", flags, o->help);
        for (const char *e = o->examples; e != NULL && *e != '\0';) {
            size_t len = strcspn(e, "\n");
            fprintf(out, "  %-32s e.g. %.*s\n", "", (int)len, e);
            e += len + (e[len] == '\n');
        }
        if (o->alias)
            fprintf(out, "  %-32s also --%s\n", "", o->alias);
        if (o->env)
            fprintf(out, "  %-32s env %s, default %s\n", "", o->env,
                    (o->default_value && *o->default_value) ? o->default_value : "(none)");
    }
}

/* Reads up to two whitespace-separated integers from a small file; returns how many. */
static int read_numbers(const char *path, long long *a, long long *b)
{
    char line[128];
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -1;
    char *got = fgets(line, sizeof(line), f);
    fclose(f);
    if (got == NULL)
        return 0;
    char *end;
    errno = 0;
    *a = strtoll(line, &end, 10);
    if (end == line || errno != 0)
        return 0; /* "max" in cpu.max: no quota */
    char *p = end;
    *b = strtoll(p, &end, 10);
    return (end == p || errno != 0) ? 1 : 2;
}

/* Reads the cgroup v2 (cpu.max) or v1 (cfs quota) CPU limit; returns CPUs or 0 for none. */
static int cgroup_cpu_limit(void)
{
    long long quota = -1, period = 0, unused;
    int n = read_numbers("/sys/fs/cgroup/cpu.max", &quota, &period);
    if (n < 0) {
        if (read_numbers("/sys/fs/cgroup/cpu/cpu.cfs_quota_us", &quota, &unused) < 1 ||
            read_numbers("/sys/fs/cgroup/cpu/cpu.cfs_period_us", &period, &unused) < 1)
            return 0;
    } else if (n < 2) {
        return 0;
    }
    if (quota <= 0 || period <= 0)
        return 0;
    return (int)((quota + period - 1) / period); /* round up: 1.5 CPUs -> 2 workers */
}

int config_cpu_count(void)
{
    int n = 0;
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof(set), &set) == 0)
        n = CPU_COUNT(&set);
    if (n <= 0)
        n = (int)sysconf(_SC_NPROCESSORS_ONLN);
    int limit = cgroup_cpu_limit();
    if (limit > 0 && limit < n)
        n = limit;
    return n > 0 ? n : 1;
}

socklen_t config_socket_addr(const struct config *cfg, int port, bool for_client,
                             struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof(*ss));
    struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET, cfg->bind_addr, &v4->sin_addr) == 1) {
        if (for_client && v4->sin_addr.s_addr == htonl(INADDR_ANY))
            v4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)port);
        return sizeof(*v4);
    }
    inet_pton(AF_INET6, cfg->bind_addr, &v6->sin6_addr);
    if (for_client && IN6_IS_ADDR_UNSPECIFIED(&v6->sin6_addr))
        v6->sin6_addr = in6addr_loopback;
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons((uint16_t)port);
    return sizeof(*v6);
}

/*
 * The deferral's length.  One second is the kernel's unit and its first SYN-ACK
 * retransmission (a longer one is rounded up along the doubling schedule,
 * 3, 7, 15 s): a real client's request follows its handshake within a round
 * trip, and a longer hold would only keep silent connections out of sight of
 * --max-connections and the metrics for longer.
 */
#define CONFIG_DEFER_ACCEPT_S 1

int config_defer_accept_s(const struct config *cfg)
{
    return cfg->header_timeout_ms >= CONFIG_DEFER_ACCEPT_S * 1000 ? CONFIG_DEFER_ACCEPT_S : 0;
}

bool config_fall_back_to_ipv4(struct config *cfg)
{
    if (strcmp(cfg->bind_addr, "::") != 0)
        return false;
    int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in6 any = {.sin6_family = AF_INET6}; /* port 0: any free one */
    bool ok = fd >= 0 && bind(fd, (struct sockaddr *)&any, sizeof(any)) == 0;
    if (fd >= 0)
        close(fd);
    if (ok)
        return false;
    snprintf(cfg->bind_addr, sizeof(cfg->bind_addr), "0.0.0.0");
    return true;
}
