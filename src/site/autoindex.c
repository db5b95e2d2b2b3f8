/*
 * autoindex.c - see autoindex.h.
 */
#include "compat.h"

#include "autoindex.h"

#include "path.h"
#include "utf8.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* One name of the folder. */
struct entry {
    char *name;   /* as on disk (malloc'd) */
    bool dir;     /* a folder */
    int64_t size; /* bytes (files) */
    time_t mtime; /* last modification, seconds */
};

/* What a read of the folder found. */
struct listing {
    struct entry *e;  /* entries kept (malloc'd) */
    size_t n;         /* how many */
    size_t read;      /* directory entries read, kept or not */
    size_t looked_up; /* of which fstatat()'ed */
    bool truncated;   /* more were there than a bound let us read or keep */
    bool read_bound;  /* ...and the bound on entries read is the one that stopped it */
};

/* True when a directory entry's type (d_type) already rules it out: a link, FIFO, device or socket. */
static bool type_ruled_out(unsigned char d_type)
{
    return d_type != DT_UNKNOWN && d_type != DT_REG && d_type != DT_DIR;
}

/* Reads "key=value" pairs from a query: the value of key, or a slice with p NULL. */
static struct http_slice query_value(struct http_slice q, const char *key)
{
    size_t klen = strlen(key);
    for (size_t i = 0; i < q.len;) {
        size_t end = i;
        while (end < q.len && q.p[end] != '&')
            end++;
        if (end - i > klen && memcmp(q.p + i, key, klen) == 0 && q.p[i + klen] == '=')
            return (struct http_slice){q.p + i + klen + 1, end - i - klen - 1};
        i = end + 1;
    }
    return (struct http_slice){NULL, 0};
}

void autoindex_parse_query(struct http_slice query, struct autoindex_view *v)
{
    struct http_slice sort = query_value(query, "sort");
    struct http_slice order = query_value(query, "order");
    v->sort = AUTOINDEX_BY_NAME;
    if (http_slice_equals_nocase(sort, "size"))
        v->sort = AUTOINDEX_BY_SIZE;
    else if (http_slice_equals_nocase(sort, "time"))
        v->sort = AUTOINDEX_BY_TIME;
    v->descending = http_slice_equals_nocase(order, "desc");
}

bool autoindex_wants_json(struct http_slice accept)
{
    static const char type[] = "application/json";
    const size_t n = sizeof(type) - 1;
    for (size_t i = 0; accept.p != NULL && i + n <= accept.len; i++) {
        if (strncasecmp(accept.p + i, type, n) != 0 ||
            (i > 0 && accept.p[i - 1] != ' ' && accept.p[i - 1] != ',' && accept.p[i - 1] != '\t'))
            continue;
        size_t k = i + n;
        while (k < accept.len && accept.p[k] == ' ')
            k++;
        if (k == accept.len || accept.p[k] == ',')
            return true;
        if (accept.p[k] != ';')
            continue;
        /* parameters: refused only by q=0 */
        size_t end = k;
        while (end < accept.len && accept.p[end] != ',')
            end++;
        bool zero = false;
        for (size_t j = k; j + 2 < end; j++) {
            if ((accept.p[j] == 'q' || accept.p[j] == 'Q') && accept.p[j + 1] == '=') {
                zero = accept.p[j + 2] == '0';
                for (size_t m = j + 3; zero && m < end && accept.p[m] != ';'; m++)
                    zero = accept.p[m] == '0' || accept.p[m] == '.' || accept.p[m] == ' ';
            }
        }
        return !zero;
    }
    return false;
}

/* Frees what read_folder() gathered. */
static void listing_free(struct listing *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->e[i].name);
    free(l->e);
    l->e = NULL;
    l->n = 0;
}

/* The status for an errno from opening or reading the folder. */
static int status_for(int err)
{
    if (err == EMFILE || err == ENFILE || err == ENOMEM)
        return 503;
    return err == EACCES || err == EPERM ? 403 : 500;
}

/*
 * Reads the folder at dir_fd into *l: regular files and folders, dot-names
 * only when v shows them, at most v->max_entries of them out of at most
 * AUTOINDEX_READ_FACTOR times that many entries read.  Returns 0 or a status.
 */
static int read_folder(int dir_fd, const struct autoindex_view *v, struct listing *l)
{
    int status = 0;
    int fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (d == NULL) {
        status = status_for(errno);
        if (fd >= 0)
            close(fd);
        return status;
    }
    size_t cap = 0;
    size_t read_max = AUTOINDEX_READ_FACTOR * v->max_entries;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (l->read >= read_max) { /* one more is there: the bound stops the reading */
            l->truncated = l->read_bound = true;
            break;
        }
        l->read++;
        const char *name = de->d_name;
        if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0 || (name[0] == '.' && !v->show_dotfiles) ||
            type_ruled_out(de->d_type))
            continue;
        struct stat st;
        l->looked_up++;
        if (fstatat(dirfd(d), name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !(S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)))
            continue; /* gone meanwhile, or (a file system without d_type) a link, FIFO, device or socket */
        if (l->n >= v->max_entries) {
            l->truncated = true;
            break;
        }
        if (l->n == cap) {
            size_t grown = cap ? cap * 2 : 64;
            struct entry *e = realloc(l->e, grown * sizeof(*e));
            if (e == NULL) {
                status = 503;
                goto out;
            }
            l->e = e;
            cap = grown;
        }
        char *copy = strdup(name);
        if (copy == NULL) {
            status = 503;
            goto out;
        }
        l->e[l->n++] = (struct entry){copy, S_ISDIR(st.st_mode), (int64_t)st.st_size, st.st_mtime};
    }
out:
    closedir(d); /* closes fd too */
    return status;
}

/* Orders folders before files; 0 when both are of one kind. */
static int kind_order(const struct entry *a, const struct entry *b)
{
    return (int)b->dir - (int)a->dir;
}

static int by_name(const void *pa, const void *pb)
{
    const struct entry *a = pa, *b = pb;
    int k = kind_order(a, b);
    return k ? k : strcmp(a->name, b->name);
}

static int by_size(const void *pa, const void *pb)
{
    const struct entry *a = pa, *b = pb;
    int k = kind_order(a, b);
    if (k)
        return k;
    if (a->size != b->size)
        return a->size < b->size ? -1 : 1;
    return strcmp(a->name, b->name);
}

static int by_time(const void *pa, const void *pb)
{
    const struct entry *a = pa, *b = pb;
    int k = kind_order(a, b);
    if (k)
        return k;
    if (a->mtime != b->mtime)
        return a->mtime < b->mtime ? -1 : 1;
    return strcmp(a->name, b->name);
}

/* Reverses e[from..to). */
/* By name alone (folders among files): the order fold_compressed_only() searches. */
static int by_plain_name(const void *pa, const void *pb)
{
    return strcmp(((const struct entry *)pa)->name, ((const struct entry *)pb)->name);
}

/* The length of name without a compressed form's suffix (.gz, .br, .zst), or 0 when it has none. */
static size_t compressed_stem(const char *name)
{
    static const char *const suffixes[] = {".gz", ".br", ".zst"};
    size_t n = strlen(name);
    for (size_t i = 0; i < OTU_ARRAY_LEN(suffixes); i++) {
        size_t k = strlen(suffixes[i]);
        if (n > k + 1 && strcmp(name + n - k, suffixes[i]) == 0) /* a stem of at least 2: ".gz" is no form */
            return n - k;
    }
    return 0;
}

/*
 * A compressed file whose original is not in the folder (page.html.gz
 * without page.html) is served under the original's name (precomp.h): it
 * is listed so, once, whatever forms it has; a compressed file beside its
 * original is listed as it is.  Leaves l sorted by name.
 */
static void fold_compressed_only(struct listing *l)
{
    char **renamed = l->n > 0 ? calloc(l->n, sizeof(*renamed)) : NULL;
    if (renamed == NULL)
        return; /* nothing, or no memory: listed as they are */
    qsort(l->e, l->n, sizeof(*l->e), by_plain_name);
    for (size_t i = 0; i < l->n; i++) { /* every search before any renaming: the order holds */
        size_t stem = l->e[i].dir ? 0 : compressed_stem(l->e[i].name);
        struct entry key = {.name = stem > 0 ? strndup(l->e[i].name, stem) : NULL};
        if (key.name != NULL && bsearch(&key, l->e, l->n, sizeof(*l->e), by_plain_name) == NULL)
            renamed[i] = key.name;
        else
            free(key.name); /* no suffix, or its original is there: listed as it is */
    }
    for (size_t i = 0; i < l->n; i++) {
        if (renamed[i] != NULL) {
            free(l->e[i].name);
            l->e[i].name = renamed[i];
        }
    }
    free(renamed);
    qsort(l->e, l->n, sizeof(*l->e), by_plain_name);
    size_t kept = 0;
    for (size_t i = 0; i < l->n; i++) { /* page.html from page.html.gz and from page.html.br: once */
        if (kept > 0 && strcmp(l->e[kept - 1].name, l->e[i].name) == 0 && !l->e[i].dir && !l->e[kept - 1].dir) {
            free(l->e[i].name);
            continue;
        }
        l->e[kept++] = l->e[i];
    }
    l->n = kept;
}

static void reverse(struct entry *e, size_t from, size_t to)
{
    while (to > from + 1) {
        struct entry t = e[from];
        e[from++] = e[--to];
        e[to] = t;
    }
}

/* Sorts as v says: folders first, then files, each block ascending or descending. */
static void sort_listing(struct listing *l, const struct autoindex_view *v)
{
    int (*const cmp[])(const void *, const void *) = {by_name, by_size, by_time};
    if (l->n > 1)
        qsort(l->e, l->n, sizeof(l->e[0]), cmp[v->sort]);
    if (!v->descending)
        return;
    size_t dirs = 0;
    while (dirs < l->n && l->e[dirs].dir)
        dirs++;
    reverse(l->e, 0, dirs);
    reverse(l->e, dirs, l->n);
}

/* Writes name as HTML text: & < > " ' as references, bytes that are not UTF-8 as U+FFFD. */
static void put_html(FILE *f, const char *name)
{
    const unsigned char *s = (const unsigned char *)name;
    for (size_t left = strlen(name); left > 0;) {
        size_t n = utf8_sequence(s, left);
        if (n == 0) {
            fputs("\xef\xbf\xbd", f);
            n = 1;
        } else if (*s == '&') {
            fputs("&amp;", f);
        } else if (*s == '<') {
            fputs("&lt;", f);
        } else if (*s == '>') {
            fputs("&gt;", f);
        } else if (*s == '"') {
            fputs("&quot;", f);
        } else if (*s == '\'') {
            fputs("&#39;", f);
        } else {
            fwrite(s, 1, n, f);
        }
        s += n;
        left -= n;
    }
}

/* Writes name as a JSON string: quotes, backslashes and control bytes escaped, non-UTF-8 bytes as U+FFFD. */
static void put_json_string(FILE *f, const char *name)
{
    const unsigned char *s = (const unsigned char *)name;
    fputc('"', f);
    for (size_t left = strlen(name); left > 0;) {
        size_t n = utf8_sequence(s, left);
        if (n == 0) {
            fputs("\\ufffd", f);
            n = 1;
        } else if (*s == '"' || *s == '\\') {
            fputc('\\', f);
            fputc(*s, f);
        } else if (*s < 0x20 || *s == 0x7f) {
            fprintf(f, "\\u%04x", *s);
        } else {
            fwrite(s, 1, n, f);
        }
        s += n;
        left -= n;
    }
    fputc('"', f);
}

/* Writes t as "2024-01-02T03:04:05Z" (iso) or "2024-01-02 03:04" (for the page). */
static void put_time(FILE *f, time_t t, bool iso)
{
    struct tm tm;
    char buf[32];
    if (gmtime_r(&t, &tm) == NULL ||
        strftime(buf, sizeof(buf), iso ? "%Y-%m-%dT%H:%M:%SZ" : "%Y-%m-%d %H:%M", &tm) == 0)
        snprintf(buf, sizeof(buf), "%lld", (long long)t);
    fputs(buf, f);
}

static void write_json(FILE *f, const struct listing *l)
{
    fputc('[', f);
    for (size_t i = 0; i < l->n; i++) {
        const struct entry *e = &l->e[i];
        fputs(i ? ",\n{\"name\":" : "\n{\"name\":", f);
        put_json_string(f, e->name);
        fprintf(f, ",\"type\":\"%s\",\"size\":%lld,\"mtime\":\"", e->dir ? "directory" : "file",
                (long long)(e->dir ? 0 : e->size));
        put_time(f, e->mtime, true);
        fputs("\"}", f);
    }
    fputs("\n]\n", f);
}

/* A column heading that sorts by key, the other way round when it is the current order. */
static void put_heading(FILE *f, const struct autoindex_view *v, enum autoindex_sort key, const char *label)
{
    static const char *const keys[] = {"name", "size", "time"};
    bool desc = v->sort == key && !v->descending;
    fprintf(f, "<th><a href=\"?sort=%s&amp;order=%s\">%s</a>%s</th>", keys[key], desc ? "desc" : "asc", label,
            v->sort == key ? (v->descending ? " &darr;" : " &uarr;") : "");
}

static void write_html(FILE *f, const struct listing *l, const struct autoindex_view *v)
{
    fputs("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Index of ", f);
    put_html(f, v->title_path);
    fputs("</title></head>\n<body><h1>Index of ", f);
    put_html(f, v->title_path);
    fputs("</h1>\n<table>\n<tr>", f);
    put_heading(f, v, AUTOINDEX_BY_NAME, "Name");
    put_heading(f, v, AUTOINDEX_BY_SIZE, "Size");
    put_heading(f, v, AUTOINDEX_BY_TIME, "Modified (UTC)");
    fputs("</tr>\n", f);
    if (strcmp(v->title_path, "/") != 0)
        fputs("<tr><td><a href=\"../\">../</a></td><td>-</td><td></td></tr>\n", f);
    for (size_t i = 0; i < l->n; i++) {
        const struct entry *e = &l->e[i];
        /* "/" + name percent-encoded (+ "/"): after ".", a relative link no ':' can turn into a scheme */
        char href[NAME_MAX * 3 + 4];
        if (path_encode(e->name, e->dir, href, sizeof(href)) < 0)
            continue;
        fprintf(f, "<tr><td><a href=\".%s\">", href);
        put_html(f, e->name);
        fputs(e->dir ? "/</a></td><td>-" : "</a></td><td>", f);
        if (!e->dir)
            fprintf(f, "%lld", (long long)e->size);
        fputs("</td><td>", f);
        put_time(f, e->mtime, false);
        fputs("</td></tr>\n", f);
    }
    fputs("</table>\n", f);
    if (l->truncated && l->read_bound)
        fprintf(f,
                "<p>The listing is truncated: the folder holds more than %zu entries, "
                "and only those were read.</p>\n",
                l->read);
    else if (l->truncated)
        fprintf(f, "<p>The listing is truncated: only the first %zu entries are listed.</p>\n", v->max_entries);
    fputs("</body></html>\n", f);
}

int autoindex_render(int dir_fd, const struct autoindex_view *v, struct autoindex_result *res)
{
    struct listing l = {NULL, 0, 0, 0, false, false};
    char *text = NULL;
    size_t text_len = 0;
    FILE *f = NULL;
    int fd = -1;
    int *status = &res->status;
    res->len = 0;
    *status = read_folder(dir_fd, v, &l);
    if (*status == 0)
        fold_compressed_only(&l);
    res->read = l.read;
    res->looked_up = l.looked_up;
    res->listed = l.n;
    res->truncated = l.truncated;
    if (*status != 0)
        goto out;
    sort_listing(&l, v);
    f = open_memstream(&text, &text_len);
    if (f == NULL) {
        *status = 503;
        goto out;
    }
    if (v->json)
        write_json(f, &l);
    else
        write_html(f, &l, v);
    if (fclose(f) != 0) {
        f = NULL;
        *status = 503;
        goto out;
    }
    f = NULL;
    fd = memfd_create("otuserver-autoindex", MFD_CLOEXEC);
    if (fd < 0) {
        *status = status_for(errno) == 403 ? 500 : status_for(errno);
        goto out;
    }
    for (size_t done = 0; done < text_len;) {
        ssize_t n = write(fd, text + done, text_len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            *status = 503;
            close(fd);
            fd = -1;
            goto out;
        }
        done += (size_t)n;
    }
    res->len = (int64_t)text_len;
out:
    if (f != NULL)
        fclose(f);
    free(text);
    listing_free(&l);
    return fd;
}
