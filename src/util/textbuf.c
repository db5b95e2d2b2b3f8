/*
 * textbuf.c - see textbuf.h.
 */
#include "compat.h"

#include "textbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void textbuf_put_cut(struct textbuf *b, const char *s, size_t n)
{
    size_t room = b->cap - b->len;
    memcpy(b->buf + b->len, s, n < room ? n : room);
    b->len += n < room ? n : room;
    b->cut = true;
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
