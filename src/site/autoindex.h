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
 * Most entries a listing shows: the page stays bounded however large the
 * folder (a listing of 10,000 names is about 2 MB of HTML); the page says
 * when entries were left out.
 */
#define AUTOINDEX_ENTRIES_MAX 10000
/*
 * Most directory entries one listing reads, listed or not (dot-names,
 * symlinks, FIFOs): twice the entries it may show, so a folder of 80,000
 * symlinks and one file costs what 20,000 names cost, not the whole folder.
 * Entries whose type the directory already tells (d_type) are skipped
 * without a stat; only files, folders and unknown types are looked up.
 */
#define AUTOINDEX_READ_FACTOR 2

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
    size_t max_entries;       /* AUTOINDEX_ENTRIES_MAX, or fewer (tests); reads stop at
                                 AUTOINDEX_READ_FACTOR times it */
};

/* What rendering a listing gave, besides its bytes. */
struct autoindex_result {
    int64_t len;      /* bytes of the listing */
    int status;       /* 0, or the error status (see autoindex_render) */
    size_t read;      /* directory entries read ("." and ".." included) */
    size_t looked_up; /* of which fstatat()'ed: files, folders and unknown types */
    size_t listed;    /* entries shown */
    bool truncated;   /* a bound stopped the reading: more entries were there */
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
 * of them, from at most AUTOINDEX_READ_FACTOR * v->max_entries entries
 * read; when either bound stops the reading, res->truncated is set and the
 * HTML page says so.  Returns a descriptor of an anonymous file holding
 * the listing, positioned anywhere (send it with its length, res->len),
 * which the caller closes; or -1 with res->status set: 503 when out of
 * descriptors or memory, 403 when the folder cannot be read, 500
 * otherwise.  res's counts are filled either way.
 */
int autoindex_render(int dir_fd, const struct autoindex_view *v, struct autoindex_result *res);

#endif
