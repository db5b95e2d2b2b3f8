/*
 * pages.h - the files that answer for other paths: a folder's index file
 * (--index), the page sent with an error status (--error-page) and the
 * single-page app's shell (--fallback).
 *
 * Settings and their grammars only; the handler looks the files up.
 */
#ifndef OTU_PAGES_H
#define OTU_PAGES_H

#include <stddef.h>

/* Index names tried in a folder, in order (--index); each costs a lookup per folder request. */
#define PAGES_INDEX_MAX 4
/* Longest index file name. */
#define PAGES_INDEX_NAME_MAX 64
/* Most --error-page mappings. */
#define PAGES_ERROR_PAGES_MAX 16
/* Longest request path of a page (error page, fallback). */
#define PAGES_PATH_MAX 256

struct error_page {
    int status;                /* 400..599 */
    char path[PAGES_PATH_MAX]; /* request path of the page, e.g. "/404.html" */
};

/* The settings.  All zero is "no index name, no error page, no fallback". */
struct pages_config {
    int index_count;                                         /* names in index_names[] */
    char index_names[PAGES_INDEX_MAX][PAGES_INDEX_NAME_MAX]; /* the first that exists wins */
    int error_page_count;                                    /* entries in error_pages[] */
    struct error_page error_pages[PAGES_ERROR_PAGES_MAX];
    char fallback[PAGES_PATH_MAX]; /* the SPA fallback's request path, "" = none */
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

#endif
