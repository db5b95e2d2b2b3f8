/*
 * access_log.c - see access_log.h.
 */
#include "compat.h"

#include "access_log.h"

#include "http_date.h"
#include "textbuf.h"
#include "utf8.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Most output bytes a client-chosen field may take, after escaping. */
#define FIELD_TARGET_MAX 1024
#define FIELD_HEADER_MAX 512

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
static void put_escaped(struct textbuf *l, struct http_slice v, size_t max, bool json)
{
    static const char hex[] = "0123456789abcdef";
    if (v.p == NULL) {
        if (!json)
            textbuf_put(l, "-", 1);
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
                n = utf8_put_replacement_json(esc), used = 1;
            }
        } else if (c < 0x20 || c >= 0x7f || (!json && (c == '"' || c == '\\'))) {
            if (json)
                esc[0] = '\\', esc[1] = 'u', esc[2] = '0', esc[3] = '0', esc[4] = hex[c >> 4], esc[5] = hex[c & 15],
                n = 6;
            else
                esc[0] = '\\', esc[1] = 'x', esc[2] = hex[c >> 4], esc[3] = hex[c & 15], n = 4;
        } else {
            esc[0] = (char)c, n = 1;
        }
        if (l->len - start + n > max - 3 || n > l->cap - l->len) {
            textbuf_put(l, "...", 3); /* whole characters only, even when the line is full */
            return;
        }
        textbuf_put(l, esc, n);
        i += used;
    }
}

/* Appends the request line "GET /x HTTP/1.1" (escaped), or "-" when unknown. */
static void put_request_line(struct textbuf *l, const struct access_record *r, bool json)
{
    if (r->method.p == NULL) {
        if (!json)
            textbuf_put(l, "-", 1);
        return;
    }
    put_escaped(l, r->method, 32, json);
    textbuf_put(l, " ", 1);
    put_escaped(l, r->target, FIELD_TARGET_MAX, json);
    if (r->minor_version >= 0) {
        textbuf_puts(l, " HTTP/1.");
        textbuf_put_u64(l, (uint64_t)r->minor_version, 1);
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
static void put_iso_time(struct textbuf *l, const struct tm *tm, long usec)
{
    textbuf_put_u64(l, (uint64_t)tm->tm_year + 1900, 4);
    textbuf_put(l, "-", 1);
    textbuf_put_u64(l, (uint64_t)tm->tm_mon + 1, 2);
    textbuf_put(l, "-", 1);
    textbuf_put_u64(l, (uint64_t)tm->tm_mday, 2);
    textbuf_put(l, "T", 1);
    textbuf_put_u64(l, (uint64_t)tm->tm_hour, 2);
    textbuf_put(l, ":", 1);
    textbuf_put_u64(l, (uint64_t)tm->tm_min, 2);
    textbuf_put(l, ":", 1);
    textbuf_put_u64(l, (uint64_t)tm->tm_sec, 2);
    textbuf_put(l, ".", 1);
    textbuf_put_u64(l, (uint64_t)(usec / 1000), 3);
    textbuf_put(l, "Z", 1);
}

/* Appends a duration in microseconds as whole.fraction with frac_digits of a unit of 10^frac_digits us. */
static void put_duration(struct textbuf *l, uint64_t us, uint64_t unit_us, int frac_digits)
{
    textbuf_put_u64(l, us / unit_us, 1);
    textbuf_put(l, ".", 1);
    textbuf_put_u64(l, us % unit_us, frac_digits);
}

/* The address a line leads with: the client a trusted proxy named, else the peer. */
static const char *client_of(const struct access_record *r)
{
    return r->client != NULL ? r->client : r->peer;
}

/*
 * Text and combined: " peer=ADDR" when the client is not the peer, and
 * " request_id=ID" when there is one (an id is [A-Za-z0-9._-] only, an
 * address hex, digits and separators: nothing to escape).
 */
static void put_proxy_tail(struct textbuf *l, const struct access_record *r)
{
    if (r->client != NULL && r->client != r->peer && strcmp(r->client, r->peer) != 0) {
        textbuf_puts(l, " peer=");
        textbuf_puts(l, r->peer);
    }
    if (r->request_id != NULL) {
        textbuf_puts(l, " request_id=");
        textbuf_puts(l, r->request_id);
    }
}

/* JSON: ,"peer":"ADDR" always, and ,"request_id":"ID" when there is one. */
static void put_json_proxy_fields(struct textbuf *l, const struct access_record *r)
{
    textbuf_puts(l, ",\"peer\":\"");
    textbuf_puts(l, r->peer);
    textbuf_puts(l, "\"");
    if (r->request_id != NULL) {
        textbuf_puts(l, ",\"request_id\":\"");
        textbuf_puts(l, r->request_id);
        textbuf_puts(l, "\"");
    }
}

/* What every format takes from a record, worked out once. */
struct line_facts {
    const struct tm *tm; /* the record's time, broken down (UTC) */
    int pid;             /* this process */
    uint64_t us;         /* duration, microseconds */
    uint64_t bytes;      /* body bytes sent */
};

/* The Combined Log Format, then the duration in seconds. */
static void put_combined(struct textbuf *l, const struct access_record *r, const struct line_facts *f)
{
    textbuf_puts(l, client_of(r));
    textbuf_puts(l, " - - [");
    textbuf_put_u64(l, (uint64_t)f->tm->tm_mday, 2);
    textbuf_put(l, "/", 1);
    textbuf_put(l, http_date_month_name(f->tm->tm_mon), 3);
    textbuf_put(l, "/", 1);
    textbuf_put_u64(l, (uint64_t)f->tm->tm_year + 1900, 4);
    textbuf_put(l, ":", 1);
    textbuf_put_u64(l, (uint64_t)f->tm->tm_hour, 2);
    textbuf_put(l, ":", 1);
    textbuf_put_u64(l, (uint64_t)f->tm->tm_min, 2);
    textbuf_put(l, ":", 1);
    textbuf_put_u64(l, (uint64_t)f->tm->tm_sec, 2);
    textbuf_puts(l, " +0000] \"");
    put_request_line(l, r, false);
    textbuf_puts(l, "\" ");
    textbuf_put_u64(l, (uint64_t)r->status, 1);
    textbuf_put(l, " ", 1);
    textbuf_put_u64(l, f->bytes, 1);
    textbuf_puts(l, " \"");
    put_escaped(l, r->referer, FIELD_HEADER_MAX, false);
    textbuf_puts(l, "\" \"");
    put_escaped(l, r->user_agent, FIELD_HEADER_MAX, false);
    textbuf_puts(l, "\" ");
    put_duration(l, f->us, 1000000, 6);
    put_proxy_tail(l, r);
}

/* One JSON object, every client-chosen field escaped. */
static void put_json(struct textbuf *l, const struct access_record *r, const struct line_facts *f)
{
    textbuf_puts(l, "{\"time\":\"");
    put_iso_time(l, f->tm, r->when.tv_nsec / 1000);
    textbuf_puts(l, "\",\"remote_addr\":\"");
    textbuf_puts(l, client_of(r));
    textbuf_puts(l, "\"");
    put_json_proxy_fields(l, r);
    textbuf_puts(l, ",\"request\":\"");
    put_request_line(l, r, true);
    textbuf_puts(l, "\",\"method\":\"");
    put_escaped(l, r->method, 32, true);
    textbuf_puts(l, "\",\"target\":\"");
    put_escaped(l, r->target, FIELD_TARGET_MAX, true);
    textbuf_puts(l, "\",\"status\":");
    textbuf_put_u64(l, (uint64_t)r->status, 1);
    textbuf_puts(l, ",\"bytes\":");
    textbuf_put_u64(l, f->bytes, 1);
    textbuf_puts(l, ",\"referer\":\"");
    put_escaped(l, r->referer, FIELD_HEADER_MAX, true);
    textbuf_puts(l, "\",\"user_agent\":\"");
    put_escaped(l, r->user_agent, FIELD_HEADER_MAX, true);
    textbuf_puts(l, "\",\"duration_ms\":");
    put_duration(l, f->us, 1000, 3);
    textbuf_puts(l, "}");
}

/* The text format: like the lifecycle lines, then the request. */
static void put_text(struct textbuf *l, const struct access_record *r, const struct line_facts *f)
{
    put_iso_time(l, f->tm, r->when.tv_nsec / 1000);
    textbuf_puts(l, " [");
    textbuf_put_u64(l, (uint64_t)f->pid, 1);
    textbuf_puts(l, "] info: ");
    textbuf_puts(l, client_of(r));
    textbuf_puts(l, " \"");
    put_request_line(l, r, false);
    textbuf_puts(l, "\" ");
    textbuf_put_u64(l, (uint64_t)r->status, 1);
    textbuf_put(l, " ", 1);
    textbuf_put_u64(l, f->bytes, 1);
    textbuf_put(l, " ", 1);
    put_duration(l, f->us, 1000, 3);
    textbuf_puts(l, "ms");
    put_proxy_tail(l, r);
}

size_t access_log_format(enum access_log_format format, const struct access_record *r, char *out, size_t cap)
{
    struct textbuf l = textbuf_over(out, cap - 1); /* room kept for the newline */
    struct line_facts f;
    f.tm = clock_for(r->when.tv_sec, &f.pid);
    f.us = r->duration_us > 0 ? (uint64_t)r->duration_us : 0;
    f.bytes = r->body_bytes > 0 ? (uint64_t)r->body_bytes : 0;
    if (format == ACCESS_LOG_COMBINED)
        put_combined(&l, r, &f);
    else if (format == ACCESS_LOG_JSON)
        put_json(&l, r, &f);
    else
        put_text(&l, r, &f);
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
