/*
 * config_options.h - the option table: one typed row per setting.
 *
 * A row says everything about a setting that is not the feature's own
 * code: its flag, type and bounds, default, help line, where the value
 * lands in struct config, and whether a reload may change it.  The engine
 * (config.c) reads every source through these rows, and --help, the
 * configuration reference and --check-config are printed from them, so
 * none of them can drift from what the server accepts.  The variable of a
 * setting is derived from its flag: OTUSERVER_ + the long name in upper
 * case with '-' as '_'.  Adding a setting is one row here plus its
 * feature's code.
 */
#ifndef OTU_CONFIG_OPTIONS_H
#define OTU_CONFIG_OPTIONS_H

#include "settings.h"

#include <stdbool.h>
#include <stddef.h>

/* How a row's value is read, and what its field is. */
enum opt_kind {
    OPT_INT,      /* int: a number in [min, max], or the row's keyword (keyword_value) */
    OPT_SIZE,     /* int: bytes, or with k or m, in [min, max] */
    OPT_DURATION, /* int: milliseconds, from ms, s (default) or m, in [min, max] */
    OPT_BOOL,     /* bool: optparse's one vocabulary */
    OPT_ENUM,     /* int: the index of the value in names[] */
    OPT_PATH,     /* char[size]: a file system path */
    OPT_URLPATH,  /* char[size]: a request path, starting with '/', no spaces */
    OPT_TEXT,     /* char[size]: printable ASCII, spaces allowed (OPT_F_QUOTED: no '"' or '\\') */
    OPT_VALUE,    /* the field, read by the feature's parse() */
    OPT_LIST,     /* the feature's struct: items read by parse(), forgotten by clear() */
    OPT_MODE      /* no field: sets cfg->mode to keyword_value */
};

/* Row flags. */
enum {
    OPT_F_RESTART = 1 << 0,  /* a reload keeps the running value: restart to change it */
    OPT_F_NONEMPTY = 1 << 1, /* "" is refused; a list needs at least one item */
    OPT_F_QUERY = 1 << 2,    /* OPT_URLPATH: a query ('?') is allowed */
    OPT_F_NOENV = 1 << 3,    /* no OTUSERVER_ variable (modes) */
    OPT_F_SWITCH = 1 << 4,   /* OPT_BOOL flag that takes no value: --x means on, --x=off */
    OPT_F_NOFILE = 1 << 5,   /* not a key of the configuration file (--config itself) */
    OPT_F_LINES = 1 << 6,    /* OPT_LIST: a flag's or variable's items are one per line (values hold commas) */
    OPT_F_QUOTED = 1 << 7    /* OPT_TEXT: sent inside a quoted string, so no '"' or '\\' */
};

/* Reads one value (or one list item) into the field at dst; returns 0, or -1 with why. */
typedef int (*opt_parse_fn)(void *dst, const char *text, char *why, size_t whylen);
/* Forgets a list's items. */
typedef void (*opt_clear_fn)(void *dst);

struct option_spec {
    const char *name; /* long flag, file key, and (derived) variable */
    char short_name;  /* 'p' for -p, or 0 */
    enum opt_kind kind;
    size_t offset;            /* where the value lands in struct config */
    size_t size;              /* the field's size */
    long min, max;            /* bounds of OPT_INT, OPT_SIZE, OPT_DURATION */
    const char *keyword;      /* OPT_INT: a word standing for keyword_value ("auto"), or NULL */
    long keyword_value;       /* ...and OPT_MODE's mode */
    const char *const *names; /* OPT_ENUM: the words, NULL-terminated, index = value */
    opt_parse_fn parse;       /* OPT_VALUE: the value; OPT_LIST: one item */
    opt_clear_fn clear;       /* OPT_LIST */
    const char *def;          /* the default, as text; NULL = none */
    const char *metavar;      /* shown in --help; NULL for switches and modes */
    const char *help;         /* one line */
    const char *examples;     /* more --help lines after "e.g.", newline-separated, or NULL */
    const char *see;          /* the docs page (and #section, from docs/) that says more, or NULL */
    const char *alias;        /* the classic OTUServer flag spelling, or NULL */
    const char *old_env;      /* a deprecated variable name that still works, or NULL */
    unsigned flags;           /* OPT_F_* */
};

/* Room for a variable's name. */
#define CONFIG_ENV_NAME_MAX 64

/* Writes row o's variable: OTUSERVER_ + its name in upper case, '-' as '_'. */
void config_option_env(const struct option_spec *o, char *out, size_t cap);

/* The row called name (a long name or its alias, name_len bytes, no NUL needed), or NULL. */
const struct option_spec *config_option_find(const char *name, size_t name_len);

/* The row whose short flag is c, or NULL. */
const struct option_spec *config_option_find_short(char c);

/* The rows, in --help order. */
extern const struct option_spec config_options[];
/* How many. */
extern const size_t config_option_count;

#endif
