/*
 * cors.c - see cors.h.
 */
#include "compat.h"

#include "cors.h"

#include "optparse.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* What a preflight may ask for: this server only reads. */
#define CORS_METHODS "GET, HEAD, OPTIONS"

/* Length of the "http://" or "https://" that starts s (len bytes), or 0. */
static size_t scheme_len(const char *s, size_t len)
{
    if (len > 7 && strncasecmp(s, "http://", 7) == 0)
        return 7;
    if (len > 8 && strncasecmp(s, "https://", 8) == 0)
        return 8;
    return 0;
}

/* Steps over the host at s[*i] (a name, IPv4 or [IPv6]); returns 0 or -1. */
static int skip_host(const char *s, size_t len, size_t *i)
{
    if (s[*i] == '[') {
        const char *close = memchr(s + *i, ']', len - *i);
        if (close == NULL || close == s + *i + 1)
            return -1;
        for ((*i)++; s + *i < close; (*i)++) {
            if (!isxdigit((unsigned char)s[*i]) && s[*i] != ':' && s[*i] != '.')
                return -1;
        }
        (*i)++;
        return 0;
    }
    size_t start = *i;
    for (; *i < len && s[*i] != ':'; (*i)++) {
        if (!isalnum((unsigned char)s[*i]) && s[*i] != '.' && s[*i] != '-')
            return -1;
    }
    return *i == start ? -1 : 0;
}

/* Checks scheme://host[:port] (len bytes at s); returns 0 or -1. */
static int check_origin(const char *s, size_t len)
{
    size_t i = scheme_len(s, len);
    if (i == 0 || skip_host(s, len, &i) < 0)
        return -1;
    if (i == len)
        return 0;
    if (s[i] != ':')
        return -1; /* a path, or junk after [IPv6] */
    size_t digits = len - i - 1;
    if (digits == 0 || digits > 5 || strspn(s + i + 1, "0123456789") != digits)
        return -1;
    return 0;
}

int cors_origin_parse(void *cors, const char *item, char *why, size_t whylen)
{
    struct cors_config *c = cors;
    size_t len = strlen(item);
    if (strcmp(item, "*") == 0 && c->origin_count == 0) {
        c->any = true;
        return 0;
    }
    if (c->any || strcmp(item, "*") == 0)
        return opt_expected(why, whylen, "'*' alone, or a list of origins");
    if (c->origin_count >= CORS_ORIGINS_MAX)
        return opt_expected(why, whylen, "at most %d origins", CORS_ORIGINS_MAX);
    if (len >= CORS_ORIGIN_MAX || check_origin(item, len) < 0)
        return opt_expected(why, whylen,
                            "'*' or origins such as https://app.example.com or "
                            "http://localhost:3000 (scheme://host[:port], no path)");
    char *out = c->origins[c->origin_count++];
    for (size_t i = 0; i <= len; i++)
        out[i] = (char)tolower((unsigned char)item[i]);
    return 0;
}

void cors_origins_clear(void *cors)
{
    struct cors_config *c = cors;
    c->any = false;
    c->origin_count = 0;
}

int cors_header_parse(void *cors, const char *item, char *why, size_t whylen)
{
    struct cors_config *c = cors;
    size_t len = strlen(item), used = strlen(c->allow_headers);
    for (size_t i = 0; i < len; i++) {
        if (!http_is_token_char((unsigned char)item[i]))
            return opt_expected(why, whylen, "header names separated by commas, such as Range, Content-Type");
    }
    if (used + len + 3 > sizeof(c->allow_headers))
        return opt_expected(why, whylen, "header names of at most %zu bytes in all", sizeof(c->allow_headers) - 1);
    snprintf(c->allow_headers + used, sizeof(c->allow_headers) - used, "%s%s", used ? ", " : "", item);
    return 0;
}

void cors_headers_clear(void *cors)
{
    ((struct cors_config *)cors)->allow_headers[0] = '\0';
}

bool cors_enabled(const struct cors_config *cfg)
{
    return cfg->any || cfg->origin_count > 0;
}

bool cors_is_preflight(const struct http_request_info *info)
{
    return info->method == HTTP_METHOD_OPTIONS && info->origin.p != NULL && info->ac_request_method.p != NULL;
}

bool cors_preflight_allowed(const struct cors_config *cfg, const struct http_request_info *info)
{
    return cors_enabled(cfg) && cors_is_preflight(info) && cors_origin_allowed(cfg, info->origin);
}

bool cors_origin_allowed(const struct cors_config *cfg, struct http_slice origin)
{
    if (origin.p == NULL)
        return false;
    if (cfg->any)
        return true;
    for (int i = 0; i < cfg->origin_count; i++) {
        if (http_slice_equals_nocase(origin, cfg->origins[i]))
            return true;
    }
    return false;
}

size_t cors_lines(const struct cors_config *cfg, const struct http_request_info *info, bool preflight, char *buf,
                  size_t cap)
{
    buf[0] = '\0';
    if (!cors_enabled(cfg))
        return 0;
    int n = 0;
    if (cors_origin_allowed(cfg, info->origin)) {
        /* the value matched a configured origin, so its bytes are safe to echo */
        if (cfg->any)
            n = snprintf(buf, cap, "Access-Control-Allow-Origin: *\r\n");
        else
            n = snprintf(buf, cap, "Access-Control-Allow-Origin: %.*s\r\n%s", (int)info->origin.len, info->origin.p,
                         cfg->credentials ? "Access-Control-Allow-Credentials: true\r\n" : "");
        if (preflight && n >= 0 && (size_t)n < cap)
            n += snprintf(buf + n, cap - (size_t)n,
                          "Access-Control-Allow-Methods: " CORS_METHODS "\r\n"
                          "%s%s%s"
                          "Access-Control-Max-Age: %d\r\n",
                          cfg->allow_headers[0] ? "Access-Control-Allow-Headers: " : "", cfg->allow_headers,
                          cfg->allow_headers[0] ? "\r\n" : "", cfg->max_age);
    }
    if (!cfg->any && n >= 0 && (size_t)n < cap)
        n += snprintf(buf + n, cap - (size_t)n, "Vary: Origin\r\n");
    if (n < 0 || (size_t)n >= cap) {
        buf[0] = '\0'; /* cannot happen with CORS_LINES_MAX; no half line either way */
        return 0;
    }
    return (size_t)n;
}
