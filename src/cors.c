/*
 * cors.c - see cors.h.
 */
#include "compat.h"

#include "cors.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* What a preflight may ask for: this server only reads. */
#define CORS_METHODS "GET, HEAD, OPTIONS"

bool cors_enabled(const struct config *cfg)
{
    return cfg->cors_any || cfg->cors_origin_count > 0;
}

bool cors_is_preflight(const struct http_request_info *info)
{
    return info->method == HTTP_METHOD_OPTIONS && info->origin.p != NULL &&
           info->ac_request_method.p != NULL;
}

bool cors_preflight_allowed(const struct config *cfg, const struct http_request_info *info)
{
    return cors_enabled(cfg) && cors_is_preflight(info) && cors_origin_allowed(cfg, info->origin);
}

bool cors_origin_allowed(const struct config *cfg, struct http_slice origin)
{
    if (origin.p == NULL)
        return false;
    if (cfg->cors_any)
        return true;
    for (int i = 0; i < cfg->cors_origin_count; i++) {
        if (http_slice_equals_nocase(origin, cfg->cors_origins[i]))
            return true;
    }
    return false;
}

size_t cors_lines(const struct config *cfg, const struct http_request_info *info, bool preflight,
                  char *buf, size_t cap)
{
    buf[0] = '\0';
    if (!cors_enabled(cfg))
        return 0;
    int n = 0;
    if (cors_origin_allowed(cfg, info->origin)) {
        /* the value matched a configured origin, so its bytes are safe to echo */
        if (cfg->cors_any)
            n = snprintf(buf, cap, "Access-Control-Allow-Origin: *\r\n");
        else
            n = snprintf(buf, cap, "Access-Control-Allow-Origin: %.*s\r\n%s", (int)info->origin.len,
                         info->origin.p,
                         cfg->basic_auth_file[0] ? "Access-Control-Allow-Credentials: true\r\n" : "");
        if (preflight && n >= 0 && (size_t)n < cap)
            n += snprintf(buf + n, cap - (size_t)n,
                          "Access-Control-Allow-Methods: " CORS_METHODS "\r\n"
                          "%s%s%s"
                          "Access-Control-Max-Age: %d\r\n",
                          cfg->cors_headers[0] ? "Access-Control-Allow-Headers: " : "",
                          cfg->cors_headers, cfg->cors_headers[0] ? "\r\n" : "", cfg->cors_max_age);
    }
    if (!cfg->cors_any && n >= 0 && (size_t)n < cap)
        n += snprintf(buf + n, cap - (size_t)n, "Vary: Origin\r\n");
    if (n < 0 || (size_t)n >= cap) {
        buf[0] = '\0'; /* cannot happen with CORS_LINES_MAX; no half line either way */
        return 0;
    }
    return (size_t)n;
}
