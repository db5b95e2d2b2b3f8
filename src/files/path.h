/*
 * path.h - turn a request path into a safe path relative to the document root.
 *
 * Pure string work, no file system access: decode percent escapes exactly
 * once, refuse NUL and control bytes, resolve "." and ".." without ever
 * climbing above the root, and collapse repeated slashes.  Symlinks are the
 * file system's business and are confined when the file is opened
 * (see file.h).
 */
#ifndef OTU_PATH_H
#define OTU_PATH_H

#include <stdbool.h>
#include <stddef.h>

/* Longest decoded path we resolve; longer ones get 414.  Linux's PATH_MAX. */
#define PATH_MAX_DECODED 4096

struct path_result {
    char rel[PATH_MAX_DECODED]; /* "a/b/c" under the root, or "." for the root itself */
    bool trailing_slash;        /* the request named a directory ("/dir/", "/dir/.") */
};

/*
 * Decodes and normalises the still-encoded request path p[0..len), which
 * must start with '/'.  Returns 0 and fills *out, or the status to answer:
 * 400 for a malformed escape, a decoded NUL or control byte, or ".." above
 * the root; 414 when the decoded path is longer than PATH_MAX_DECODED.
 */
int path_normalize(const char *p, size_t len, struct path_result *out);

/*
 * Returns true when some segment of rel starts with '.' (a dot-file or
 * dot-folder such as ".git" or ".env"), except a leading ".well-known",
 * which ACME challenges and security.txt need.
 */
bool path_is_hidden(const char *rel);

/*
 * Writes "/" + rel (+ "/" when add_slash) to out, percent-encoding every
 * byte outside RFC 3986's unreserved set and "/", so the result is safe in
 * a Location header and never starts with "//".  Returns the length, or -1
 * when it does not fit in cap bytes (including the NUL).
 */
int path_encode(const char *rel, bool add_slash, char *out, size_t cap);

#endif
