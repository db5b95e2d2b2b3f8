/*
 * pages.h - the files that answer for other paths: a folder's index file
 * (--index), the page sent with an error status (--error-page), the
 * single-page apps' shells (--fallback, by path prefix) and clean URLs
 * (--try-ext: /about served by about.html; --clean-urls-redirect).
 *
 * Settings and their grammars only; the handler looks the files up.
 */
#ifndef OTU_PAGES_H
#define OTU_PAGES_H

#include <stdbool.h>
#include <stddef.h>

/* Index names tried in a folder, in order (--index); each costs a lookup per folder request. */
#define PAGES_INDEX_MAX 4
/* Longest index file name. */
#define PAGES_INDEX_NAME_MAX 64
/* Most --error-page mappings. */
#define PAGES_ERROR_PAGES_MAX 16
/* Longest request path of a page (error page, fallback) or of a fallback's prefix. */
#define PAGES_PATH_MAX 256
/* Most --fallback rules: a missing path walks them all to find the longest prefix. */
#define PAGES_FALLBACKS_MAX 16
/* Most --try-ext extensions: each costs a lookup per missing path. */
#define PAGES_TRY_EXT_MAX 4
/* Longest --try-ext extension, its dot included (".html"). */
#define PAGES_EXT_MAX 16

struct error_page {
    int status;                /* 400..599 */
    char path[PAGES_PATH_MAX]; /* request path of the page, e.g. "/404.html" */
};

/* One --fallback: missing paths under prefix are answered with the page at path. */
struct fallback {
    char prefix[PAGES_PATH_MAX]; /* "/" for every path, "/admin" for /admin and /admin/..., no trailing '/' but "/" */
    char path[PAGES_PATH_MAX];   /* request path of the page, e.g. "/admin/index.html" */
};

/* The settings.  All zero is "no index name, no error page, no fallback, no extension tried". */
struct pages_config {
    int index_count;                                         /* names in index_names[] */
    char index_names[PAGES_INDEX_MAX][PAGES_INDEX_NAME_MAX]; /* the first that exists wins */
    int error_page_count;                                    /* entries in error_pages[] */
    struct error_page error_pages[PAGES_ERROR_PAGES_MAX];
    int fallback_count;                             /* entries in fallbacks[] */
    struct fallback fallbacks[PAGES_FALLBACKS_MAX]; /* the longest prefix that holds a path wins */
    int try_ext_count;                              /* entries in try_ext[] */
    char try_ext[PAGES_TRY_EXT_MAX][PAGES_EXT_MAX]; /* ".html": /about is served by about.html */
    bool clean_urls_redirect;                       /* /about.html -> 301 /about, /x/index.html -> 301 /x/ */
};

/*
 * Reads one --index name (a plain file name: no '/', not "." or "..", no
 * space) into the struct pages_config at pages.  Returns 0, or -1 with
 * what is allowed in why.
 */
int pages_index_parse(void *pages, const char *item, char *why, size_t whylen);

/* Forgets the index names of the struct pages_config at pages. */
void pages_index_clear(void *pages);

/* Reads one --error-page STATUS=PATH (400..599, a path starting with '/'). */
int pages_error_page_parse(void *pages, const char *item, char *why, size_t whylen);

/* Forgets the error pages of the struct pages_config at pages. */
void pages_error_pages_clear(void *pages);

/* The configured page path for status, or NULL. */
const char *pages_error_page(const struct pages_config *p, int status);

/*
 * Reads one --fallback: PATH (every missing path: the prefix "/") or
 * PREFIX=PATH, both starting with '/', printable, without spaces; a
 * trailing '/' of PREFIX is dropped.  A later rule of the same prefix
 * replaces the earlier one.  Returns 0, or -1 with what is allowed in why.
 */
int pages_fallback_parse(void *pages, const char *item, char *why, size_t whylen);

/* Forgets the fallbacks of the struct pages_config at pages. */
void pages_fallbacks_clear(void *pages);

/*
 * The fallback whose prefix holds path ("/" + the decoded, normalised
 * path), the longest one; NULL when none does.  A prefix holds a path equal
 * to it or going on with '/' after it: "/admin" holds /admin and /admin/x,
 * never /administrator.
 */
const struct fallback *pages_fallback_for(const struct pages_config *p, const char *path);

/* Reads one --try-ext extension: a dot and 1 to 15 letters, digits, '-' or '_' (".html"). */
int pages_try_ext_parse(void *pages, const char *item, char *why, size_t whylen);

/* Forgets the --try-ext extensions of the struct pages_config at pages. */
void pages_try_ext_clear(void *pages);

#endif
