/*
 * access_log.c - see access_log.h.
 */
#include "compat.h"

#include "access_log.h"

#include <stdbool.h>
#include <stdint.h>
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

/* Appends v in decimal, zero-padded to at least width digits. */
static void put_num(struct line *l, uint64_t v, int width)
{
    char digits[24];
    int n = 0;
    do {
        digits[sizeof(digits) - 1 - n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    while (n < width && n < (int)sizeof(digits))
        digits[sizeof(digits) - 1 - n++] = '0';
    put(l, digits + sizeof(digits) - n, (size_t)n);
}

/*
 * Returns the length (2..4) of the well-formed UTF-8 sequence at p[0..n), or
 * 0 when it is not one: a stray continuation byte, an overlong form, a
 * surrogate, a code point past U+10FFFF or a sequence cut short (RFC 3629).
 */
static size_t utf8_sequence(const unsigned char *p, size_t n)
{
    unsigned char c = p[0];
    size_t len;
    unsigned char lo = 0x80, hi = 0xbf; /* the range of the second byte */
    if (c >= 0xc2 && c <= 0xdf)
        len = 2;
    else if (c >= 0xe0 && c <= 0xef)
        len = 3, lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
    else if (c >= 0xf0 && c <= 0xf4)
        len = 4, lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
    else
        return 0;
    if (n < len || p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
    }
    return len;
}

/*
 * Appends a client-chosen field, escaped.  Text and combined: '"', '\\',
 * control bytes and bytes >= 0x7f become \xHH (ASCII lines, as nginx writes
 * them).  JSON: '"' and '\\' get a backslash, control bytes and DEL become
 * \u00HH, well-formed UTF-8 passes through as the characters it encodes, and
 * each byte that is not part of one becomes \ufffd (the replacement
 * character), so the line is always valid UTF-8 and valid JSON.  At most max
 * output bytes; a cut field ends in "..." and never splits a character.  A
 * missing field is "-" (text, combined) or "".
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
    const unsigned char *s = (const unsigned char *)v.p;
    for (size_t i = 0; i < v.len;) {
        unsigned char c = s[i];
        char esc[6];
        size_t n, used = 1;
        if (json && (c == '"' || c == '\\')) {
            esc[0] = '\\', esc[1] = (char)c, n = 2;
        } else if (json && c >= 0x80) {
            used = utf8_sequence(s + i, v.len - i);
            if (used > 0) {
                memcpy(esc, s + i, used);
                n = used;
            } else {
                memcpy(esc, "\\ufffd", 6);
                n = 6, used = 1;
            }
        } else if (c < 0x20 || c >= 0x7f || (!json && (c == '"' || c == '\\'))) {
            if (json)
                esc[0] = '\\', esc[1] = 'u', esc[2] = '0', esc[3] = '0', esc[4] = hex[c >> 4],
                esc[5] = hex[c & 15], n = 6;
            else
                esc[0] = '\\', esc[1] = 'x', esc[2] = hex[c >> 4], esc[3] = hex[c & 15], n = 4;
        } else {
            esc[0] = (char)c, n = 1;
        }
        if (l->len - start + n > max - 3 || n > l->cap - l->len) {
            put(l, "...", 3); /* whole characters only, even when the line is full */
            return;
        }
        put(l, esc, n);
        i += used;
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
    if (r->minor_version >= 0) {
        puts_(l, " HTTP/1.");
        put_num(l, (uint64_t)r->minor_version, 1);
    }
}

/*
 * The broken-down time of the current second and this process's pid, worked
 * out once a second rather than once a line (gmtime_r and getpid are not free,
 * and a busy worker writes tens of thousands of lines a second).
 */
static const struct tm *clock_for(time_t sec, int *pid)
{
    static time_t cached_sec = (time_t)-1;
    static struct tm cached_tm;
    static int cached_pid;
    if (sec != cached_sec) {
        gmtime_r(&sec, &cached_tm);
        cached_pid = (int)getpid();
        cached_sec = sec;
    }
    *pid = cached_pid;
    return &cached_tm;
}

/* Appends "YYYY-MM-DDTHH:MM:SS.mmmZ". */
static void put_iso_time(struct line *l, const struct tm *tm, long usec)
{
    put_num(l, (uint64_t)tm->tm_year + 1900, 4);
    put(l, "-", 1);
    put_num(l, (uint64_t)tm->tm_mon + 1, 2);
    put(l, "-", 1);
    put_num(l, (uint64_t)tm->tm_mday, 2);
    put(l, "T", 1);
    put_num(l, (uint64_t)tm->tm_hour, 2);
    put(l, ":", 1);
    put_num(l, (uint64_t)tm->tm_min, 2);
    put(l, ":", 1);
    put_num(l, (uint64_t)tm->tm_sec, 2);
    put(l, ".", 1);
    put_num(l, (uint64_t)(usec / 1000), 3);
    put(l, "Z", 1);
}

/* Appends a duration in microseconds as whole.fraction with frac_digits of a unit of 10^frac_digits us. */
static void put_duration(struct line *l, uint64_t us, uint64_t unit_us, int frac_digits)
{
    put_num(l, us / unit_us, 1);
    put(l, ".", 1);
    put_num(l, us % unit_us, frac_digits);
}

size_t access_log_format(enum access_log_format format, const struct access_record *r, char *out,
                         size_t cap)
{
    struct line l = {out, cap - 1, 0};
    int pid;
    const struct tm *tm = clock_for(r->when.tv_sec, &pid);
    uint64_t us = r->duration_us > 0 ? (uint64_t)r->duration_us : 0;
    uint64_t bytes = r->body_bytes > 0 ? (uint64_t)r->body_bytes : 0;
    switch (format) {
    case ACCESS_LOG_COMBINED:
        puts_(&l, r->peer);
        puts_(&l, " - - [");
        put_num(&l, (uint64_t)tm->tm_mday, 2);
        put(&l, "/", 1);
        puts_(&l, month_names[tm->tm_mon]);
        put(&l, "/", 1);
        put_num(&l, (uint64_t)tm->tm_year + 1900, 4);
        put(&l, ":", 1);
        put_num(&l, (uint64_t)tm->tm_hour, 2);
        put(&l, ":", 1);
        put_num(&l, (uint64_t)tm->tm_min, 2);
        put(&l, ":", 1);
        put_num(&l, (uint64_t)tm->tm_sec, 2);
        puts_(&l, " +0000] \"");
        put_request_line(&l, r, false);
        puts_(&l, "\" ");
        put_num(&l, (uint64_t)r->status, 1);
        put(&l, " ", 1);
        put_num(&l, bytes, 1);
        puts_(&l, " \"");
        put_escaped(&l, r->referer, FIELD_HEADER_MAX, false);
        puts_(&l, "\" \"");
        put_escaped(&l, r->user_agent, FIELD_HEADER_MAX, false);
        puts_(&l, "\" ");
        put_duration(&l, us, 1000000, 6);
        break;
    case ACCESS_LOG_JSON:
        puts_(&l, "{\"time\":\"");
        put_iso_time(&l, tm, (long)r->when.tv_usec);
        puts_(&l, "\",\"remote_addr\":\"");
        puts_(&l, r->peer);
        puts_(&l, "\",\"request\":\"");
        put_request_line(&l, r, true);
        puts_(&l, "\",\"method\":\"");
        put_escaped(&l, r->method, 32, true);
        puts_(&l, "\",\"target\":\"");
        put_escaped(&l, r->target, FIELD_TARGET_MAX, true);
        puts_(&l, "\",\"status\":");
        put_num(&l, (uint64_t)r->status, 1);
        puts_(&l, ",\"bytes\":");
        put_num(&l, bytes, 1);
        puts_(&l, ",\"referer\":\"");
        put_escaped(&l, r->referer, FIELD_HEADER_MAX, true);
        puts_(&l, "\",\"user_agent\":\"");
        put_escaped(&l, r->user_agent, FIELD_HEADER_MAX, true);
        puts_(&l, "\",\"duration_ms\":");
        put_duration(&l, us, 1000, 3);
        puts_(&l, "}");
        break;
    case ACCESS_LOG_TEXT:
    default:
        put_iso_time(&l, tm, (long)r->when.tv_usec);
        puts_(&l, " [");
        put_num(&l, (uint64_t)pid, 1);
        puts_(&l, "] info: ");
        puts_(&l, r->peer);
        puts_(&l, " \"");
        put_request_line(&l, r, false);
        puts_(&l, "\" ");
        put_num(&l, (uint64_t)r->status, 1);
        put(&l, " ", 1);
        put_num(&l, bytes, 1);
        put(&l, " ", 1);
        put_duration(&l, us, 1000, 3);
        puts_(&l, "ms");
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
