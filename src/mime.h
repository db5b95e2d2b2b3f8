/*
 * mime.h - the Content-Type for a file name.
 */
#ifndef OTU_MIME_H
#define OTU_MIME_H

/* The type for files whose extension is not in the table. */
#define MIME_DEFAULT "application/octet-stream"

/*
 * Returns the media type for the last extension of name (after the last
 * '.' of the last path segment), matched case-insensitively, or
 * MIME_DEFAULT.  The string is static; the caller frees nothing.
 */
const char *mime_type_for(const char *name);

#endif
