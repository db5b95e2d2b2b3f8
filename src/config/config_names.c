/*
 * config_names.c - see config_names.h.
 */
#include "compat.h"

#include "config_names.h"

#include "config_options.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Longest name compared: longer ones are never "close". */
#define NAMES_LEN_MAX 64

/*
 * Edit distance between a and b, a swap of two neighbours counting as one
 * edit (optimal string alignment): "prot" is one edit from "port".
 */
static size_t distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    static size_t d[NAMES_LEN_MAX + 1][NAMES_LEN_MAX + 1];
    if (la > NAMES_LEN_MAX || lb > NAMES_LEN_MAX)
        return SIZE_MAX;
    for (size_t i = 0; i <= la; i++) {
        for (size_t j = 0; j <= lb; j++) {
            if (i == 0 || j == 0) {
                d[i][j] = i + j;
                continue;
            }
            size_t best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            best = d[i - 1][j] + 1 < best ? d[i - 1][j] + 1 : best;
            best = d[i][j - 1] + 1 < best ? d[i][j - 1] + 1 : best;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    }
    return d[la][lb];
}

/* Close enough to suggest: at most one edit per four characters, and one more. */
static bool close_enough(size_t d, const char *name)
{
    return d <= 1 + strlen(name) / 4;
}

bool config_names_link_value(const char *value)
{
    const char *rest = NULL;
    if (strncmp(value, "tcp://", 6) == 0 || strncmp(value, "udp://", 6) == 0)
        rest = value + 6;
    else if (strncmp(value, "sctp://", 7) == 0)
        rest = value + 7;
    const char *colon = rest ? strrchr(rest, ':') : NULL;
    return colon != NULL && colon != rest && colon[1] != '\0' && strspn(colon + 1, "0123456789") == strlen(colon + 1);
}

bool config_names_service_link(const char *name, size_t n, const char *value)
{
    char copy[NAMES_LEN_MAX * 2];
    if (n >= sizeof(copy))
        return false;
    memcpy(copy, name, n);
    copy[n] = '\0';
    if (strstr(copy, "_SERVICE_HOST") || strstr(copy, "_SERVICE_PORT"))
        return true;
    for (const char *s = strstr(copy, "_PORT_"); s != NULL; s = strstr(s + 1, "_PORT_")) {
        const char *proto = s + 6 + strspn(s + 6, "0123456789");
        if (proto > s + 6 &&
            (strncmp(proto, "_TCP", 4) == 0 || strncmp(proto, "_UDP", 4) == 0 || strncmp(proto, "_SCTP", 5) == 0))
            return true;
    }
    const char *tail = n > 5 ? copy + (n - 5) : copy; /* n < sizeof(copy) */
    return n > 5 && strcmp(tail, "_PORT") == 0 && config_names_link_value(value);
}

bool config_names_known_env(const char *name, size_t n)
{
    for (size_t i = 0; i < config_option_count; i++) {
        const struct option_spec *o = &config_options[i];
        char row_name[CONFIG_ENV_NAME_MAX];
        config_option_env(o, row_name, sizeof(row_name));
        if ((!(o->flags & OPT_F_NOENV) && strlen(row_name) == n && strncmp(name, row_name, n) == 0) ||
            (o->old_env && strlen(o->old_env) == n && strncmp(name, o->old_env, n) == 0))
            return true;
    }
    return false;
}

const char *config_names_closest_key(const char *key)
{
    const char *best = NULL;
    size_t best_d = SIZE_MAX;
    for (size_t i = 0; i < config_option_count; i++) {
        const struct option_spec *o = &config_options[i];
        size_t d = o->kind == OPT_MODE || (o->flags & OPT_F_NOFILE) ? SIZE_MAX : distance(key, o->name);
        if (d < best_d) {
            best_d = d;
            best = o->name;
        }
    }
    return close_enough(best_d, key) ? best : NULL;
}

bool config_names_closest_env(const char *name, char *out, size_t cap)
{
    size_t best_d = SIZE_MAX;
    for (size_t i = 0; i < config_option_count; i++) {
        char row_name[CONFIG_ENV_NAME_MAX];
        config_option_env(&config_options[i], row_name, sizeof(row_name));
        size_t d = (config_options[i].flags & OPT_F_NOENV) ? SIZE_MAX : distance(name, row_name);
        if (d < best_d) {
            best_d = d;
            snprintf(out, cap, "%s", row_name);
        }
    }
    return close_enough(best_d, name);
}
