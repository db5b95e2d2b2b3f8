/*
 * path_rules.h - per-path rules: a glob over request paths and the value
 * it gives (--cache-control and --header "PATTERN=VALUE").
 *
 * Pure string work over storage the caller owns: rules are added while the
 * configuration is read and matched per request without any allocation.
 * A glob's '*' matches any run of bytes, '/' included (so "/assets/" + '*'
 * covers nested files), '?' exactly one byte; everything else matches
 * itself, case-sensitively, against the decoded, normalised path.
 */
#ifndef OTU_PATH_RULES_H
#define OTU_PATH_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Rules per option: every request walks them (against two paths), so a
 * site's handful of path classes - shell, assets, an embed area - not a
 * routing table.
 */
#define PATH_RULES_MAX 32
/*
 * Longest glob, bytes: a pattern names a class of paths ("/assets/" + '*',
 * "*.html"), never a whole path.  It also bounds a match's work: at most
 * this many steps for each byte of the path.
 */
#define PATH_RULE_PATTERN_MAX 128
/* Room for one option's patterns and values together, each NUL-terminated. */
#define PATH_RULES_TEXT_MAX 4096

/* One rule: where its pattern and value lie in the list's text. */
struct path_rule {
    uint16_t pattern; /* offset of its NUL-terminated glob in text[] */
    uint16_t value;   /* offset of its NUL-terminated value in text[] */
};

/* One option's rules, in the order given.  All zero is the empty list. */
struct path_rules {
    int count;          /* entries in rule[] */
    size_t used;        /* bytes of text[] taken */
    size_t value_bytes; /* the values' lengths added up: the most
                           path_rules_headers() adds to the lines */
    struct path_rule rule[PATH_RULES_MAX];
    char text[PATH_RULES_TEXT_MAX];
};

/* The two halves of "PATTERN=VALUE", as path_rule_split() finds them. */
struct path_rule_text {
    const char *pattern; /* the glob (NULL for a plain value) */
    size_t pattern_len;  /* its length, trailing spaces left out */
    const char *value;   /* the value: after the '=', or the whole item */
    size_t value_len;    /* its length */
};

/*
 * True when path matches the glob pattern ('*' any run of bytes, '/'
 * included; '?' one byte).  Both are NUL-terminated; a NULL path never
 * matches.  No allocation; at most strlen(pattern) steps per byte of path.
 */
bool path_glob_match(const char *pattern, const char *path);

/*
 * Reads one item of len bytes (no NUL needed).  An item starting with '/'
 * or '*' is a rule: its pattern runs to the first '=' (spaces before the
 * '=' and after it are dropped), the value is the rest.  Anything else is a
 * plain value, which may itself hold '=' ("public, max-age=3600").
 * Returns 1 for a rule, 0 for a plain value (pattern NULL, value the whole
 * item), or -1 for a pattern without '=' (out untouched).
 */
int path_rule_split(const char *item, size_t len, struct path_rule_text *out);

/*
 * Appends the rule pattern -> value to rs.  The pattern must start with
 * '/' or '*', be shorter than PATH_RULE_PATTERN_MAX and hold no control
 * byte or '='; the value is stored as given.  Returns 0, or -1 when the
 * pattern is not one or rs is full (PATH_RULES_MAX rules, or
 * PATH_RULES_TEXT_MAX bytes of text): rs is then unchanged.
 */
int path_rules_add(struct path_rules *rs, const char *pattern, size_t pattern_len, const char *value, size_t value_len);

/* Empties rs. */
void path_rules_clear(struct path_rules *rs);

/*
 * Returns the value of the first rule (in the order given) whose pattern
 * matches path a or path b (either may be NULL), or NULL when none does.
 * The string lives in rs.
 */
const char *path_rules_first(const struct path_rules *rs, const char *a, const char *b);

/*
 * The header lines for a path, when rs holds header rules (each value one
 * "Name: value\r\n" line): when no rule matches path a or b, returns all
 * itself (the lines every answer carries; may be NULL).  Otherwise writes
 * into out (cap bytes) the lines of all whose name no matching rule sets
 * (a rule's header replaces the all-paths one of the same name, compared
 * without case), then the line of every matching rule in order, and
 * returns out.  A line that would not fit is left out whole; with cap at
 * least strlen(all) + rs->value_bytes + 1 every line fits.
 */
const char *path_rules_headers(const struct path_rules *rs, const char *all, const char *a, const char *b, char *out,
                               size_t cap);

/* Longest Cache-Control value we accept; a header line, not a document. */
#define PATH_HEADERS_VALUE_MAX 512
/* Room for all --header lines together, as sent ("Name: value\r\n" each). */
#define PATH_HEADERS_MAX 2048

/*
 * The headers a site adds to its answers (--cache-control, --header): for
 * every path, and per path by rules.  All zero is "none".
 */
struct path_headers {
    char cache_control[PATH_HEADERS_VALUE_MAX]; /* on files no rule matches, "" = none */
    struct path_rules cache_rules;              /* PATTERN=VALUE: first match wins ("" = none) */
    char headers[PATH_HEADERS_MAX];             /* on every answer, "Name: value\r\n" each */
    struct path_rules header_rules;             /* PATTERN=Name: value, one "Name: value\r\n" line each;
                                                   with headers[], at most PATH_HEADERS_MAX bytes in all */
};

/*
 * Reads one --cache-control item into the struct path_headers at ph: a
 * plain Cache-Control value (at most one: the list is emptied before each
 * source gives its items) or a PATTERN=VALUE rule.  Returns 0, or -1 with
 * what is allowed in why.
 */
int path_headers_parse_cache_control(void *ph, const char *item, char *why, size_t whylen);

/* Forgets the Cache-Control value and rules of the struct path_headers at ph. */
void path_headers_clear_cache_control(void *ph);

/*
 * Reads one --header item, "Name: value" (every answer) or
 * "PATTERN=Name: value" (paths matching the glob), into the struct
 * path_headers at ph.  The name is a token other than Content-Length,
 * Transfer-Encoding and Connection (which would break the framing), the
 * value has no control byte; all lines together fit PATH_HEADERS_MAX, so
 * every line a path may get fits in one head.  Returns 0 or -1 with why.
 */
int path_headers_parse_header(void *ph, const char *item, char *why, size_t whylen);

/* Forgets the headers and header rules of the struct path_headers at ph. */
void path_headers_clear_headers(void *ph);

#endif
