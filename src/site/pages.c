/*
 * pages.c - see pages.h.
 */
#include "compat.h"

#include "pages.h"

#include "optparse.h"

#include <ctype.h>
#include <stdbool.h>
#include <string.h>

int pages_index_parse(void *pages, const char *item, char *why, size_t whylen)
{
    struct pages_config *p = pages;
    if (p->index_count >= PAGES_INDEX_MAX)
        return opt_expected(why, whylen, "1 to %d file names, comma-separated, such as index.html,index.htm",
                            PAGES_INDEX_MAX);
    if (strchr(item, '/') != NULL || strcmp(item, ".") == 0 || strcmp(item, "..") == 0 ||
        opt_copy_printable(p->index_names[p->index_count], PAGES_INDEX_NAME_MAX, item, strlen(item), false) < 0)
        return opt_expected(why, whylen, "file names without '/' or spaces, under %d bytes, such as index.htm",
                            PAGES_INDEX_NAME_MAX);
    p->index_count++;
    return 0;
}

void pages_index_clear(void *pages)
{
    ((struct pages_config *)pages)->index_count = 0;
}

int pages_error_page_parse(void *pages, const char *item, char *why, size_t whylen)
{
    struct pages_config *p = pages;
    const char *eq = strchr(item, '=');
    char status_text[8];
    long status;
    size_t n = eq ? (size_t)(eq - item) : 0;
    if (eq == NULL || n == 0 || n >= sizeof(status_text))
        return opt_expected(why, whylen, "STATUS=PATH, such as 404=/404.html");
    memcpy(status_text, item, n);
    status_text[n] = '\0';
    if (opt_int(status_text, 400, 599, &status) < 0 || eq[1] != '/')
        return opt_expected(why, whylen, "STATUS=PATH with a status 400..599, such as 404=/404.html");
    if (p->error_page_count >= PAGES_ERROR_PAGES_MAX)
        return opt_expected(why, whylen, "at most %d error pages", PAGES_ERROR_PAGES_MAX);
    struct error_page *e = &p->error_pages[p->error_page_count];
    if (opt_copy_printable(e->path, sizeof(e->path), eq + 1, strlen(eq + 1), false) < 0)
        return opt_expected(why, whylen, "a page path without spaces, under %d bytes", PAGES_PATH_MAX);
    e->status = (int)status;
    p->error_page_count++;
    return 0;
}

void pages_error_pages_clear(void *pages)
{
    ((struct pages_config *)pages)->error_page_count = 0;
}

const char *pages_error_page(const struct pages_config *p, int status)
{
    for (int i = 0; i < p->error_page_count; i++) {
        if (p->error_pages[i].status == status)
            return p->error_pages[i].path;
    }
    return NULL;
}

/* True when a page path or prefix is a path: '/' first, printable, no space, under PAGES_PATH_MAX bytes. */
static bool copy_page_path(char out[PAGES_PATH_MAX], const char *text, size_t len)
{
    return len > 0 && text[0] == '/' && opt_copy_printable(out, PAGES_PATH_MAX, text, len, false) == 0;
}

int pages_fallback_parse(void *pages, const char *item, char *why, size_t whylen)
{
    struct pages_config *p = pages;
    struct fallback f = {0}; /* whole: the settings are compared byte for byte */
    const char *eq = strchr(item, '=');
    const char *page = eq ? eq + 1 : item;
    if (eq == NULL)
        strcpy(f.prefix, "/");
    if ((eq != NULL && !copy_page_path(f.prefix, item, (size_t)(eq - item))) ||
        !copy_page_path(f.path, page, strlen(page)) || strchr(f.prefix, '*') != NULL)
        return opt_expected(why, whylen,
                            "PATH or PREFIX=PATH, each starting with '/', without spaces or '*', under %d bytes, "
                            "such as /index.html or /admin/=/admin/index.html",
                            PAGES_PATH_MAX);
    size_t n = strlen(f.prefix);
    while (n > 1 && f.prefix[n - 1] == '/')
        f.prefix[--n] = '\0';
    for (int i = 0; i < p->fallback_count; i++) {
        if (strcmp(p->fallbacks[i].prefix, f.prefix) == 0) {
            p->fallbacks[i] = f; /* the later rule of a prefix wins, as a later flag does */
            return 0;
        }
    }
    if (p->fallback_count >= PAGES_FALLBACKS_MAX)
        return opt_expected(why, whylen, "at most %d fallbacks", PAGES_FALLBACKS_MAX);
    p->fallbacks[p->fallback_count++] = f;
    return 0;
}

void pages_fallbacks_clear(void *pages)
{
    ((struct pages_config *)pages)->fallback_count = 0;
}

/* True when prefix (no trailing '/' but "/") holds path. */
static bool prefix_holds(const char *prefix, const char *path)
{
    size_t n = strlen(prefix);
    if (n == 1)
        return true; /* "/" */
    return strncmp(path, prefix, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

const struct fallback *pages_fallback_for(const struct pages_config *p, const char *path)
{
    const struct fallback *best = NULL;
    for (int i = 0; i < p->fallback_count; i++) {
        const struct fallback *f = &p->fallbacks[i];
        if (prefix_holds(f->prefix, path) && (best == NULL || strlen(f->prefix) > strlen(best->prefix)))
            best = f;
    }
    return best;
}

int pages_try_ext_parse(void *pages, const char *item, char *why, size_t whylen)
{
    struct pages_config *p = pages;
    size_t n = strlen(item);
    bool ok = n >= 2 && n < PAGES_EXT_MAX && item[0] == '.';
    for (size_t i = 1; ok && i < n; i++)
        ok = isalnum((unsigned char)item[i]) || item[i] == '-' || item[i] == '_';
    if (!ok)
        return opt_expected(why, whylen, "extensions such as .html,.htm: a dot and 1 to %d letters or digits",
                            PAGES_EXT_MAX - 2);
    if (p->try_ext_count >= PAGES_TRY_EXT_MAX)
        return opt_expected(why, whylen, "at most %d extensions", PAGES_TRY_EXT_MAX);
    memcpy(p->try_ext[p->try_ext_count++], item, n + 1);
    return 0;
}

void pages_try_ext_clear(void *pages)
{
    ((struct pages_config *)pages)->try_ext_count = 0;
}
