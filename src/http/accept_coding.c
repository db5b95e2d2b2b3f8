/*
 * accept_coding.c - see accept_coding.h.
 */
#include "compat.h"

#include "accept_coding.h"

#include <string.h>
#include <strings.h>

/* True for the optional whitespace of a field value. */
static bool ows(char c)
{
    return c == ' ' || c == '\t';
}

/*
 * Reads a qvalue ("0", "0.5", "1.000": at most three decimals, at most 1)
 * from the n bytes at p; its thousandths, or -1 when malformed.
 */
static int parse_qvalue(const char *p, size_t n)
{
    if (n == 0 || (p[0] != '0' && p[0] != '1') || (n > 1 && p[1] != '.') || n > 5)
        return -1;
    int q = (p[0] - '0') * 1000, scale = 100;
    for (size_t i = 2; i < n; i++, scale /= 10) {
        if (p[i] < '0' || p[i] > '9')
            return -1;
        q += (p[i] - '0') * scale;
    }
    return q > 1000 ? -1 : q;
}

/*
 * The quality of the element whose parameters start at p (just after its
 * coding name) and end at end: q's value, 1000 without q, -1 when malformed.
 */
static int element_quality(const char *p, const char *end)
{
    int q = 1000;
    while (p < end) {
        while (p < end && (ows(*p) || *p == ';'))
            p++;
        const char *name = p;
        while (p < end && *p != '=' && *p != ';' && !ows(*p))
            p++;
        bool is_q = p - name == 1 && (*name == 'q' || *name == 'Q');
        while (p < end && ows(*p))
            p++;
        if (p >= end || *p != '=') {
            if (is_q)
                return -1; /* "q" without a value */
            continue;      /* a parameter without a value: not ours to judge */
        }
        p++;
        while (p < end && ows(*p))
            p++;
        const char *val = p;
        while (p < end && *p != ';' && !ows(*p))
            p++;
        if (is_q)
            q = parse_qvalue(val, (size_t)(p - val));
    }
    return q;
}

/* The q of coding's own element (*named) and of "*" (*star) in v: -1 when absent, 0 when malformed. */
static void qualities(struct http_slice v, const char *coding, int *named, int *star)
{
    size_t n = strlen(coding);
    *named = *star = -1;
    const char *p = v.p, *end = v.p + v.len;
    while (p != NULL && p < end) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        const char *elem_end = comma != NULL ? comma : end;
        while (p < elem_end && ows(*p))
            p++;
        const char *name = p;
        while (p < elem_end && *p != ';' && !ows(*p))
            p++;
        size_t len = (size_t)(p - name);
        int q = element_quality(p, elem_end);
        if (q < 0)
            q = 0; /* a malformed q refuses rather than guesses */
        if (len == n && strncasecmp(name, coding, n) == 0)
            *named = q > *named ? q : *named;
        else if (len == 1 && *name == '*')
            *star = q;
        p = comma != NULL ? comma + 1 : end;
    }
}

int accept_coding_quality(struct http_slice v, const char *coding)
{
    int named, star;
    qualities(v, coding, &named, &star);
    if (named >= 0)
        return named;
    if (strcasecmp(coding, "identity") == 0)
        return star == 0 ? 0 : 1000; /* identity is acceptable unless refused */
    return star >= 0 ? star : 0;
}

int accept_coding_choose(struct http_slice v, const char *const *offered, const bool *usable, size_t n)
{
    if (v.p == NULL)
        return -1; /* no Accept-Encoding: any coding would do, but identity is what a client surely reads */
    int best = -1, best_q = 0;
    for (size_t i = 0; i < n && i < ACCEPT_CODING_MAX; i++) {
        if (usable != NULL && !usable[i])
            continue;
        int q = accept_coding_quality(v, offered[i]);
        if (q > best_q) { /* strictly: an equal one later in the server's order loses */
            best = (int)i;
            best_q = q;
        }
    }
    /* identity beats a coding only when the client rated it, by name or "*", strictly higher:
     * its implicit acceptability ranks below any coding named */
    int named, star;
    qualities(v, "identity", &named, &star);
    int identity_q = named >= 0 ? named : star;
    if (best >= 0 && identity_q > best_q)
        return -1;
    return best;
}
