/*
 * redirect.h - --redirect rules: which request paths answer with a
 * Location instead of a file, and that Location, made safe to send.
 *
 * Pure string work over the configuration: the handler matches the
 * decoded, normalised path here before it looks for files.
 */
#ifndef OTU_REDIRECT_H
#define OTU_REDIRECT_H

#include "config.h"
#include "http_parser.h"

#include <stddef.h>

/*
 * Finds the first rule (in the order given) whose FROM matches path, the
 * request's decoded, normalised path with its leading '/' (and its
 * trailing one, when it had one): equal to it, or, for a FROM ending in
 * '*', starting with what precedes the '*'.  Writes the Location into
 * location (cap bytes): the rule's TO; with a TO ending in '*', that '*'
 * replaced by the rest of the path after the prefix, percent-encoded
 * (every byte outside RFC 3986's unreserved set and '/', so no CR, LF or
 * space reaches the head, and never "//" at the join; after a TO that ends
 * with its authority, "https://host" or "//host", the rest always starts
 * with '/', so it can never change the scheme, host or port); then the request's
 * query, after '?' (or '&' when TO has one), its non-ASCII bytes
 * percent-encoded.  The request's Host is never used.
 *
 * Returns the rule's status (301, 302, 307 or 308), 0 when no rule
 * matches, or 414 when the Location does not fit.
 */
int redirect_find(const struct config *cfg, const char *path, struct http_slice query, char *location,
                  size_t cap);

#endif
