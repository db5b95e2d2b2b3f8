/*
 * http_cond.c - see http_cond.h.
 */
#include "compat.h"

#include "http_cond.h"

#include "http_date.h"

#include <string.h>
#include <strings.h>

bool http_etag_list_matches(struct http_slice v, const char *etag, bool weak)
{
    size_t etag_len = strlen(etag);
    size_t i = 0;
    while (i < v.len) {
        char c = v.p[i];
        if (c == ' ' || c == '\t' || c == ',') {
            i++;
            continue;
        }
        if (c == '*')
            return true;
        bool is_weak = c == 'W' && i + 1 < v.len && v.p[i + 1] == '/';
        if (is_weak)
            i += 2;
        if (i >= v.len || v.p[i] != '"')
            return false;
        size_t start = i++;
        while (i < v.len && v.p[i] != '"')
            i++;
        if (i >= v.len)
            return false;
        i++;
        if ((weak || !is_weak) && i - start == etag_len && memcmp(v.p + start, etag, etag_len) == 0)
            return true;
    }
    return false;
}

bool http_if_range_holds(struct http_slice v, const char *etag, time_t mtime)
{
    if (v.p == NULL)
        return true;
    if (v.len > 0 && v.p[0] == '"')
        return v.len == strlen(etag) && memcmp(v.p, etag, v.len) == 0; /* strong comparison */
    if (v.len > 1 && v.p[0] == 'W' && v.p[1] == '/')
        return false; /* a weak tag never satisfies If-Range */
    time_t t = http_date_parse(v.p, v.len);
    return t != (time_t)-1 && t == mtime;
}

/* Reads up to HTTP_RANGE_DIGITS_MAX digits at *i; returns the number or -1. */
static int64_t take_number(struct http_slice v, size_t *i)
{
    size_t start = *i;
    int64_t n = 0;
    while (*i < v.len && v.p[*i] >= '0' && v.p[*i] <= '9') {
        if (*i - start >= HTTP_RANGE_DIGITS_MAX)
            return -1;
        n = n * 10 + (v.p[*i] - '0');
        (*i)++;
    }
    return *i == start ? -1 : n;
}

/* Steps *i over spaces and tabs. */
static void skip_blanks(struct http_slice v, size_t *i)
{
    while (*i < v.len && (v.p[*i] == ' ' || v.p[*i] == '\t'))
        (*i)++;
}

/* "-n": the last n bytes of size. */
static enum http_range suffix_range(struct http_slice v, size_t i, int64_t size, int64_t *a, int64_t *b)
{
    int64_t suffix = take_number(v, &i);
    if (suffix < 0)
        return HTTP_RANGE_IGNORE;
    skip_blanks(v, &i);
    if (i != v.len)
        return HTTP_RANGE_IGNORE;
    if (suffix == 0 || size == 0)
        return HTTP_RANGE_UNSATISFIABLE;
    *a = suffix >= size ? 0 : size - suffix;
    *b = size - 1;
    return HTTP_RANGE_SATISFIABLE;
}

/* "a-b" or "a-": from a, to b or the end. */
static enum http_range span_range(struct http_slice v, size_t i, int64_t size, int64_t *a, int64_t *b)
{
    *a = take_number(v, &i);
    if (*a < 0 || i >= v.len || v.p[i] != '-')
        return HTTP_RANGE_IGNORE;
    i++;
    *b = -1;
    if (i < v.len && v.p[i] >= '0' && v.p[i] <= '9') {
        *b = take_number(v, &i);
        if (*b < 0 || *b < *a)
            return HTTP_RANGE_IGNORE;
    }
    skip_blanks(v, &i);
    if (i != v.len)
        return HTTP_RANGE_IGNORE; /* a second range, or junk */
    if (*a >= size)
        return HTTP_RANGE_UNSATISFIABLE;
    if (*b < 0 || *b >= size)
        *b = size - 1;
    return HTTP_RANGE_SATISFIABLE;
}

enum http_range http_range_parse(struct http_slice v, int64_t size, int64_t *first, int64_t *len)
{
    if (v.len < 6 || strncasecmp(v.p, "bytes=", 6) != 0)
        return HTTP_RANGE_IGNORE;
    size_t i = 6;
    skip_blanks(v, &i);
    int64_t a = -1, b = -1;
    enum http_range r =
        i < v.len && v.p[i] == '-' ? suffix_range(v, i + 1, size, &a, &b) : span_range(v, i, size, &a, &b);
    if (r == HTTP_RANGE_SATISFIABLE) {
        *first = a;
        *len = b - a + 1;
    }
    return r;
}

/* True when the parameters at v.p[*i] (up to the next ',') say q=0; steps *i past them. */
static bool zero_q(struct http_slice v, size_t *i)
{
    bool zero = false;
    while (*i < v.len && v.p[*i] != ',') {
        if ((v.p[*i] == 'q' || v.p[*i] == 'Q') && *i + 1 < v.len && v.p[*i + 1] == '=') {
            size_t k = *i + 2; /* "q=0", "q=0.0", "q=0.000" refuse */
            zero = k < v.len && v.p[k] == '0';
            for (k++; zero && k < v.len && v.p[k] != ',' && v.p[k] != ';'; k++) {
                if (v.p[k] != '.' && v.p[k] != '0' && v.p[k] != ' ')
                    zero = false;
            }
        }
        (*i)++;
    }
    return zero;
}

bool http_accept_names(struct http_slice v, const char *type)
{
    size_t n = strlen(type);
    size_t i = 0;
    bool named = false;
    while (i < v.len) {
        while (i < v.len && (v.p[i] == ' ' || v.p[i] == '\t' || v.p[i] == ','))
            i++;
        size_t start = i;
        while (i < v.len && v.p[i] != ',' && v.p[i] != ';' && v.p[i] != ' ' && v.p[i] != '\t')
            i++;
        size_t tok_len = i - start;
        bool refused = zero_q(v, &i);
        if (tok_len == n && strncasecmp(v.p + start, type, n) == 0 && !refused)
            named = true;
    }
    return named;
}

bool http_is_navigation(const struct http_request_info *info)
{
    static const char navigate[] = "navigate";
    struct http_slice mode = info->sec_fetch_mode;
    if (mode.p != NULL && mode.len == sizeof(navigate) - 1 && strncasecmp(mode.p, navigate, mode.len) == 0)
        return true;
    return info->accept.p != NULL && http_accept_names(info->accept, "text/html");
}

/* If-Match, else If-Unmodified-Since: false when the precondition fails (412). */
static bool preconditions_hold(const struct http_request_info *info, const char *etag, time_t mtime)
{
    if (info->if_match.p != NULL)
        return http_etag_list_matches(info->if_match, etag, false);
    if (info->if_unmodified_since.p == NULL)
        return true;
    time_t ius = http_date_parse(info->if_unmodified_since.p, info->if_unmodified_since.len);
    return ius == (time_t)-1 || mtime <= ius;
}

/* If-None-Match, else If-Modified-Since: true when the client's copy is current (304). */
static bool not_modified(const struct http_request_info *info, const char *etag, time_t mtime)
{
    if (info->if_none_match.p != NULL)
        return http_etag_list_matches(info->if_none_match, etag, true);
    if (info->if_modified_since.p == NULL)
        return false;
    time_t ims = http_date_parse(info->if_modified_since.p, info->if_modified_since.len);
    return ims != (time_t)-1 && mtime <= ims;
}

enum http_precondition http_preconditions(const struct http_request_info *info, const char *etag, time_t mtime)
{
    if (!preconditions_hold(info, etag, mtime))
        return HTTP_PRE_FAILED;
    return not_modified(info, etag, mtime) ? HTTP_PRE_NOT_MODIFIED : HTTP_PRE_PASS;
}
