/*
 * path.c - see path.h.
 */
#include "compat.h"

#include "path.h"

#include <string.h>

/* Decodes p[0..len) into out (cap bytes, NUL-terminated); returns length or -status. */
static int percent_decode(const char *p, size_t len, char *out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c == '%') {
            int hi = i + 2 < len ? otu_hex_value((unsigned char)p[i + 1]) : -1;
            int lo = i + 2 < len ? otu_hex_value((unsigned char)p[i + 2]) : -1;
            if (hi < 0 || lo < 0)
                return -400; /* "/%", "/%1", "/%zz" */
            c = (unsigned char)(hi * 16 + lo);
            i += 2;
        }
        if (c < 0x20 || c == 0x7f)
            return -400; /* NUL would cut the C string; other controls have no place in a name */
        if (n + 1 >= cap)
            return -414;
        out[n++] = (char)c;
    }
    out[n] = '\0';
    return (int)n;
}

int path_normalize(const char *p, size_t len, struct path_result *out)
{
    char decoded[PATH_MAX_DECODED];
    out->rel[0] = '\0';
    out->trailing_slash = false;
    if (len == 0 || p[0] != '/')
        return 400;
    int n = percent_decode(p, len, decoded, sizeof(decoded));
    if (n < 0)
        return -n;

    /* Walk the segments; out->rel grows and shrinks like a stack. */
    size_t top = 0;
    size_t i = 0;
    bool last_was_dir_ref = false; /* the final segment was "", "." or ".." */
    while (i < (size_t)n) {
        while (i < (size_t)n && decoded[i] == '/')
            i++;
        size_t start = i;
        while (i < (size_t)n && decoded[i] != '/')
            i++;
        size_t seg_len = i - start;
        const char *seg = decoded + start;
        last_was_dir_ref = true;
        if (seg_len == 0 || (seg_len == 1 && seg[0] == '.'))
            continue;
        if (seg_len == 2 && seg[0] == '.' && seg[1] == '.') {
            if (top == 0)
                return 400; /* would climb above the root */
            while (top > 0 && out->rel[top - 1] != '/')
                top--;
            if (top > 0)
                top--; /* drop the separator too */
            continue;
        }
        last_was_dir_ref = false;
        size_t need = (top > 0 ? 1 : 0) + seg_len;
        if (top + need + 1 > sizeof(out->rel))
            return 414;
        if (top > 0)
            out->rel[top++] = '/';
        memcpy(out->rel + top, seg, seg_len);
        top += seg_len;
    }
    out->trailing_slash = last_was_dir_ref || (n > 0 && decoded[n - 1] == '/');
    if (top == 0) {
        strcpy(out->rel, ".");
        out->trailing_slash = true;
    } else {
        out->rel[top] = '\0';
    }
    return 0;
}

bool path_is_hidden(const char *rel)
{
    const char *seg = rel;
    bool first = true;
    while (*seg) {
        if (seg[0] == '.' && !(seg[1] == '\0' && first)) {
            bool well_known = first && strncmp(seg, ".well-known", 11) == 0 && (seg[11] == '/' || seg[11] == '\0');
            if (!well_known)
                return true;
        }
        const char *slash = strchr(seg, '/');
        if (slash == NULL)
            break;
        seg = slash + 1;
        first = false;
    }
    return false;
}

/* RFC 3986 unreserved bytes, plus '/' which separates segments. */
static bool is_plain_path_byte(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
           c == '_' || c == '~' || c == '/';
}

int path_encode(const char *rel, bool add_slash, char *out, size_t cap)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = 0;
    if (cap < 2)
        return -1;
    out[n++] = '/';
    if (strcmp(rel, ".") != 0) {
        for (const unsigned char *s = (const unsigned char *)rel; *s; s++) {
            if (is_plain_path_byte(*s)) {
                if (n + 1 >= cap)
                    return -1;
                out[n++] = (char)*s;
            } else {
                if (n + 3 >= cap)
                    return -1;
                out[n++] = '%';
                out[n++] = hex[*s >> 4];
                out[n++] = hex[*s & 15];
            }
        }
        if (add_slash) {
            if (n + 1 >= cap)
                return -1;
            out[n++] = '/';
        }
    }
    out[n] = '\0';
    return (int)n;
}
