/*
 * optparse.c - see optparse.h.
 */
#include "compat.h"

#include "optparse.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int opt_expected(char *why, size_t whylen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, whylen, fmt, ap);
    va_end(ap);
    return -1;
}

/* Reads n decimal digits at s (n >= 1, at most OPT_DIGITS_MAX); returns the value or -1. */
static long digits_value(const char *s, size_t n)
{
    if (n == 0 || n > OPT_DIGITS_MAX)
        return -1;
    long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

int opt_int(const char *s, long min, long max, long *out)
{
    long v = digits_value(s, strlen(s));
    if (v < 0 || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

/* A number followed by one unit of units[] (each with its scale); the value scaled, in [min, max]. */
struct unit {
    const char *suffix;
    long scale;
};

static int scaled(const char *s, const struct unit *units, size_t nunits, long min, long max, long *out)
{
    size_t n = strspn(s, "0123456789");
    for (size_t i = 0; i < nunits; i++) {
        if (strcmp(s + n, units[i].suffix) != 0)
            continue;
        long v = digits_value(s, n);
        if (v < 0 || v > max / units[i].scale)
            return -1;
        v *= units[i].scale;
        if (v < min)
            return -1;
        *out = v;
        return 0;
    }
    return -1;
}

int opt_duration_ms(const char *s, long min_ms, long max_ms, long *out)
{
    static const struct unit units[] = {{"", 1000}, {"s", 1000}, {"ms", 1}, {"m", 60000}};
    return scaled(s, units, OTU_ARRAY_LEN(units), min_ms, max_ms, out);
}

int opt_size(const char *s, long min, long max, long *out)
{
    static const struct unit units[] = {{"", 1}, {"k", 1024}, {"K", 1024}, {"m", 1024L * 1024}, {"M", 1024L * 1024}};
    return scaled(s, units, OTU_ARRAY_LEN(units), min, max, out);
}

int opt_bool(const char *s, bool *out)
{
    static const char *const yes[] = {"on", "true", "yes", "1"};
    static const char *const no[] = {"off", "false", "no", "0"};
    for (size_t i = 0; i < OTU_ARRAY_LEN(yes); i++) {
        if (strcmp(s, yes[i]) == 0 || strcmp(s, no[i]) == 0) {
            *out = strcmp(s, yes[i]) == 0;
            return 0;
        }
    }
    return -1;
}

/* True for the bytes trimmed around an item. */
static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

bool opt_next_item(const char **p, const char *seps, const char **s, size_t *n)
{
    if (**p == '\0')
        return false;
    size_t len = strcspn(*p, seps);
    *s = *p;
    *n = len;
    while (*n > 0 && is_blank(**s)) {
        (*s)++;
        (*n)--;
    }
    while (*n > 0 && is_blank((*s)[*n - 1]))
        (*n)--;
    *p += len;
    if (**p != '\0')
        (*p)++;
    return true;
}

int opt_copy_printable(char *dst, size_t cap, const char *s, size_t n, bool allow_space)
{
    if (n >= cap)
        return -1;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c >= 0x7f || (c == ' ' && !allow_space))
            return -1;
    }
    memcpy(dst, s, n);
    dst[n] = '\0';
    return 0;
}
