/*
 * textbuf.c - see textbuf.h.
 */
#include "compat.h"

#include "textbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void textbuf_put(struct textbuf *b, const char *s, size_t n)
{
    size_t room = b->cap - b->len;
    if (n > room) {
        n = room;
        b->cut = true;
    }
    memcpy(b->buf + b->len, s, n);
    b->len += n;
}

void textbuf_puts(struct textbuf *b, const char *s)
{
    textbuf_put(b, s, strlen(s));
}

void textbuf_put_u64(struct textbuf *b, uint64_t v, int width)
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

void textbuf_printf(struct textbuf *b, const char *fmt, ...)
{
    size_t room = b->cap - b->len;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b->buf + b->len, room, fmt, ap); /* room 0: writes nothing */
    va_end(ap);
    if (n < 0) {
        b->cut = true;
    } else if ((size_t)n >= room) {
        /* vsnprintf kept room - 1 characters and a NUL; the NUL is not ours to keep */
        b->len += room > 0 ? room - 1 : 0;
        b->cut = true;
    } else {
        b->len += (size_t)n;
    }
}
