/*
 * mime.c - see mime.h.  Three tables, looked up in order: the operator's
 * --mime overrides, the project's own entries below (the classic contract
 * and web types newer than Debian's list), then Debian's /etc/mime.types
 * made into a C array at build time (scripts/build/gen-mime-table, about 1,500
 * extensions).  The two built-in tables are sorted by extension for a
 * binary search; a unit test checks the order.  Text types carry no charset
 * unless --charset asks for one: the classic clients compare "text/html"
 * literally.
 */
#include "compat.h"

#include "mime.h"

#include "http_parser.h"
#include "optparse.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct mime_entry {
    const char *ext;  /* lower case, without the dot */
    const char *type; /* media type sent in Content-Type */
};

/* The project's choices, which win over Debian's: .js stays application/javascript
 * and .swf application/x-shockwave-flash (the classic suites check them), and types
 * Debian lacks or names otherwise.  Keep sorted by ext (strcmp order); check_mime
 * verifies it. */
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
    {"yaml", "application/yaml"},
    {"yml", "application/yaml"},
    {"zip", "application/zip"},
};

/* Debian's /etc/mime.types, generated at build time; sorted by ext. */
static const struct mime_entry system_table[] = {
#include "mime_table.inc"
};

/* Operator overrides (--mime EXT=TYPE), set before the workers fork. */
static struct mime_entry overrides[MIME_OVERRIDES_MAX];
static char override_text[MIME_OVERRIDES_MAX][MIME_EXT_MAX + 1 + MIME_TYPE_MAX + 1];
static size_t override_count;

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
    for (size_t i = 0; i < override_count; i++) {
        if (strcmp(ext, overrides[i].ext) == 0)
            return overrides[i].type;
    }
    const struct mime_entry *e =
        bsearch(ext, mime_table, OTU_ARRAY_LEN(mime_table), sizeof(mime_table[0]), compare_entry);
    if (e == NULL)
        e = bsearch(ext, system_table, OTU_ARRAY_LEN(system_table), sizeof(system_table[0]), compare_entry);
    return e ? e->type : MIME_DEFAULT;
}

int mime_override(const char *ext, const char *type)
{
    size_t en = strlen(ext), tn = strlen(type);
    if (override_count >= MIME_OVERRIDES_MAX || en == 0 || en > MIME_EXT_MAX || tn == 0 || tn > MIME_TYPE_MAX)
        return -1;
    char *text = override_text[override_count];
    for (size_t i = 0; i <= en; i++) {
        unsigned char c = (unsigned char)ext[i];
        text[i] = (char)((c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c);
    }
    memcpy(text + en + 1, type, tn + 1);
    overrides[override_count].ext = text;
    overrides[override_count].type = text + en + 1;
    override_count++;
    return 0;
}

/* For the unit test: entry i of the project's table (which 0) or Debian's (1), or NULL. */
const char *mime_table_ext(int which, size_t i);
const char *mime_table_ext(int which, size_t i)
{
    if (which == 0)
        return i < OTU_ARRAY_LEN(mime_table) ? mime_table[i].ext : NULL;
    return i < OTU_ARRAY_LEN(system_table) ? system_table[i].ext : NULL;
}

void mime_apply(const struct mime_config *mc)
{
    override_count = 0;
    for (int i = 0; i < mc->count; i++)
        mime_override(mc->entry[i].ext, mc->entry[i].type); /* checked by mime_override_parse */
}

/* True when t is a media type a header may carry: type/subtype of token characters. */
static bool plain_media_type(const char *t)
{
    const char *slash = strchr(t, '/');
    if (slash == NULL || slash == t || slash[1] == '\0')
        return false;
    for (const char *p = t; *p; p++) {
        if (p != slash && !http_is_token_char((unsigned char)*p))
            return false;
    }
    return true;
}

int mime_override_parse(void *mc, const char *item, char *why, size_t whylen)
{
    struct mime_config *m = mc;
    const char *eq = strchr(item, '=');
    if (eq == NULL || eq == item)
        return opt_expected(why, whylen, "EXT=TYPE, such as yaml=application/yaml");
    if (m->count >= MIME_OVERRIDES_MAX)
        return opt_expected(why, whylen, "at most %d --mime entries", MIME_OVERRIDES_MAX);
    const char *ext = item[0] == '.' ? item + 1 : item;
    size_t ext_len = (size_t)(eq - ext);
    const char *type = eq + 1;
    if (eq < ext || !plain_media_type(type) || memchr(ext, '/', ext_len) || memchr(ext, '.', ext_len) ||
        opt_copy_printable(m->entry[m->count].ext, sizeof(m->entry[0].ext), ext, ext_len, false) < 0 ||
        opt_copy_printable(m->entry[m->count].type, sizeof(m->entry[0].type), type, strlen(type), false) < 0)
        return opt_expected(why, whylen,
                            "EXT=TYPE: an extension of up to %d characters and a type/subtype, "
                            "such as yaml=application/yaml",
                            MIME_EXT_MAX);
    m->count++;
    return 0;
}

void mime_overrides_clear(void *mc)
{
    ((struct mime_config *)mc)->count = 0;
}

int mime_charset_parse(void *dst, const char *value, char *why, size_t whylen)
{
    size_t n = strlen(value);
    for (size_t i = 0; i < n; i++) {
        if (!http_is_token_char((unsigned char)value[i]))
            return opt_expected(why, whylen, "a charset name such as utf-8, or empty for none");
    }
    if (opt_copy_printable(dst, MIME_CHARSET_MAX, value, n, false) < 0)
        return opt_expected(why, whylen, "a charset name of up to %d characters", MIME_CHARSET_MAX - 1);
    return 0;
}
