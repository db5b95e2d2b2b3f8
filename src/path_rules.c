/*
 * path_rules.c - see path_rules.h.
 */
#include "compat.h"

#include "path_rules.h"

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

int path_rules_add(struct path_rules *rs, const char *pattern, size_t pattern_len, const char *value,
                   size_t value_len)
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

const char *path_rules_headers(const struct path_rules *rs, const char *all, const char *a, const char *b,
                               char *out, size_t cap)
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
