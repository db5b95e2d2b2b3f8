/*
 * autoindex.h - --autoindex: the listing of a folder without an index file,
 * as an HTML page or a JSON array.
 *
 * Reads one directory through a descriptor the caller opened (under the
 * root, never outside it) and writes the listing into an anonymous
 * in-memory file, which the connection sends like any file.
 */
#ifndef OTU_AUTOINDEX_H
#define OTU_AUTOINDEX_H

#include "http_parser.h"

#include <stdbool.h>
#include <stdint.h>

/*
 * Most entries a listing reads: the work for one request stays bounded
 * however large the folder (a listing of 10,000 names is about 2 MB of
 * HTML); the page says when entries were left out.
 */
#define AUTOINDEX_ENTRIES_MAX 10000

enum autoindex_sort {
    AUTOINDEX_BY_NAME = 0, /* folders first, then files, each by name (bytes) */
    AUTOINDEX_BY_SIZE,     /* folders first, then files, each by size */
    AUTOINDEX_BY_TIME      /* folders first, then files, each by modification time */
};

/* What one listing shows and how. */
struct autoindex_view {
    const char *title_path;   /* the folder's decoded path, "/" + rel + "/": the page's title */
    enum autoindex_sort sort; /* the order of the entries */
    bool descending;          /* largest, newest or last name first */
    bool json;                /* a JSON array instead of HTML */
    bool show_dotfiles;       /* list names starting with '.' */
    size_t max_entries;       /* AUTOINDEX_ENTRIES_MAX, or fewer (tests) */
};

/*
 * Reads the view's sort and order from a query string: "sort=name|size|time"
 * and "order=asc|desc", anything else ignored (name, ascending).
 */
void autoindex_parse_query(struct http_slice query, struct autoindex_view *v);

/*
 * True when an Accept value asks for application/json (the listing's JSON
 * form): the media type named with a q above 0.
 */
bool autoindex_wants_json(struct http_slice accept);

/*
 * Lists the directory open at dir_fd (which stays the caller's and is not
 * moved: it is read through a descriptor of its own) as v says: regular
 * files and folders only (symlinks, FIFOs, devices and sockets are left
 * out: a link's target may lie outside the root), at most v->max_entries
 * of them.  Returns a descriptor of an anonymous file holding the listing,
 * positioned anywhere (send it with its length, *len), which the caller
 * closes; or -1 with *status set: 503 when out of descriptors or memory,
 * 403 when the folder cannot be read, 500 otherwise.
 */
int autoindex_render(int dir_fd, const struct autoindex_view *v, int64_t *len, int *status);

#endif
