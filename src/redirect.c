/*
 * redirect.c - see redirect.h.
 */
#include "compat.h"

#include "redirect.h"

#include "path.h"
#include "textbuf.h"

#include <stdbool.h>
#include <string.h>

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
static const char *rule_match(const struct config_redirect *rule, const char *path)
{
    size_t n = strlen(rule->from);
    if (!rule->prefix)
        return strcmp(path, rule->from) == 0 ? path + n : NULL;
    return strncmp(path, rule->from, n) == 0 ? path + n : NULL;
}

int redirect_find(const struct config *cfg, const char *path, struct http_slice query, char *location,
                  size_t cap)
{
    for (int i = 0; i < cfg->redirect_count; i++) {
        const struct config_redirect *rule = &cfg->redirects[i];
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
