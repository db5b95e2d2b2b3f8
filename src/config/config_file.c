/*
 * config_file.c - see config_file.h.
 */
#include "compat.h"

#include "config_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

/* Most keys in one file: more than there are settings, so a repeated key is always seen. */
#define CONFIG_FILE_KEYS_MAX 128

/* The reader's state: the parser, the keys seen, and the key being read. */
struct reader {
    yaml_parser_t parser;
    const char *path;
    int nkeys;                        /* keys seen so far */
    char *keys[CONFIG_FILE_KEYS_MAX]; /* their names (malloc'd) */
    int nvalues;                      /* values of the current key */
    char *values[CONFIG_FILE_ITEMS_MAX];
    int lines[CONFIG_FILE_ITEMS_MAX];
};

/* Writes "PATH:LINE: message" into err; returns -1. */
static int fail(const struct reader *r, int line, char *err, size_t errlen, const char *msg)
{
    snprintf(err, errlen, "%s:%d: %s", r->path, line, msg);
    return -1;
}

/* Reads the whole file (at most CONFIG_FILE_SIZE_MAX) into a malloc'd buffer; returns it or NULL. */
static unsigned char *read_all(const char *path, size_t *len, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    unsigned char *buf = NULL;
    if (fd < 0 || fstat(fd, &st) < 0) {
        snprintf(err, errlen, "%s: cannot read the configuration file: %s", path, strerror(errno));
        goto done;
    }
    if (!S_ISREG(st.st_mode) || st.st_size > CONFIG_FILE_SIZE_MAX) {
        snprintf(err, errlen, "%s: not a regular file of at most %ld bytes", path, CONFIG_FILE_SIZE_MAX);
        goto done;
    }
    buf = malloc((size_t)st.st_size + 1);
    ssize_t n = buf ? read(fd, buf, (size_t)st.st_size) : -1;
    if (n != st.st_size) {
        snprintf(err, errlen, "%s: cannot read the configuration file: %s", path,
                 n < 0 ? strerror(errno) : "it changed while being read");
        free(buf);
        buf = NULL;
        goto done;
    }
    *len = (size_t)n;
done:
    if (fd >= 0)
        close(fd);
    return buf;
}

/* Takes the next event into *ev; a parse error becomes "PATH:LINE: problem".  Returns 0 or -1. */
static int next_event(struct reader *r, yaml_event_t *ev, char *err, size_t errlen)
{
    if (yaml_parser_parse(&r->parser, ev))
        return 0;
    char msg[200];
    snprintf(msg, sizeof(msg), "malformed YAML: %s%s%s", r->parser.problem ? r->parser.problem : "error",
             r->parser.context ? " " : "", r->parser.context ? r->parser.context : "");
    return fail(r, (int)r->parser.problem_mark.line + 1, err, errlen, msg);
}

/* Forgets the current key's values. */
static void drop_values(struct reader *r)
{
    for (int i = 0; i < r->nvalues; i++)
        free(r->values[i]);
    r->nvalues = 0;
}

/* Keeps one scalar of the current key; returns 0 or -1. */
static int keep_value(struct reader *r, const yaml_event_t *ev, char *err, size_t errlen)
{
    int line = (int)ev->start_mark.line + 1;
    if (r->nvalues >= CONFIG_FILE_ITEMS_MAX)
        return fail(r, line, err, errlen, "too many items in one list");
    char *v = strdup((const char *)ev->data.scalar.value);
    if (v == NULL)
        return fail(r, line, err, errlen, "out of memory");
    r->values[r->nvalues] = v;
    r->lines[r->nvalues++] = line;
    return 0;
}

/* Reads the items of a sequence up to its end; returns 0 or -1. */
static int read_sequence(struct reader *r, char *err, size_t errlen)
{
    for (;;) {
        yaml_event_t ev;
        if (next_event(r, &ev, err, errlen) < 0)
            return -1;
        int line = (int)ev.start_mark.line + 1, rc = 0;
        if (ev.type == YAML_SEQUENCE_END_EVENT) {
            yaml_event_delete(&ev);
            return 0;
        }
        if (ev.type == YAML_SCALAR_EVENT)
            rc = keep_value(r, &ev, err, errlen);
        else if (ev.type == YAML_ALIAS_EVENT)
            rc = fail(r, line, err, errlen, "aliases (*name) are not supported");
        else
            rc = fail(r, line, err, errlen, "a list item must be a single value, not a list or a mapping");
        yaml_event_delete(&ev);
        if (rc < 0)
            return -1;
    }
}

/* Records key as seen; returns 0, or -1 when it was seen before. */
static int note_key(struct reader *r, const char *key, int line, char *err, size_t errlen)
{
    for (int i = 0; i < r->nkeys; i++) {
        if (strcmp(r->keys[i], key) == 0) {
            char msg[160];
            snprintf(msg, sizeof(msg), "'%.80s' is set twice", key);
            return fail(r, line, err, errlen, msg);
        }
    }
    if (r->nkeys >= CONFIG_FILE_KEYS_MAX)
        return fail(r, line, err, errlen, "too many keys");
    if ((r->keys[r->nkeys] = strdup(key)) == NULL)
        return fail(r, line, err, errlen, "out of memory");
    r->nkeys++;
    return 0;
}

/* Reads one key's value (the event after the key) and hands both to fn; returns 0 or -1. */
static int read_entry(struct reader *r, const yaml_event_t *key, config_file_entry_fn fn, void *arg, char *err,
                      size_t errlen)
{
    int line = (int)key->start_mark.line + 1;
    const char *name = (const char *)key->data.scalar.value;
    if (note_key(r, name, line, err, errlen) < 0)
        return -1;
    yaml_event_t ev;
    if (next_event(r, &ev, err, errlen) < 0)
        return -1;
    int rc = 0;
    bool sequence = ev.type == YAML_SEQUENCE_START_EVENT;
    if (ev.type == YAML_SCALAR_EVENT)
        rc = keep_value(r, &ev, err, errlen);
    else if (sequence)
        rc = read_sequence(r, err, errlen);
    else if (ev.type == YAML_ALIAS_EVENT)
        rc = fail(r, (int)ev.start_mark.line + 1, err, errlen, "aliases (*name) are not supported");
    else
        rc = fail(r, (int)ev.start_mark.line + 1, err, errlen, "a setting takes a value or a list, not a mapping");
    yaml_event_delete(&ev);
    if (rc == 0) {
        struct config_file_entry e = {name, line, sequence, r->nvalues, (const char *const *)r->values, r->lines};
        char msg[400];
        if (fn(arg, &e, &line, msg, sizeof(msg)) < 0)
            rc = fail(r, line, err, errlen, msg);
    }
    drop_values(r);
    return rc;
}

/* Reads the top mapping's keys until its end; returns 0 or -1. */
static int read_mapping(struct reader *r, config_file_entry_fn fn, void *arg, char *err, size_t errlen)
{
    for (;;) {
        yaml_event_t ev;
        if (next_event(r, &ev, err, errlen) < 0)
            return -1;
        int rc = 0;
        if (ev.type == YAML_MAPPING_END_EVENT) {
            yaml_event_delete(&ev);
            return 0;
        }
        if (ev.type == YAML_SCALAR_EVENT)
            rc = read_entry(r, &ev, fn, arg, err, errlen);
        else
            rc = fail(r, (int)ev.start_mark.line + 1, err, errlen,
                      "a key must be a setting name, not a list or a mapping");
        yaml_event_delete(&ev);
        if (rc < 0)
            return -1;
    }
}

/* True for the one event of an empty document: "", "~" or "null". */
static bool empty_document(const yaml_event_t *ev)
{
    const char *v = (const char *)ev->data.scalar.value;
    return ev->type == YAML_SCALAR_EVENT && ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
           (v[0] == '\0' || strcmp(v, "~") == 0 || strcmp(v, "null") == 0);
}

/* Reads the stream: at most one document, which is a mapping or empty.  Returns 0 or -1. */
static int read_stream(struct reader *r, config_file_entry_fn fn, void *arg, char *err, size_t errlen)
{
    int documents = 0;
    for (;;) {
        yaml_event_t ev;
        if (next_event(r, &ev, err, errlen) < 0)
            return -1;
        int line = (int)ev.start_mark.line + 1, rc = 0;
        yaml_event_type_t type = ev.type;
        if (type == YAML_DOCUMENT_START_EVENT && ++documents > 1)
            rc = fail(r, line, err, errlen, "one document only (a second '---')");
        else if (type == YAML_MAPPING_START_EVENT)
            rc = read_mapping(r, fn, arg, err, errlen);
        else if ((type == YAML_SCALAR_EVENT && !empty_document(&ev)) || type == YAML_SEQUENCE_START_EVENT ||
                 type == YAML_ALIAS_EVENT)
            rc = fail(r, line, err, errlen, "the file must be a mapping of settings (name: value)");
        yaml_event_delete(&ev);
        if (rc < 0 || type == YAML_STREAM_END_EVENT)
            return rc;
    }
}

int config_file_read(const char *path, config_file_entry_fn fn, void *arg, char *err, size_t errlen)
{
    size_t len = 0;
    unsigned char *text = read_all(path, &len, err, errlen);
    if (text == NULL)
        return -1;
    struct reader *r = calloc(1, sizeof(*r));
    int rc = -1;
    if (r == NULL || !yaml_parser_initialize(&r->parser)) {
        snprintf(err, errlen, "%s: out of memory", path);
        free(r);
        free(text);
        return -1;
    }
    r->path = path;
    yaml_parser_set_input_string(&r->parser, text, len);
    rc = read_stream(r, fn, arg, err, errlen);
    drop_values(r);
    for (int i = 0; i < r->nkeys; i++)
        free(r->keys[i]);
    yaml_parser_delete(&r->parser);
    free(r);
    free(text);
    return rc;
}
