/*
 * redirect.h - --redirect rules: which request paths answer with a
 * Location instead of a file, and that Location, made safe to send.
 *
 * Pure string work over the configuration: the handler matches the
 * decoded, normalised path here before it looks for files.
 */
#ifndef OTU_REDIRECT_H
#define OTU_REDIRECT_H

#include "http_parser.h"

#include <stdbool.h>
#include <stddef.h>

/* --redirect rules: each request walks them in order, so a short list (a site's moved pages). */
#define REDIRECT_RULES_MAX 64

/* One --redirect FROM=TO[:CODE]. */
struct redirect_rule {
    char from[256]; /* request path; for a prefix, without its trailing '*' */
    bool prefix;    /* FROM ended in '*': paths starting with from match */
    char to[512];   /* a path or an http(s) URL; a trailing '*' takes the rest */
    int code;       /* 301, 302, 307 or 308 */
};

/* The rules, in the order given.  All zero is the empty list. */
struct redirect_rules {
    int count;
    struct redirect_rule rule[REDIRECT_RULES_MAX];
};

/*
 * Reads one rule, FROM=TO[:CODE], into the struct redirect_rules at rules
 * (the option table's list item).  A trailing ':' and three digits is always
 * the code, which must be 301, 302, 307 or 308 (default 301): a mistyped
 * "/b:999" is refused rather than sent as part of the Location.  TO may still
 * be a URL with a port (https://h:8443/x); one that ends in ":NNN" adds a path
 * or its code after it (https://h:999/, /b:999:301).  FROM is a path, a
 * trailing '*' making it a prefix whose rest a TO ending in '*' receives.
 * Returns 0, or -1 with what is allowed in why.
 */
int redirect_rule_parse(void *rules, const char *item, char *why, size_t whylen);

/* Empties the struct redirect_rules at rules. */
void redirect_rules_clear(void *rules);

/*
 * Finds the first rule (in the order given) whose FROM matches path, the
 * request's decoded, normalised path with its leading '/' (and its
 * trailing one, when it had one): equal to it, or, for a FROM ending in
 * '*', starting with what precedes the '*'.  Writes the Location into
 * location (cap bytes): the rule's TO; with a TO ending in '*', that '*'
 * replaced by the rest of the path after the prefix, percent-encoded
 * (every byte outside RFC 3986's unreserved set and '/', so no CR, LF or
 * space reaches the head, and never "//" at the join; after a TO that ends
 * with its authority, "https://host" or "//host", the rest always starts
 * with '/', so it can never change the scheme, host or port); then the request's
 * query, after '?' (or '&' when TO has one), its non-ASCII bytes
 * percent-encoded.  The request's Host is never used.
 *
 * Returns the rule's status (301, 302, 307 or 308), 0 when no rule
 * matches, or 414 when the Location does not fit.
 */
int redirect_find(const struct redirect_rules *rules, const char *path, struct http_slice query, char *location,
                  size_t cap);

#endif
