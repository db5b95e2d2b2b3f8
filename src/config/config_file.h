/*
 * config_file.h - the configuration file: YAML, read with libyaml.
 *
 * The file is one mapping whose keys are settings; a key's value is a
 * scalar, or a sequence of scalars for a list setting.  Scalars come back
 * as their text, untyped: the option's own parser reads them, so "off" is
 * the word the option knows, never YAML's boolean.  This module knows the
 * shape of the file, not the settings: the caller is called once per key.
 */
#ifndef OTU_CONFIG_FILE_H
#define OTU_CONFIG_FILE_H

#include <stdbool.h>
#include <stddef.h>

/* Largest file read: a configuration, not a data set. */
#define CONFIG_FILE_SIZE_MAX (1024L * 1024)
/* Most items in one sequence (every list setting has a smaller limit of its own). */
#define CONFIG_FILE_ITEMS_MAX 256

/* One key of the file, as the caller sees it. */
struct config_file_entry {
    const char *key;           /* the key's text */
    int line;                  /* its line, from 1 */
    bool sequence;             /* the value was a sequence (else one scalar) */
    int count;                 /* values: 1 for a scalar, 0..CONFIG_FILE_ITEMS_MAX for a sequence */
    const char *const *values; /* their texts */
    const int *lines;          /* and lines */
};

/*
 * Takes one key: returns 0, or -1 with a message in err (without the
 * "FILE:LINE: " prefix, which config_file_read() adds from line, the line
 * it reports the error at; it is preset to the key's line).
 */
typedef int (*config_file_entry_fn)(void *arg, const struct config_file_entry *e, int *line, char *err, size_t errlen);

/*
 * Reads path and calls fn for each key, in the file's order.  An empty file
 * (or an empty document) has no keys.  Refuses, with "PATH:LINE: what is
 * wrong" in err and -1: a file that cannot be read or is over
 * CONFIG_FILE_SIZE_MAX, malformed YAML, a document that is not a mapping,
 * a key that is not a scalar, a repeated key, a mapping as a value,
 * a sequence inside a sequence, an alias (*name), a second document, or
 * whatever fn refuses.  Returns 0 when every key was taken.
 */
int config_file_read(const char *path, config_file_entry_fn fn, void *arg, char *err, size_t errlen);

#endif
