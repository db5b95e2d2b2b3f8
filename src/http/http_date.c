/*
 * http_date.c - see http_date.h.  Written by hand rather than with
 * strftime/strptime so the result never depends on the locale.
 */
#include "compat.h"

#include "http_date.h"

#include <string.h>

static const char day_names[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
static const char month_names[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/* Writes the two decimal digits of v (0..99). */
static void put2(char *p, int v)
{
    p[0] = (char)('0' + v / 10);
    p[1] = (char)('0' + v % 10);
}

const char *http_date_month_name(int month)
{
    return month >= 0 && month < 12 ? month_names[month] : "???";
}

void http_date_format(time_t t, char out[HTTP_DATE_LEN + 1])
{
    struct tm tm;
    gmtime_r(&t, &tm);
    memcpy(out, day_names[tm.tm_wday], 3);
    out[3] = ',';
    out[4] = ' ';
    put2(out + 5, tm.tm_mday);
    out[7] = ' ';
    memcpy(out + 8, month_names[tm.tm_mon], 3);
    out[11] = ' ';
    int year = tm.tm_year + 1900;
    put2(out + 12, (year / 100) % 100);
    put2(out + 14, year % 100);
    out[16] = ' ';
    put2(out + 17, tm.tm_hour);
    out[19] = ':';
    put2(out + 20, tm.tm_min);
    out[22] = ':';
    put2(out + 23, tm.tm_sec);
    memcpy(out + 25, " GMT", 5);
}

/* Reads exactly n digits at *p; returns the value or -1. */
static int take_digits(const char **p, const char *end, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (*p >= end || **p < '0' || **p > '9')
            return -1;
        v = v * 10 + (**p - '0');
        (*p)++;
    }
    return v;
}

/* Reads a three-letter month name; returns 0..11 or -1. */
static int take_month(const char **p, const char *end)
{
    if (end - *p < 3)
        return -1;
    for (int m = 0; m < 12; m++) {
        if (memcmp(*p, month_names[m], 3) == 0) {
            *p += 3;
            return m;
        }
    }
    return -1;
}

/* Expects the literal lit at *p and steps over it. */
static int take_literal(const char **p, const char *end, const char *lit)
{
    size_t n = strlen(lit);
    if ((size_t)(end - *p) < n || memcmp(*p, lit, n) != 0)
        return -1;
    *p += n;
    return 0;
}

/* Reads "HH:MM:SS" into tm. */
static int take_clock(const char **p, const char *end, struct tm *tm)
{
    tm->tm_hour = take_digits(p, end, 2);
    if (tm->tm_hour < 0 || take_literal(p, end, ":") < 0)
        return -1;
    tm->tm_min = take_digits(p, end, 2);
    if (tm->tm_min < 0 || take_literal(p, end, ":") < 0)
        return -1;
    tm->tm_sec = take_digits(p, end, 2);
    return tm->tm_sec < 0 ? -1 : 0;
}

time_t http_date_parse(const char *s, size_t len)
{
    const char *p = s, *end = s + len;
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    const char *comma = memchr(s, ',', len);

    if (comma != NULL && comma - s == 3) {
        /* IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" */
        p = comma + 1;
        if (take_literal(&p, end, " ") < 0 || (tm.tm_mday = take_digits(&p, end, 2)) < 0 ||
            take_literal(&p, end, " ") < 0 || (tm.tm_mon = take_month(&p, end)) < 0 || take_literal(&p, end, " ") < 0 ||
            (tm.tm_year = take_digits(&p, end, 4)) < 0 || take_literal(&p, end, " ") < 0 ||
            take_clock(&p, end, &tm) < 0 || take_literal(&p, end, " GMT") < 0)
            return -1;
        tm.tm_year -= 1900;
    } else if (comma != NULL) {
        /* RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT" */
        p = comma + 1;
        if (take_literal(&p, end, " ") < 0 || (tm.tm_mday = take_digits(&p, end, 2)) < 0 ||
            take_literal(&p, end, "-") < 0 || (tm.tm_mon = take_month(&p, end)) < 0 || take_literal(&p, end, "-") < 0 ||
            (tm.tm_year = take_digits(&p, end, 2)) < 0 || take_literal(&p, end, " ") < 0 ||
            take_clock(&p, end, &tm) < 0 || take_literal(&p, end, " GMT") < 0)
            return -1;
        if (tm.tm_year < 70)
            tm.tm_year += 100; /* RFC 9110: a two-digit year more than 50 years ahead is past */
    } else {
        /* asctime: "Sun Nov  6 08:49:37 1994" */
        if (end - p < 4)
            return -1;
        p += 4;
        if ((tm.tm_mon = take_month(&p, end)) < 0 || take_literal(&p, end, " ") < 0)
            return -1;
        if (p < end && *p == ' ') {
            p++;
            tm.tm_mday = take_digits(&p, end, 1);
        } else {
            tm.tm_mday = take_digits(&p, end, 2);
        }
        if (tm.tm_mday < 0 || take_literal(&p, end, " ") < 0 || take_clock(&p, end, &tm) < 0 ||
            take_literal(&p, end, " ") < 0 || (tm.tm_year = take_digits(&p, end, 4)) < 0)
            return -1;
        tm.tm_year -= 1900;
    }
    if (p != end || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
        return -1;
    return timegm(&tm);
}
