/*
 * access_log.c - see access_log.h.
 */
#include "compat.h"

#include "access_log.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Most output bytes a client-chosen field may take, after escaping. */
#define FIELD_TARGET_MAX 1024
#define FIELD_HEADER_MAX 512

static const char *const month_names[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/* A bounded appender that never overflows: once full, it drops further bytes. */
struct line {
    char *buf;
    size_t cap; /* bytes usable, the final newline excluded */
    size_t len;
};

static void put(struct line *l, const char *s, size_t n)
{
    if (n > l->cap - l->len)
        n = l->cap - l->len;
    memcpy(l->buf + l->len, s, n);
    l->len += n;
}

static void puts_(struct line *l, const char *s)
{
    put(l, s, strlen(s));
}

static void putf(struct line *l, const char *fmt, ...) OTU_PRINTF(2, 3);
static void putf(struct line *l, const char *fmt, ...)
{
    char tmp[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n > 0)
        put(l, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

/*
 * Appends a client-chosen field, escaped: for text and combined, '"', '\\',
 * control bytes and bytes >= 0x7f become \xHH; for JSON, '"' and '\\' get a
 * backslash and the rest become \u00HH.  At most max output bytes; a cut
 * field ends in "...".  A missing field is "-" (text, combined) or "".
 */
static void put_escaped(struct line *l, struct http_slice v, size_t max, bool json)
{
    static const char hex[] = "0123456789abcdef";
    if (v.p == NULL) {
        if (!json)
            put(l, "-", 1);
        return;
    }
    size_t start = l->len;
    for (size_t i = 0; i < v.len; i++) {
        unsigned char c = (unsigned char)v.p[i];
        char esc[6];
        size_t n;
        if (json && (c == '"' || c == '\\')) {
            esc[0] = '\\', esc[1] = (char)c, n = 2;
        } else if (c < 0x20 || c >= 0x7f || (!json && (c == '"' || c == '\\'))) {
            if (json)
                esc[0] = '\\', esc[1] = 'u', esc[2] = '0', esc[3] = '0', esc[4] = hex[c >> 4],
                esc[5] = hex[c & 15], n = 6;
            else
                esc[0] = '\\', esc[1] = 'x', esc[2] = hex[c >> 4], esc[3] = hex[c & 15], n = 4;
        } else {
            esc[0] = (char)c, n = 1;
        }
        if (l->len - start + n > max - 3) {
            put(l, "...", 3);
            return;
        }
        put(l, esc, n);
    }
}

/* Appends the request line "GET /x HTTP/1.1" (escaped), or "-" when unknown. */
static void put_request_line(struct line *l, const struct access_record *r, bool json)
{
    if (r->method.p == NULL) {
        if (!json)
            put(l, "-", 1);
        return;
    }
    put_escaped(l, r->method, 32, json);
    put(l, " ", 1);
    put_escaped(l, r->target, FIELD_TARGET_MAX, json);
    if (r->minor_version >= 0)
        putf(l, " HTTP/1.%d", r->minor_version);
}

size_t access_log_format(enum access_log_format format, const struct access_record *r, char *out,
                         size_t cap)
{
    struct line l = {out, cap - 1, 0};
    struct tm tm;
    gmtime_r(&r->when.tv_sec, &tm);
    long long us = (long long)r->duration_us;
    switch (format) {
    case ACCESS_LOG_COMBINED:
        putf(&l, "%s - - [%02d/%s/%04d:%02d:%02d:%02d +0000] \"", r->peer, tm.tm_mday,
             month_names[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
        put_request_line(&l, r, false);
        putf(&l, "\" %d %lld \"", r->status, (long long)r->body_bytes);
        put_escaped(&l, r->referer, FIELD_HEADER_MAX, false);
        puts_(&l, "\" \"");
        put_escaped(&l, r->user_agent, FIELD_HEADER_MAX, false);
        putf(&l, "\" %lld.%06lld", us / 1000000, us % 1000000);
        break;
    case ACCESS_LOG_JSON:
        putf(&l, "{\"time\":\"%04d-%02d-%02dT%02d:%02d:%02d.%03dZ\",\"remote_addr\":\"%s\",\"request\":\"",
             tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
             (int)(r->when.tv_usec / 1000), r->peer);
        put_request_line(&l, r, true);
        puts_(&l, "\",\"method\":\"");
        put_escaped(&l, r->method, 32, true);
        puts_(&l, "\",\"target\":\"");
        put_escaped(&l, r->target, FIELD_TARGET_MAX, true);
        putf(&l, "\",\"status\":%d,\"bytes\":%lld,\"referer\":\"", r->status, (long long)r->body_bytes);
        put_escaped(&l, r->referer, FIELD_HEADER_MAX, true);
        puts_(&l, "\",\"user_agent\":\"");
        put_escaped(&l, r->user_agent, FIELD_HEADER_MAX, true);
        putf(&l, "\",\"duration_ms\":%lld.%03lld}", us / 1000, us % 1000);
        break;
    case ACCESS_LOG_TEXT:
    default:
        putf(&l, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ [%d] info: %s \"", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
             (int)(r->when.tv_usec / 1000), (int)getpid(), r->peer);
        put_request_line(&l, r, false);
        putf(&l, "\" %d %lld %lld.%03lldms", r->status, (long long)r->body_bytes, us / 1000, us % 1000);
        break;
    }
    out[l.len++] = '\n';
    return l.len;
}

int access_log_parse_format(const char *name)
{
    if (strcmp(name, "text") == 0)
        return ACCESS_LOG_TEXT;
    if (strcmp(name, "combined") == 0)
        return ACCESS_LOG_COMBINED;
    if (strcmp(name, "json") == 0)
        return ACCESS_LOG_JSON;
    return -1;
}
