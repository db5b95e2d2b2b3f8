/*
 * config_names.h - the names settings go by: which OTUSERVER_ variables are
 * ours, which ones a Kubernetes Service injects (not ours to judge), and
 * the setting closest to a mistyped name, for "did you mean ...?".
 */
#ifndef OTU_CONFIG_NAMES_H
#define OTU_CONFIG_NAMES_H

#include <stdbool.h>
#include <stddef.h>

/*
 * True when value is a service link: a Kubernetes Service puts
 * NAME_PORT=tcp://10.0.0.7:80 into every pod of its namespace (Docker's
 * legacy links do the same).  Only PROTO://ADDR:PORT counts.
 */
bool config_names_link_value(const char *value);

/*
 * True for a variable (name, n bytes; value) that Kubernetes injects for a
 * Service whose name starts with otuserver: OTUSERVER_SERVICE_HOST,
 * OTUSERVER_SERVICE_PORT_HTTP, OTUSERVER_PORT_80_TCP_ADDR, or a *_PORT
 * holding a link (OTUSERVER_WEB_PORT=tcp://...).
 */
bool config_names_service_link(const char *name, size_t n, const char *value);

/* True when name (n bytes) is a setting's variable or a deprecated one that still works. */
bool config_names_known_env(const char *name, size_t n);

/* The configuration file key closest to a mistyped one, or NULL when none is close. */
const char *config_names_closest_key(const char *key);

/* Writes into out the variable closest to a mistyped one; false when none is close. */
bool config_names_closest_env(const char *name, char *out, size_t cap);

#endif
