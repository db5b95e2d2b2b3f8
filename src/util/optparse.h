/*
 * optparse.h - the value grammars every setting shares: numbers, sizes,
 * durations, booleans, and the one way a value splits into list items.
 *
 * A leaf: no HTTP, no configuration struct.  The option table in config.c
 * names a type per row and these functions read it; a feature whose items
 * have a grammar of their own (a redirect rule, a CORS origin) parses them
 * in its own module and may use these for the parts they share.
 *
 * Parsers take a NUL-terminated value and return 0, or -1 leaving *out
 * untouched.  Errors are worded by the caller, through opt_expected().
 */
#ifndef OTU_OPTPARSE_H
#define OTU_OPTPARSE_H

#include "compat.h"

#include <stdbool.h>
#include <stddef.h>

/* Most digits a number may have: 2,000,000,000 fits, no overflow is possible. */
#define OPT_DIGITS_MAX 10

/*
 * Writes "what is allowed" (printf-style) into why (whylen bytes) and
 * returns -1, so a parser can end with "return opt_expected(...)".
 */
int opt_expected(char *why, size_t whylen, const char *fmt, ...) OTU_PRINTF(3, 4);

/* A whole decimal number in [min, max] (no sign, at most OPT_DIGITS_MAX digits). */
int opt_int(const char *s, long min, long max, long *out);

/*
 * A duration: a number with an optional unit, "ms", "s" (the default) or
 * "m"; *out gets milliseconds in [min_ms, max_ms].
 */
int opt_duration_ms(const char *s, long min_ms, long max_ms, long *out);

/* A size: bytes, or a number with k (KiB) or m (MiB), either case; *out in [min, max]. */
int opt_size(const char *s, long min, long max, long *out);

/* The one boolean vocabulary: on, true, yes, 1 and off, false, no, 0 (lower case). */
int opt_bool(const char *s, bool *out);

/* The words opt_bool() takes, for help and errors. */
#define OPT_BOOL_WORDS "on|off (also true|false, yes|no, 1|0)"

/*
 * The one list splitter.  Steps *p over the next item of a value holding
 * several, separated by any byte of seps: *s and *n get the item with
 * spaces, tabs and CRs around it dropped (n may be 0: an empty item, which
 * callers skip).  Returns false once *p is at the end of the string.
 */
bool opt_next_item(const char **p, const char *seps, const char **s, size_t *n);

/*
 * Copies n bytes of s into dst (cap bytes) with a NUL when they fit and
 * are printable ASCII (spaces only with allow_space).  Returns 0 or -1.
 */
int opt_copy_printable(char *dst, size_t cap, const char *s, size_t n, bool allow_space);

#endif
