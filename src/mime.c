/*
 * mime.c - see mime.h.  The table is sorted by extension so lookups are a
 * binary search; a unit test checks the order.  Text types carry no charset
 * because the classic clients compare "text/html" literally.
 */
#include "compat.h"

#include "mime.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct mime_entry {
    const char *ext;  /* lower case, without the dot */
    const char *type; /* media type sent in Content-Type */
};

/* Keep sorted by ext (strcmp order); check_mime verifies it. */
static const struct mime_entry mime_table[] = {
    {"7z", "application/x-7z-compressed"},
    {"aac", "audio/aac"},
    {"apng", "image/apng"},
    {"atom", "application/atom+xml"},
    {"avi", "video/x-msvideo"},
    {"avif", "image/avif"},
    {"bmp", "image/bmp"},
    {"css", "text/css"},
    {"csv", "text/csv"},
    {"eot", "application/vnd.ms-fontobject"},
    {"epub", "application/epub+zip"},
    {"flac", "audio/flac"},
    {"gif", "image/gif"},
    {"gz", "application/gzip"},
    {"htm", "text/html"},
    {"html", "text/html"},
    {"ico", "image/x-icon"},
    {"ics", "text/calendar"},
    {"jpeg", "image/jpeg"},
    {"jpg", "image/jpeg"},
    {"js", "application/javascript"},
    {"json", "application/json"},
    {"jsonld", "application/ld+json"},
    {"m4a", "audio/mp4"},
    {"manifest", "text/cache-manifest"},
    {"map", "application/json"},
    {"md", "text/markdown"},
    {"mjs", "application/javascript"},
    {"mov", "video/quicktime"},
    {"mp3", "audio/mpeg"},
    {"mp4", "video/mp4"},
    {"mpeg", "video/mpeg"},
    {"oga", "audio/ogg"},
    {"ogg", "audio/ogg"},
    {"ogv", "video/ogg"},
    {"otf", "font/otf"},
    {"pdf", "application/pdf"},
    {"png", "image/png"},
    {"rss", "application/rss+xml"},
    {"rtf", "application/rtf"},
    {"svg", "image/svg+xml"},
    {"svgz", "image/svg+xml"},
    {"swf", "application/x-shockwave-flash"},
    {"tar", "application/x-tar"},
    {"tif", "image/tiff"},
    {"tiff", "image/tiff"},
    {"ttf", "font/ttf"},
    {"txt", "text/plain"},
    {"wasm", "application/wasm"},
    {"wav", "audio/wav"},
    {"weba", "audio/webm"},
    {"webm", "video/webm"},
    {"webmanifest", "application/manifest+json"},
    {"webp", "image/webp"},
    {"woff", "font/woff"},
    {"woff2", "font/woff2"},
    {"xhtml", "application/xhtml+xml"},
    {"xml", "application/xml"},
    {"zip", "application/zip"},
};

/* Longest extension in the table, with room to spare; longer ones cannot match. */
#define MIME_EXT_MAX 16

static int compare_entry(const void *key, const void *elem)
{
    return strcmp(key, ((const struct mime_entry *)elem)->ext);
}

const char *mime_type_for(const char *name)
{
    const char *slash = strrchr(name, '/');
    const char *base = slash ? slash + 1 : name;
    const char *dot = strrchr(base, '.');
    if (dot == NULL || dot[1] == '\0')
        return MIME_DEFAULT;
    char ext[MIME_EXT_MAX + 1];
    size_t n = strlen(dot + 1);
    if (n > MIME_EXT_MAX)
        return MIME_DEFAULT;
    for (size_t i = 0; i <= n; i++) {
        unsigned char c = (unsigned char)dot[1 + i];
        ext[i] = (char)((c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c);
    }
    const struct mime_entry *e =
        bsearch(ext, mime_table, OTU_ARRAY_LEN(mime_table), sizeof(mime_table[0]), compare_entry);
    return e ? e->type : MIME_DEFAULT;
}

/* For the unit test: the table and its length. */
const char *mime_table_ext(size_t i);
const char *mime_table_ext(size_t i)
{
    return i < OTU_ARRAY_LEN(mime_table) ? mime_table[i].ext : NULL;
}
