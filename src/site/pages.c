/*
 * pages.c - see pages.h.
 */
#include "compat.h"

#include "pages.h"

#include "optparse.h"

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
