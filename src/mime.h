/*
 * mime.h - the Content-Type for a file name.
 */
#ifndef OTU_MIME_H
#define OTU_MIME_H

/* The type for files whose extension is not in the table. */
#define MIME_DEFAULT "application/octet-stream"
/* Longest extension looked up; a longer one cannot match (Debian's longest is 12). */
#define MIME_EXT_MAX 16
/* Longest media type an override may give (RFC 6838 allows 127 + 1 + 127). */
#define MIME_TYPE_MAX 255
/* --mime overrides: a site needs a handful, this many fit in a static table. */
#define MIME_OVERRIDES_MAX 64

/*
 * Returns the media type for the last extension of name (after the last
 * '.' of the last path segment), matched case-insensitively, or
 * MIME_DEFAULT.  The string is static; the caller frees nothing.
 */
const char *mime_type_for(const char *name);

/*
 * Makes ext (without the dot, matched case-insensitively) map to type,
 * ahead of every built-in entry.  Called while reading the configuration,
 * before the workers fork.  Returns 0, or -1 when ext or type is empty or
 * too long, or MIME_OVERRIDES_MAX overrides are set.
 */
int mime_override(const char *ext, const char *type);

#endif
