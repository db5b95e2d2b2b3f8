/*
 * http_cond.h - RFC 9110's request semantics over a file's validators:
 * entity-tag lists, preconditions and conditional GETs (section 13), one
 * byte range and If-Range (section 14), and what an Accept value names
 * (navigations).  Content coding negotiation is accept_coding.h's.
 *
 * Pure functions of the request's field values: no I/O, no configuration,
 * no allocation.  The handler decides what to do with the answers;
 * tests/check_http_cond.c drives them by table and fuzz/fuzz_http_cond.c
 * with hostile values.
 */
#ifndef OTU_HTTP_COND_H
#define OTU_HTTP_COND_H

#include "http_parser.h"

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

/* Digits read in one range bound: 18 keep any value below 2^63, so no overflow. */
#define HTTP_RANGE_DIGITS_MAX 18

/*
 * True when etag (quotes included) is in the entity-tag list, or the list
 * is "*" (the resource exists: it matches any current representation).
 * weak: the weak comparison of If-None-Match (section 13.1.2, W/ ignored);
 * otherwise the strong one of If-Match (section 13.1.1: a W/ tag never
 * matches).  A malformed list matches nothing.
 */
bool http_etag_list_matches(struct http_slice list, const char *etag, bool weak);

/*
 * If-Range (section 13.1.5): true when the Range may be honoured: the
 * field is absent, or equals etag (strong), or is a date equal to mtime.
 * A weak tag or an unparsable date never holds.
 */
bool http_if_range_holds(struct http_slice if_range, const char *etag, time_t mtime);

enum http_range {
    HTTP_RANGE_IGNORE,       /* absent, malformed or several ranges: send the whole file */
    HTTP_RANGE_SATISFIABLE,  /* one range: 206 */
    HTTP_RANGE_UNSATISFIABLE /* 416 */
};

/*
 * Reads "bytes=a-b", "bytes=a-" or "bytes=-n" against a representation of
 * size bytes; for a satisfiable one, *first and *len get the bytes to send
 * (b past the end is cut to it).  Several ranges are answered with the
 * whole file, as RFC 9110 allows, which also rules out "bytes=0-0,0-0,..."
 * amplification.
 */
enum http_range http_range_parse(struct http_slice range, int64_t size, int64_t *first, int64_t *len);

/*
 * True when an Accept value names the media type type ("text/html") itself,
 * case-insensitively, with a q-value above 0; wildcards (any type, "text/" with any subtype)
 * do not count: every fetch of a script or an image sends those.
 */
bool http_accept_names(struct http_slice accept, const char *type);

/*
 * True when the request is a browser's navigation (an address typed, a link
 * followed, a reload): Sec-Fetch-Mode is "navigate", or Accept names
 * text/html (browsers without Fetch metadata, curl -H 'Accept: text/html').
 * A script's, a stylesheet's or an image's fetch is none.
 */
bool http_is_navigation(const struct http_request_info *info);

enum http_precondition {
    HTTP_PRE_PASS,        /* answer as asked (200, 206) */
    HTTP_PRE_FAILED,      /* 412 Precondition Failed */
    HTTP_PRE_NOT_MODIFIED /* 304 Not Modified */
};

/*
 * The preconditions of info against a representation with etag and mtime,
 * in the order of section 13.2.2: If-Match (strong), else If-Unmodified-
 * Since (an invalid date is ignored) may fail it; then If-None-Match
 * (weak), else If-Modified-Since, may make it not modified.
 */
enum http_precondition http_preconditions(const struct http_request_info *info, const char *etag, time_t mtime);

#endif
