/*
 * path_rules.c - see path_rules.h.
 */
#include "compat.h"

#include "path_rules.h"

#include "http_parser.h"
#include "optparse.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/*
 * One pass with a single resume point: a '*' remembers where it stood and
 * where the path was; a mismatch later goes back there and lets that '*'
 * take one more byte.  A later '*' replaces the resume point, which is
 * safe because it can absorb whatever the earlier one would have had to.
 */
bool path_glob_match(const char *pattern, const char *path)
{
    if (path == NULL)
        return false;
    const char *p = pattern, *s = path;
    const char *star = NULL, *resume = NULL;
    while (*s != '\0') {
        if (*p == '*') {
            star = p++;
            resume = s;
        } else if (*p != '\0' && (*p == '?' || *p == *s)) {
            p++;
            s++;
        } else if (star != NULL) {
            p = star + 1;
            s = ++resume;
        } else {
            return false;
        }
    }
    while (*p == '*')
        p++;
    return *p == '\0';
}

int path_rule_split(const char *item, size_t len, struct path_rule_text *out)
{
    if (len == 0 || (item[0] != '/' && item[0] != '*')) {
        out->pattern = NULL;
        out->pattern_len = 0;
        out->value = item;
        out->value_len = len;
        return 0;
    }
    const char *eq = memchr(item, '=', len);
    if (eq == NULL)
        return -1;
    size_t plen = (size_t)(eq - item);
    while (plen > 0 && item[plen - 1] == ' ')
        plen--;
    const char *v = eq + 1, *end = item + len;
    while (v < end && *v == ' ')
        v++;
    out->pattern = item;
    out->pattern_len = plen;
    out->value = v;
    out->value_len = (size_t)(end - v);
    return 1;
}

/* True when pattern[0..len) can be a rule's glob: '/' or '*' first, no control byte, no '='. */
static bool pattern_ok(const char *pattern, size_t len)
{
    if (len == 0 || len >= PATH_RULE_PATTERN_MAX || (pattern[0] != '/' && pattern[0] != '*'))
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)pattern[i];
        if (c < 0x20 || c == 0x7f || c == '=')
            return false;
    }
    return true;
}

int path_rules_add(struct path_rules *rs, const char *pattern, size_t pattern_len, const char *value, size_t value_len)
{
    size_t need = pattern_len + 1 + value_len + 1;
    if (!pattern_ok(pattern, pattern_len) || rs->count >= PATH_RULES_MAX || need > sizeof(rs->text) - rs->used ||
        memchr(value, '\0', value_len) != NULL)
        return -1;
    struct path_rule *r = &rs->rule[rs->count];
    r->pattern = (uint16_t)rs->used;
    memcpy(rs->text + rs->used, pattern, pattern_len);
    rs->text[rs->used + pattern_len] = '\0';
    r->value = (uint16_t)(rs->used + pattern_len + 1);
    memcpy(rs->text + r->value, value, value_len);
    rs->text[r->value + value_len] = '\0';
    rs->used += need;
    rs->value_bytes += value_len;
    rs->count++;
    return 0;
}

void path_rules_clear(struct path_rules *rs)
{
    rs->count = 0;
    rs->used = 0;
    rs->value_bytes = 0;
}

/* True when rule i of rs matches path a or path b. */
static bool rule_matches(const struct path_rules *rs, int i, const char *a, const char *b)
{
    const char *pattern = rs->text + rs->rule[i].pattern;
    return path_glob_match(pattern, a) || path_glob_match(pattern, b);
}

const char *path_rules_first(const struct path_rules *rs, const char *a, const char *b)
{
    for (int i = 0; i < rs->count; i++) {
        if (rule_matches(rs, i, a, b))
            return rs->text + rs->rule[i].value;
    }
    return NULL;
}

/* Length of the name of the header line at line (before its ':'; the whole line without one). */
static size_t header_name_len(const char *line)
{
    return strcspn(line, ":\r\n");
}

/* Appends n bytes of s to out at *used when they fit beside the NUL; a line never goes in cut. */
static void append_whole(char *out, size_t cap, size_t *used, const char *s, size_t n)
{
    if (*used + n + 1 > cap)
        return;
    memcpy(out + *used, s, n);
    *used += n;
    out[*used] = '\0';
}

const char *path_rules_headers(const struct path_rules *rs, const char *all, const char *a, const char *b, char *out,
                               size_t cap)
{
    bool matched[PATH_RULES_MAX];
    bool any = false;
    for (int i = 0; i < rs->count; i++) {
        matched[i] = rule_matches(rs, i, a, b);
        any = any || matched[i];
    }
    if (!any || cap == 0)
        return all;
    size_t used = 0;
    out[0] = '\0';
    for (const char *line = all; line != NULL && *line != '\0';) {
        size_t n = strcspn(line, "\n");
        n += line[n] == '\n';
        size_t name = header_name_len(line);
        bool replaced = false;
        for (int i = 0; i < rs->count && !replaced; i++) {
            const char *v = rs->text + rs->rule[i].value;
            replaced = matched[i] && header_name_len(v) == name && strncasecmp(v, line, name) == 0;
        }
        if (!replaced)
            append_whole(out, cap, &used, line, n);
        line += n;
    }
    for (int i = 0; i < rs->count; i++) {
        const char *v = rs->text + rs->rule[i].value;
        if (matched[i])
            append_whole(out, cap, &used, v, strlen(v));
    }
    return out;
}

/* What --cache-control takes, for its errors. */
#define CACHE_CONTROL_USAGE "a Cache-Control value, or PATTERN=VALUE with a glob starting with / or * (*.html=no-cache)"
/* What a rule list takes, for its errors. */
#define RULES_USAGE "at most %d rules, each a glob of up to %d bytes starting with / or *"

int path_headers_parse_cache_control(void *ph, const char *item, char *why, size_t whylen)
{
    struct path_headers *h = ph;
    struct path_rule_text t;
    int form = path_rule_split(item, strlen(item), &t);
    char value[PATH_HEADERS_VALUE_MAX];
    if (form < 0 || opt_copy_printable(value, sizeof(value), t.value, t.value_len, true) < 0)
        return opt_expected(why, whylen, "%s, a value of printable ASCII under %zu bytes", CACHE_CONTROL_USAGE,
                            sizeof(value));
    if (form == 0 && h->cache_control[0] != '\0') /* the list starts empty with each source */
        return opt_expected(why, whylen,
                            "one plain value, the other items PATTERN=VALUE rules (a glob starts "
                            "with / or *)");
    if (form == 0) {
        memcpy(h->cache_control, value, t.value_len + 1);
        return 0;
    }
    if (path_rules_add(&h->cache_rules, t.pattern, t.pattern_len, t.value, t.value_len) < 0)
        return opt_expected(why, whylen, RULES_USAGE, PATH_RULES_MAX, PATH_RULE_PATTERN_MAX - 1);
    return 0;
}

void path_headers_clear_cache_control(void *ph)
{
    struct path_headers *h = ph;
    h->cache_control[0] = '\0';
    path_rules_clear(&h->cache_rules);
}

/* Header names that would break the framing of our responses. */
static bool header_breaks_framing(const char *name, size_t len)
{
    static const char *const refused[] = {"content-length", "transfer-encoding", "connection"};
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        if (len == strlen(refused[i]) && strncasecmp(name, refused[i], len) == 0)
            return true;
    }
    return false;
}

/*
 * Formats one "Name: value" (len bytes at line) as "Name: value\r\n" into
 * out (cap bytes).  Returns its length, or -1 with why.
 */
static int format_header(const char *line, size_t len, char *out, size_t cap, char *why, size_t whylen)
{
    size_t colon = 0;
    while (colon < len && line[colon] != ':') {
        if (!http_is_token_char((unsigned char)line[colon]))
            return opt_expected(why, whylen, "'Name: value' with a token name");
        colon++;
    }
    if (colon == 0 || colon == len)
        return opt_expected(why, whylen, "'Name: value' with a token name");
    if (header_breaks_framing(line, colon))
        return opt_expected(why, whylen,
                            "a header other than Content-Length, Transfer-Encoding and "
                            "Connection, which would break the response framing");
    size_t vstart = colon + 1;
    while (vstart < len && (line[vstart] == ' ' || line[vstart] == '\t'))
        vstart++;
    for (size_t i = vstart; i < len; i++) {
        unsigned char c = (unsigned char)line[i];
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return opt_expected(why, whylen, "a header value without control characters");
    }
    int n = snprintf(out, cap, "%.*s: %.*s\r\n", (int)colon, line, (int)(len - vstart), line + vstart);
    if (n < 0 || (size_t)n >= cap)
        return opt_expected(why, whylen, "headers of at most %zu bytes in all", cap - 1);
    return n;
}

int path_headers_parse_header(void *ph, const char *item, char *why, size_t whylen)
{
    struct path_headers *h = ph;
    struct path_rule_text t;
    int form = path_rule_split(item, strlen(item), &t);
    if (form < 0)
        return opt_expected(why, whylen, "'Name: value', or PATTERN=Name: value with a glob starting with / or *");
    char line[PATH_HEADERS_MAX];
    int n = format_header(t.value, t.value_len, line, sizeof(line), why, whylen);
    if (n < 0)
        return -1;
    size_t used = strlen(h->headers) + h->header_rules.value_bytes;
    if (used + (size_t)n + 1 > sizeof(h->headers))
        return opt_expected(why, whylen, "headers of at most %zu bytes in all", sizeof(h->headers) - 1);
    if (form == 0) {
        memcpy(h->headers + strlen(h->headers), line, (size_t)n + 1);
        return 0;
    }
    if (path_rules_add(&h->header_rules, t.pattern, t.pattern_len, line, (size_t)n) < 0)
        return opt_expected(why, whylen, RULES_USAGE, PATH_RULES_MAX, PATH_RULE_PATTERN_MAX - 1);
    return 0;
}

void path_headers_clear_headers(void *ph)
{
    struct path_headers *h = ph;
    h->headers[0] = '\0';
    path_rules_clear(&h->header_rules);
}
