/*
 * textbuf.h - a bounded text appender over a caller's buffer.
 *
 * Every append copies as much as fits and never writes past the capacity;
 * when anything was cut, 'cut' is set and stays set, so a caller that needs
 * all-or-nothing (a response head) checks it once at the end, and one that
 * prefers a shortened line (an access line) just uses what is there.  Made
 * with memcpy and a digit loop rather than snprintf: heads and access lines
 * are written for every request, and printf's machinery cost more than the
 * rest of a request (callgrind).  No terminating NUL is written.
 */
#ifndef OTU_TEXTBUF_H
#define OTU_TEXTBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "compat.h"

struct textbuf {
    char *buf;  /* the caller's memory */
    size_t cap; /* bytes usable */
    size_t len; /* bytes written */
    bool cut;   /* something did not fit */
};

/* Starts an empty appender over buf[0..cap). */
static inline struct textbuf textbuf_over(char *buf, size_t cap)
{
    struct textbuf b = {buf, cap, 0, false};
    return b;
}

/* The slow path of textbuf_put(): s does not fit whole. */
void textbuf_put_cut(struct textbuf *b, const char *s, size_t n);

/* Appends n bytes of s (what fits).  Inline: response heads call it a dozen times a request. */
static inline void textbuf_put(struct textbuf *b, const char *s, size_t n)
{
    if (OTU_UNLIKELY(n > b->cap - b->len)) {
        textbuf_put_cut(b, s, n);
        return;
    }
    memcpy(b->buf + b->len, s, n);
    b->len += n;
}

/* Appends the string s. */
static inline void textbuf_puts(struct textbuf *b, const char *s)
{
    textbuf_put(b, s, strlen(s));
}

/* Appends v in decimal, zero-padded to at least width digits (0 or 1: none). */
static inline void textbuf_put_u64(struct textbuf *b, uint64_t v, int width)
{
    char digits[24]; /* 20 digits for UINT64_MAX, padding up to 24 */
    int n = 0;
    do {
        digits[sizeof(digits) - 1 - n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    while (n < width && n < (int)sizeof(digits))
        digits[sizeof(digits) - 1 - n++] = '0';
    textbuf_put(b, digits + sizeof(digits) - n, (size_t)n);
}

/* Appends printf-style output (what fits); for rare, non-hot text only. */
void textbuf_printf(struct textbuf *b, const char *fmt, ...) OTU_PRINTF(2, 3);

#endif
