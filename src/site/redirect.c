/*
 * redirect.c - see redirect.h.
 */
#include "compat.h"

#include "redirect.h"

#include "optparse.h"
#include "path.h"
#include "textbuf.h"

#include <ctype.h>
#include <stdbool.h>
#include <string.h>

/* What --redirect takes, for its errors. */
#define REDIRECT_USAGE                                                                  \
    "FROM=TO[:CODE], such as /old/*=/new/*:301 or /blog=https://blog.example.com/:302 " \
    "(FROM a path, TO a path or http(s) URL, no spaces; CODE 301, 302, 307 or 308)"

/* Takes a trailing ":NNN" off to (to_len bytes) into *code; returns 0, or -1 for a code not allowed. */
static int take_code(char *to, size_t *to_len, int *code)
{
    size_t n = *to_len;
    *code = 301;
    if (n <= 4 || to[n - 4] != ':' || !isdigit((unsigned char)to[n - 3]) || !isdigit((unsigned char)to[n - 2]) ||
        !isdigit((unsigned char)to[n - 1]))
        return 0;
    *code = (to[n - 3] - '0') * 100 + (to[n - 2] - '0') * 10 + (to[n - 1] - '0');
    if (*code != 301 && *code != 302 && *code != 307 && *code != 308)
        return -1;
    to[n - 4] = '\0';
    *to_len = n - 4;
    return 0;
}

int redirect_rule_parse(void *rules, const char *item, char *why, size_t whylen)
{
    struct redirect_rules *rs = rules;
    char buf[sizeof(rs->rule[0].from) + sizeof(rs->rule[0].to) + 8];
    size_t len = strlen(item);
    if (len >= sizeof(buf) || item[0] != '/' || strchr(item, '=') == NULL)
        return opt_expected(why, whylen, "%s", REDIRECT_USAGE);
    memcpy(buf, item, len + 1);
    char *eq = strchr(buf, '=');
    *eq = '\0';
    char *to = eq + 1;
    size_t to_len = strlen(to);
    int code;
    if (take_code(to, &to_len, &code) < 0)
        return opt_expected(why, whylen, "%s", REDIRECT_USAGE);
    if (rs->count >= REDIRECT_RULES_MAX)
        return opt_expected(why, whylen, "at most %d redirects", REDIRECT_RULES_MAX);
    struct redirect_rule *r = &rs->rule[rs->count];
    size_t from_len = strlen(buf);
    r->prefix = buf[from_len - 1] == '*';
    if (r->prefix)
        buf[--from_len] = '\0';
    bool to_ok = to[0] == '/' || strncmp(to, "http://", 7) == 0 || strncmp(to, "https://", 8) == 0;
    const char *star = strchr(to, '*');
    bool to_carries = star != NULL && star == to + to_len - 1;
    if (!to_ok || strchr(buf, '*') != NULL || (star != NULL && !to_carries) || (to_carries && !r->prefix) ||
        opt_copy_printable(r->from, sizeof(r->from), buf, from_len, false) < 0 ||
        opt_copy_printable(r->to, sizeof(r->to), to, to_len, false) < 0)
        return opt_expected(why, whylen, "%s", REDIRECT_USAGE);
    r->code = code;
    rs->count++;
    return 0;
}

void redirect_rules_clear(void *rules)
{
    ((struct redirect_rules *)rules)->count = 0;
}

/* Appends the query: its bytes are the parser's (no CTL, no space); non-ASCII ones are encoded. */
static void out_query(struct textbuf *o, struct http_slice query)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < query.len; i++) {
        unsigned char c = (unsigned char)query.p[i];
        if (c < 0x80) {
            textbuf_put(o, (const char *)&query.p[i], 1);
        } else {
            char esc[3] = {'%', hex[c >> 4], hex[c & 15]};
            textbuf_put(o, esc, sizeof(esc));
        }
    }
}

/*
 * True when to (len bytes) is an absolute target that ends with its
 * authority: "https://host", "https://host:8443" or "//host", with no path,
 * query or fragment after it.  Whatever is joined to such a target would
 * extend the host ("https://blog.example.com" + ".evil.com"), so the rest
 * carried onto it must start a path.
 */
static bool ends_in_authority(const char *to, size_t len)
{
    const char *sep = memmem(to, len, "//", 2);
    if (sep == NULL || (sep != to && (sep[-1] != ':' || memchr(to, '/', (size_t)(sep - to)) != NULL)))
        return false; /* a path: "/new/", not "//host" or "scheme://host" */
    const char *authority = sep + 2;
    size_t rest = len - (size_t)(authority - to);
    return strcspn(authority, "/?#") >= rest;
}

/* Matches one rule; returns the rest of path after its prefix ("" for an exact match), or NULL. */
static const char *rule_match(const struct redirect_rule *rule, const char *path)
{
    size_t n = strlen(rule->from);
    if (!rule->prefix)
        return strcmp(path, rule->from) == 0 ? path + n : NULL;
    return strncmp(path, rule->from, n) == 0 ? path + n : NULL;
}

int redirect_find(const struct redirect_rules *rules, const char *path, struct http_slice query, char *location,
                  size_t cap)
{
    for (int i = 0; i < rules->count; i++) {
        const struct redirect_rule *rule = &rules->rule[i];
        const char *rest = rule_match(rule, path);
        if (rest == NULL)
            continue;
        if (cap == 0)
            return 414;
        struct textbuf o = textbuf_over(location, cap - 1); /* room for the NUL */
        size_t to_len = strlen(rule->to);
        bool carry = to_len > 0 && rule->to[to_len - 1] == '*';
        if (carry)
            to_len--;
        textbuf_put(&o, rule->to, to_len);
        if (carry && *rest != '\0') {
            char encoded[PATH_MAX_DECODED * 3 + 2];
            /* path_encode() writes "/" + rest: skip that '/', and a second one at the join ("/" + "/x");
             * after a bare authority keep one, so the rest starts a path and never extends the host */
            int n = path_encode(rest, false, encoded, sizeof(encoded));
            if (n < 0)
                return 414;
            size_t skip = rest[0] == '/' && to_len > 0 && rule->to[to_len - 1] == '/' ? 2 : 1;
            if (ends_in_authority(rule->to, to_len))
                skip = rest[0] == '/' ? 1 : 0;
            if ((size_t)n > skip)
                textbuf_put(&o, encoded + skip, (size_t)n - skip);
        }
        if (query.len > 0) {
            textbuf_put(&o, strchr(rule->to, '?') ? "&" : "?", 1);
            out_query(&o, query);
        }
        location[o.len] = '\0';
        return o.cut ? 414 : rule->code;
    }
    return 0;
}
