/*
 * config.c - see config.h.  The engine over the option table: each source
 * in turn (defaults, file, variables, flags), one row at a time.
 */
#include "compat.h"

#include "config.h"

#include "config_file.h"
#include "config_names.h"
#include "config_options.h"
#include "host.h"
#include "optparse.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Every variable of ours starts with this. */
#define CONFIG_ENV_PREFIX "OTUSERVER_"
/* Longest list item: a redirect rule (two paths) or a header line. */
#define CONFIG_ITEM_MAX 2048
/* Longest part of a bad value echoed in an error; the rest is cut. */
#define CONFIG_ECHO_MAX 80

/* One parse: the settings being filled and what the sources did to each row. */
struct parse {
    struct config *cfg;
    struct config_trace *trace;                         /* or NULL */
    enum config_source list_source[CONFIG_OPTIONS_MAX]; /* lists: whose items they hold */
    bool set_by_flag[CONFIG_OPTIONS_MAX];               /* a flag gave the row (-r and DIR both: an error) */
    const char *positional;                             /* the document root given as an argument, or NULL */
    int link_warning;                                   /* the warning line about service links, or -1 */
};

/* Where a value comes from: its source, its name in errors ("--port"), its origin in the trace ("site.yaml:3"). */
struct source_ref {
    enum config_source src;
    const char *name;
    const char *origin;
};

/* Adds one line to cfg->warnings (counted in dropped when full). */
static void add_warning(struct config *cfg, const char *fmt, ...) OTU_PRINTF(2, 3);
static void add_warning(struct config *cfg, const char *fmt, ...)
{
    struct config_warnings *w = &cfg->warnings;
    if (w->count >= CONFIG_WARNINGS_MAX) {
        w->dropped++;
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->line[w->count++], CONFIG_WARNING_LEN, fmt, ap);
    va_end(ap);
}

/* True when row o has a variable. */
static bool has_env(const struct option_spec *o)
{
    return !(o->flags & OPT_F_NOENV);
}

/* ---- reading one value into one row ---- */

/* Writes bound v of a number row as its users write it: 16m, 4k, 1h, 500ms, 65535. */
static void bound_text(const struct option_spec *o, long v, char *out, size_t cap)
{
    static const struct {
        enum opt_kind kind;
        long scale;
        const char *unit;
    } units[] = {{OPT_SIZE, 1024L * 1024, "m"}, {OPT_SIZE, 1024, "k"},     {OPT_DURATION, 3600000, "h"},
                 {OPT_DURATION, 60000, "m"},    {OPT_DURATION, 1000, "s"}, {OPT_DURATION, 1, "ms"}};
    for (size_t i = 0; i < OTU_ARRAY_LEN(units); i++) {
        if (units[i].kind == o->kind && v > 0 && v % units[i].scale == 0) {
            snprintf(out, cap, "%ld%s", v / units[i].scale, units[i].unit);
            return;
        }
    }
    snprintf(out, cap, "%ld", v);
}

/* Reads a number (or the row's keyword) into the int at field; returns 0 or -1 with why. */
static int parse_number(int *field, const struct option_spec *o, const char *v, char *why, size_t whylen)
{
    long n;
    int rc = -1;
    if (o->keyword != NULL && strcmp(v, o->keyword) == 0) {
        *field = (int)o->keyword_value;
        return 0;
    }
    if (o->kind == OPT_INT)
        rc = opt_int(v, o->min, o->max, &n);
    else if (o->kind == OPT_SIZE)
        rc = opt_size(v, o->min, o->max, &n);
    else
        rc = opt_duration_ms(v, o->min, o->max, &n);
    if (rc == 0) {
        *field = (int)n;
        return 0;
    }
    char lo[24], hi[24];
    bound_text(o, o->min, lo, sizeof(lo));
    bound_text(o, o->max, hi, sizeof(hi));
    const char *what = o->kind == OPT_INT    ? "a number"
                       : o->kind == OPT_SIZE ? "a size (bytes, or k or m)"
                                             : "a duration (ms, s or m)";
    return opt_expected(why, whylen, "%s from %s to %s%s%s", what, lo, hi, o->keyword ? ", or " : "",
                        o->keyword ? o->keyword : "");
}

/* Reads one of o->names into the int at field. */
static int parse_enum(int *field, const struct option_spec *o, const char *v, char *why, size_t whylen)
{
    char words[160] = "";
    for (int i = 0; o->names[i] != NULL; i++) {
        if (strcmp(v, o->names[i]) == 0) {
            *field = i;
            return 0;
        }
        size_t n = strlen(words);
        snprintf(words + n, sizeof(words) - n, "%s%s", i ? ", " : "", o->names[i]);
    }
    return opt_expected(why, whylen, "one of %s", words);
}

/* Reads a path: a file system path (OPT_PATH) or a request path (OPT_URLPATH) into char[o->size]. */
static int parse_path(char *field, const struct option_spec *o, const char *v, char *why, size_t whylen)
{
    size_t n = strlen(v);
    if (n == 0 && (o->flags & OPT_F_NONEMPTY))
        return opt_expected(why, whylen, "a path, not empty");
    if (o->kind == OPT_PATH) {
        if (n >= o->size)
            return opt_expected(why, whylen, "a path shorter than %zu bytes", o->size);
        memcpy(field, v, n + 1);
        return 0;
    }
    if (n > 0 && (v[0] != '/' || (!(o->flags & OPT_F_QUERY) && strchr(v, '?') != NULL) ||
                  opt_copy_printable(field, o->size, v, n, false) < 0))
        return opt_expected(why, whylen, "a path starting with /, without spaces%s, under %zu bytes",
                            (o->flags & OPT_F_QUERY) ? "" : " or '?'", o->size);
    if (n == 0)
        field[0] = '\0';
    return 0;
}

/* Which mode wins when several flags ask: help, then version, then --check-config, then --healthcheck. */
static int mode_rank(enum config_mode m)
{
    static const enum config_mode order[] = {CONFIG_MODE_SERVE, CONFIG_MODE_HEALTHCHECK, CONFIG_MODE_CHECK,
                                             CONFIG_MODE_VERSION, CONFIG_MODE_HELP};
    for (size_t i = 0; i < OTU_ARRAY_LEN(order); i++) {
        if (order[i] == m)
            return (int)i;
    }
    return 0;
}

/* Reads printable text into char[o->size]; with OPT_F_QUOTED, without '"' or '\\'. */
static int parse_text(char *field, const struct option_spec *o, const char *v, char *why, size_t whylen)
{
    size_t n = strlen(v);
    if ((n == 0 && (o->flags & OPT_F_NONEMPTY)) || ((o->flags & OPT_F_QUOTED) && strpbrk(v, "\"\\") != NULL) ||
        opt_copy_printable(field, o->size, v, n, true) < 0)
        return opt_expected(why, whylen, "%s to %zu printable ASCII characters%s",
                            (o->flags & OPT_F_NONEMPTY) ? "1" : "0", o->size - 1,
                            (o->flags & OPT_F_QUOTED) ? " without '\"' or '\\'" : "");
    return 0;
}

/* Reads one value into the row's field (a list's one item); returns 0 or -1 with why. */
static int parse_value(struct config *cfg, const struct option_spec *o, const char *v, char *why, size_t whylen)
{
    void *field = (char *)cfg + o->offset;
    switch (o->kind) {
    case OPT_INT:
    case OPT_SIZE:
    case OPT_DURATION: return parse_number(field, o, v, why, whylen);
    case OPT_BOOL: return opt_bool(v, field) == 0 ? 0 : opt_expected(why, whylen, "%s", OPT_BOOL_WORDS);
    case OPT_ENUM: return parse_enum(field, o, v, why, whylen);
    case OPT_PATH:
    case OPT_URLPATH: return parse_path(field, o, v, why, whylen);
    case OPT_TEXT: return parse_text(field, o, v, why, whylen);
    case OPT_VALUE:
    case OPT_LIST: return o->parse(field, v, why, whylen);
    case OPT_MODE:
        if (mode_rank((enum config_mode)o->keyword_value) > mode_rank(cfg->mode))
            cfg->mode = (enum config_mode)o->keyword_value;
        return 0;
    }
    return -1;
}

/* Copies value for an error line: control bytes as \xNN, cut at CONFIG_ECHO_MAX, so it stays one line. */
static void escape_value(const char *value, char *out, size_t cap)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)value; *p && n + 5 < cap; p++) {
        if (p - (const unsigned char *)value >= CONFIG_ECHO_MAX) {
            memcpy(out + n, "...", 3);
            n += 3;
            break;
        }
        if (*p < 0x20 || *p == 0x7f)
            n += (size_t)snprintf(out + n, cap - n, "\\x%02x", *p);
        else
            out[n++] = (char)*p;
    }
    out[n] = '\0';
}

/* Notes in the trace that row o now holds text from ref; a list's items from one source add lines. */
static void trace_value(struct parse *p, const struct option_spec *o, const struct source_ref *ref, const char *text)
{
    if (p->trace == NULL)
        return;
    size_t i = (size_t)(o - config_options);
    struct config_trace *t = p->trace;
    bool append = o->kind == OPT_LIST && t->row[i].source == ref->src && t->row[i].where[0] != '\0';
    size_t used = append ? strlen(t->row[i].text) : 0;
    snprintf(t->row[i].text + used, sizeof(t->row[i].text) - used, "%s%s", used ? "\n" : "", text);
    t->row[i].source = ref->src;
    if (!append || ref->src != CONFIG_SOURCE_FILE) /* a file's list: where its first item is */
        snprintf(t->row[i].where, sizeof(t->row[i].where), "%s", ref->origin);
}

/* Empties list row o when ref's source starts giving it items (a higher source replaces the list). */
static void start_list(struct parse *p, const struct option_spec *o, const struct source_ref *ref)
{
    size_t i = (size_t)(o - config_options);
    if (p->list_source[i] == ref->src)
        return;
    o->clear((char *)p->cfg + o->offset);
    p->list_source[i] = ref->src;
    if (p->trace != NULL) {
        p->trace->row[i].source = ref->src;
        p->trace->row[i].text[0] = '\0';
        p->trace->row[i].where[0] = '\0';
    }
}

/*
 * Applies one value (a list's one item) to row o from ref; a list is
 * emptied first when a new source starts giving it items.  Returns 0, or
 * -1 with the one-line error naming ref->name.
 */
static int apply(struct parse *p, const struct option_spec *o, const char *v, const struct source_ref *ref, char *err,
                 size_t errlen)
{
    if (o->kind == OPT_LIST)
        start_list(p, o, ref);
    char why[200], shown[CONFIG_ECHO_MAX * 4 + 8];
    if (parse_value(p->cfg, o, v, why, sizeof(why)) == 0) {
        trace_value(p, o, ref, v);
        return 0;
    }
    escape_value(v, shown, sizeof(shown));
    snprintf(err, errlen, "invalid value '%s' for %s: expected %s", shown, ref->name, why);
    return -1;
}

/*
 * Applies a flag's, variable's or default's whole text to row o: a list's
 * items are split by the one splitter, on newlines when the text has one,
 * else on commas (--cache-control and --header only on newlines: their
 * values hold commas).  Returns 0 or -1 with err.
 */
static int apply_text(struct parse *p, const struct option_spec *o, const char *text, const struct source_ref *ref,
                      char *err, size_t errlen)
{
    if (o->kind != OPT_LIST)
        return apply(p, o, text, ref, err, errlen);
    bool lines_only = o->flags & OPT_F_LINES;
    const char *seps = strchr(text, '\n') || lines_only ? "\n" : ",\n";
    const char *s;
    size_t n;
    int items = 0;
    start_list(p, o, ref); /* an empty value still replaces the list */
    for (const char *q = text; opt_next_item(&q, seps, &s, &n);) {
        char item[CONFIG_ITEM_MAX];
        if (n == 0)
            continue;
        if (n >= sizeof(item)) {
            snprintf(err, errlen, "invalid value for %s: an item of over %zu bytes", ref->name, sizeof(item) - 1);
            return -1;
        }
        memcpy(item, s, n);
        item[n] = '\0';
        if (apply(p, o, item, ref, err, errlen) < 0)
            return -1;
        items++;
    }
    if (items == 0 && (o->flags & OPT_F_NONEMPTY)) {
        snprintf(err, errlen, "invalid value '' for %s: expected at least one item", ref->name);
        return -1;
    }
    return 0;
}

/* ---- the sources ---- */

/* Step 1: every row's default. */
static int apply_defaults(struct parse *p, char *err, size_t errlen)
{
    for (size_t i = 0; i < config_option_count; i++) {
        const struct option_spec *o = &config_options[i];
        struct source_ref ref = {CONFIG_SOURCE_DEFAULT, "default", "default"};
        if (o->def != NULL && apply_text(p, o, o->def, &ref, err, errlen) < 0)
            return -1;
    }
    return 0;
}

/* One key of the configuration file: a setting, its value or its list. */
static int file_entry(void *arg, const struct config_file_entry *e, int *line, char *err, size_t errlen)
{
    struct parse *p = arg;
    const struct option_spec *o = config_option_find(e->key, strlen(e->key));
    if (o == NULL || o->kind == OPT_MODE || (o->flags & OPT_F_NOFILE) || strcmp(o->name, e->key) != 0) {
        const char *near = config_names_closest_key(e->key);
        snprintf(err, errlen, "unknown setting '%.80s' (%s%s%s)", e->key,
                 near ? "did you mean '"
                      : "the keys are the "
                        "long option names: see --help",
                 near ? near : "", near ? "'?" : "");
        return -1;
    }
    if (e->sequence && o->kind != OPT_LIST) {
        snprintf(err, errlen, "'%s' takes one value, not a list", o->name);
        return -1;
    }
    char origin[sizeof(p->cfg->config_file) + 16];
    snprintf(origin, sizeof(origin), "%s:%d", p->cfg->config_file, e->line);
    struct source_ref ref = {CONFIG_SOURCE_FILE, o->name, origin};
    if (!e->sequence) /* a scalar: as a variable's text, items split the same way */
        return apply_text(p, o, e->values[0], &ref, err, errlen);
    if (o->kind == OPT_LIST)
        start_list(p, o, &ref);          /* an empty sequence still replaces the list */
    for (int k = 0; k < e->count; k++) { /* each item whole: a header value may hold commas */
        *line = e->lines[k];
        if (apply(p, o, e->values[k], &ref, err, errlen) < 0)
            return -1;
    }
    return 0;
}

/* Step 2: the configuration file, when one is named. */
static int apply_file(struct parse *p, char *err, size_t errlen)
{
    if (p->cfg->config_file[0] == '\0')
        return 0;
    return config_file_read(p->cfg->config_file, file_entry, p, err, errlen);
}

/* The value of variable name in envp, or NULL (an empty one counts as unset). */
static const char *env_get(char **envp, const char *name)
{
    size_t n = strlen(name);
    for (char **e = envp; e != NULL && *e != NULL; e++) {
        if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
            return (*e)[n + 1] != '\0' ? *e + n + 1 : NULL;
    }
    return NULL;
}

/* Adds a service link on a real setting to the one warning line about them. */
static void note_service_link(struct parse *p, const char *name, const char *value)
{
    struct config_warnings *w = &p->cfg->warnings;
    if (p->link_warning < 0) {
        p->link_warning = w->count < CONFIG_WARNINGS_MAX ? w->count : -1;
        add_warning(p->cfg,
                    "ignoring %s=%.40s: a service link that Kubernetes (from a Service named otuserver) or "
                    "Docker links inject, not a setting; set enableServiceLinks: false or name the Service "
                    "otherwise",
                    name, value);
        return;
    }
    char *line = w->line[p->link_warning];
    size_t n = strlen(line);
    snprintf(line + n, CONFIG_WARNING_LEN - n, " (also %s)", name);
}

/* Step 3 for one row: its variable, or its deprecated one. */
static int apply_env_row(struct parse *p, const struct option_spec *o, char **envp, char *err, size_t errlen)
{
    char name[CONFIG_ENV_NAME_MAX];
    config_option_env(o, name, sizeof(name));
    const char *v = env_get(envp, name);
    const char *old = o->old_env ? env_get(envp, o->old_env) : NULL;
    if (old != NULL && v != NULL)
        add_warning(p->cfg, "%s is deprecated and ignored: %s is set too and wins", o->old_env, name);
    else if (old != NULL)
        add_warning(p->cfg, "%s is deprecated: name it %s (its value is used this time)", o->old_env, name);
    const char *used = v != NULL ? name : o->old_env;
    v = v != NULL ? v : old;
    if (v == NULL)
        return 0;
    size_t len = strlen(name);
    if (len > 5 && strcmp(name + len - 5, "_PORT") == 0 && config_names_link_value(v)) {
        note_service_link(p, used, v);
        return 0;
    }
    struct source_ref ref = {CONFIG_SOURCE_ENV, used, used};
    return apply_text(p, o, v, &ref, err, errlen);
}

/* Step 3: the OTUSERVER_* variables; then a warning for each that is none of ours. */
static int apply_environment(struct parse *p, char **envp, char *err, size_t errlen)
{
    for (size_t i = 0; i < config_option_count; i++) {
        const struct option_spec *o = &config_options[i];
        if (has_env(o) && !(o->flags & OPT_F_NOFILE) && apply_env_row(p, o, envp, err, errlen) < 0)
            return -1;
    }
    for (char **e = envp; e != NULL && *e != NULL; e++) {
        const char *eq = strchr(*e, '=');
        size_t n = eq ? (size_t)(eq - *e) : strlen(*e);
        if (strncmp(*e, CONFIG_ENV_PREFIX, sizeof(CONFIG_ENV_PREFIX) - 1) != 0 || config_names_known_env(*e, n) ||
            config_names_service_link(*e, n, eq ? eq + 1 : ""))
            continue;
        char name[CONFIG_ENV_NAME_MAX * 2];
        snprintf(name, sizeof(name), "%.*s", (int)n, *e);
        char near[CONFIG_ENV_NAME_MAX];
        if (config_names_closest_env(name, near, sizeof(near)))
            add_warning(p->cfg, "unknown variable %.60s ignored (did you mean %s?)", name, near);
        else
            add_warning(p->cfg, "unknown variable %.60s ignored (see otuserver --help for the settings)", name);
    }
    return 0;
}

/*
 * Reads the value of flag argv[*i] (row o, named source): "--name=value",
 * "-pVALUE", or the next argument (*i moves on).  A switch reads "on", or
 * its "=value".  Returns the value, or NULL with err set.
 */
static const char *flag_value(const struct option_spec *o, const char *source, int argc, char **argv, int *i, char *err,
                              size_t errlen)
{
    const char *arg = argv[*i];
    bool is_long = arg[1] == '-';
    const char *eq = is_long ? strchr(arg, '=') : NULL;
    if (o->metavar == NULL) {
        if ((eq != NULL && o->kind != OPT_BOOL) || (!is_long && arg[2] != '\0')) {
            snprintf(err, errlen, "option %s takes no value", source);
            return NULL;
        }
        return eq != NULL ? eq + 1 : "on";
    }
    if (eq != NULL)
        return eq + 1;
    if (!is_long && arg[2] != '\0')
        return arg + 2; /* -p8080 */
    if (*i + 1 < argc)
        return argv[++*i];
    snprintf(err, errlen, "option %s needs a value (%s)", source, o->metavar);
    return NULL;
}

/* Finds the row of flag arg, naming it in source; NULL with err set when there is none. */
static const struct option_spec *flag_row(const char *arg, char *source, size_t cap, char *err, size_t errlen)
{
    bool is_long = arg[1] == '-';
    const char *eq = is_long ? strchr(arg, '=') : NULL;
    size_t name_len = is_long ? (eq ? (size_t)(eq - arg - 2) : strlen(arg + 2)) : 1;
    const struct option_spec *o = is_long ? config_option_find(arg + 2, name_len) : config_option_find_short(arg[1]);
    if (o == NULL) {
        snprintf(err, errlen, "unknown option '%s' (see --help)", arg);
        return NULL;
    }
    if (is_long)
        snprintf(source, cap, "--%.*s", (int)name_len, arg + 2);
    else
        snprintf(source, cap, "-%c", o->short_name);
    return o;
}

/*
 * Step 4: the command line, which wins over everything.  With only_config,
 * reads just --config (the file is applied before the variables and flags).
 * A non-option argument (or every one after "--") is the document root.
 */
static int apply_flags(struct parse *p, int argc, char **argv, bool only_config, char *err, size_t errlen)
{
    bool options_end = false;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (!options_end && strcmp(arg, "--") == 0) {
            options_end = true;
            continue;
        }
        if (options_end || arg[0] != '-' || arg[1] == '\0') {
            if (!only_config && p->positional != NULL) {
                snprintf(err, errlen, "unexpected second argument '%s': the document root is '%s' (see --help)", arg,
                         p->positional);
                return -1;
            }
            p->positional = arg;
            continue;
        }
        char source[96];
        const struct option_spec *o = flag_row(arg, source, sizeof(source), err, errlen);
        const char *value = o ? flag_value(o, source, argc, argv, &i, err, errlen) : NULL;
        if (value == NULL)
            return -1;
        bool is_config = o->flags & OPT_F_NOFILE;
        if (is_config != only_config)
            continue;
        p->set_by_flag[o - config_options] = true;
        struct source_ref ref = {CONFIG_SOURCE_FLAG, source, source};
        if (apply_text(p, o, value, &ref, err, errlen) < 0)
            return -1;
    }
    return 0;
}

/* The root given as an argument counts as -r; both at once is an error. */
static int apply_positional(struct parse *p, char *err, size_t errlen)
{
    if (p->positional == NULL)
        return 0;
    const struct option_spec *root = config_option_find("root", 4);
    if (p->set_by_flag[root - config_options]) {
        snprintf(err, errlen, "the document root is given twice: as -r/--root and as the argument '%s'", p->positional);
        return -1;
    }
    struct source_ref ref = {CONFIG_SOURCE_FLAG, "the root argument", "argument"};
    return apply_text(p, root, p->positional, &ref, err, errlen);
}

/*
 * The rules between settings, checked once every source is read.  Returns
 * 0, or -1 with the one-line error in err.
 */
static int check_combinations(const struct config *cfg, char *err, size_t errlen)
{
    if (cfg->proxy_protocol && cfg->trusted_proxies.count == 0) {
        snprintf(err, errlen,
                 "--proxy-protocol needs --trusted-proxies (OTUSERVER_TRUSTED_PROXIES): the load balancers' "
                 "addresses, the only peers whose PROXY header is read");
        return -1;
    }
    return 0;
}

int config_parse(struct config *cfg, int argc, char **argv, char **envp, struct config_trace *trace, char *err,
                 size_t errlen)
{
    struct parse *p = calloc(1, sizeof(*p));
    if (p == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    memset(cfg, 0, sizeof(*cfg));
    cfg->mode = CONFIG_MODE_SERVE;
    p->cfg = cfg;
    p->trace = trace;
    p->link_warning = -1;
    err[0] = '\0';
    const struct option_spec *config_row = config_option_find("config", 6);
    const char *config_env = env_get(envp, CONFIG_ENV_PREFIX "CONFIG");
    int rc = -1;
    struct source_ref env_ref = {CONFIG_SOURCE_ENV, CONFIG_ENV_PREFIX "CONFIG", CONFIG_ENV_PREFIX "CONFIG"};
    if (apply_defaults(p, err, errlen) < 0 ||
        (config_env && apply_text(p, config_row, config_env, &env_ref, err, errlen) < 0) ||
        apply_flags(p, argc, argv, true, err, errlen) < 0)
        goto done;
    p->positional = NULL;
    if (apply_file(p, err, errlen) < 0 || apply_environment(p, envp, err, errlen) < 0 ||
        apply_flags(p, argc, argv, false, err, errlen) < 0 || apply_positional(p, err, errlen) < 0)
        goto done;
    cfg->cors.credentials = cfg->basic_auth_file[0] != '\0'; /* derived: listed origins may send the password */
    cfg->workers_auto = cfg->workers == 0;
    if (cfg->workers_auto) {
        long most = config_option_find("workers", 7)->max;
        int n = host_cpu_count();
        cfg->workers = n > most ? (int)most : n;
    }
    rc = 0;
done:
    free(p);
    return rc;
}

int config_validate(const struct config *cfg, char *err, size_t errlen)
{
    if (check_combinations(cfg, err, errlen) < 0)
        return -1;
    struct stat st;
    const char *why = NULL;
    if (stat(cfg->root, &st) < 0 || access(cfg->root, R_OK | X_OK) < 0)
        why = strerror(errno);
    else if (!S_ISDIR(st.st_mode))
        why = "not a directory";
    if (why == NULL)
        return 0;
    snprintf(err, errlen, "invalid document root '%s' (-r, OTUSERVER_ROOT): %s", cfg->root, why);
    return -1;
}

const char *config_probe_path(const struct config *cfg)
{
    if (cfg->healthcheck_path[0] != '\0')
        return cfg->healthcheck_path;
    return cfg->health_path[0] != '\0' ? cfg->health_path : "/";
}

/* Writes row o's value in cfg as text (restart-only rows are numbers, strings or an address). */
static void value_text(const struct config *cfg, const struct option_spec *o, char *out, size_t cap)
{
    const char *field = (const char *)cfg + o->offset;
    if (o->kind == OPT_INT || o->kind == OPT_SIZE || o->kind == OPT_DURATION)
        snprintf(out, cap, "%d", *(const int *)(const void *)field);
    else
        snprintf(out, cap, "%s", field);
}

int config_keep_restart_only(struct config *fresh, const struct config *running, void (*warn_fn)(const char *line))
{
    int kept = 0;
    for (size_t i = 0; i < config_option_count; i++) {
        const struct option_spec *o = &config_options[i];
        char *f = (char *)fresh + o->offset;
        const char *r = (const char *)running + o->offset;
        if (!(o->flags & OPT_F_RESTART) || memcmp(f, r, o->size) == 0)
            continue;
        char was[128], asked[128], line[400];
        value_text(running, o, was, sizeof(was));
        value_text(fresh, o, asked, sizeof(asked));
        snprintf(line, sizeof(line), "reload: --%s cannot change without a restart; keeping %s (asked: %s)", o->name,
                 was, asked);
        warn_fn(line);
        memcpy(f, r, o->size);
        kept++;
    }
    fresh->workers_auto = running->workers_auto;
    return kept;
}
