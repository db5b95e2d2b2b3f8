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
/* Longest media type --mime takes (the table stores up to MIME_TYPE_MAX). */
#define MIME_OVERRIDE_TYPE_MAX 127
/* Longest --charset name ("utf-8", "iso-8859-15"). */
#define MIME_CHARSET_MAX 32

/* The settings: --mime overrides and --charset.  All zero is "none". */
struct mime_config {
    int count; /* entries in entry[] */
    struct {
        char ext[MIME_EXT_MAX + 1];            /* extension, no dot */
        char type[MIME_OVERRIDE_TYPE_MAX + 1]; /* its media type */
    } entry[MIME_OVERRIDES_MAX];               /* --mime EXT=TYPE, ahead of the built-in tables */
    char charset[MIME_CHARSET_MAX];            /* appended to text types; "" = none */
};

/*
 * Reads one --mime EXT=TYPE (an extension of up to MIME_EXT_MAX bytes, a
 * leading dot allowed; a type/subtype of token characters) into the struct
 * mime_config at mc.  Returns 0, or -1 with what is allowed in why.
 */
int mime_override_parse(void *mc, const char *item, char *why, size_t whylen);

/* Forgets the overrides of the struct mime_config at mc. */
void mime_overrides_clear(void *mc);

/* Reads --charset (a token such as utf-8, or "" for none) into the char[MIME_CHARSET_MAX] at dst. */
int mime_charset_parse(void *dst, const char *value, char *why, size_t whylen);

/*
 * Makes mc's overrides the process's, replacing any set before: at start
 * and on a reload, before the workers fork.
 */
void mime_apply(const struct mime_config *mc);

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
