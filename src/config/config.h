/*
 * config.h - otuserver's settings and where they come from.
 *
 * Every setting is one typed row of the option table (config_options.c):
 * its flag, type and bounds, default, help line, where the value lands in
 * struct config, and whether a reload may change it.  The engine here reads
 * the sources in order of precedence, lowest first: the defaults, the
 * configuration file (--config, YAML), the OTUSERVER_* variables, the
 * command line; a list from a higher source replaces the lower one's.
 * Each feature owns its settings struct and the grammar of its items
 * (redirect rules, CORS origins, path rules...); struct config is their sum.
 */
#ifndef OTU_CONFIG_H
#define OTU_CONFIG_H

#include "settings.h"

#include <stdio.h>

/* Room for what one setting's winning source gave, as text (--check-config). */
#define CONFIG_TRACE_TEXT_MAX 2048

/* Where each setting's value came from and what it was, for --check-config. */
struct config_trace {
    struct {
        enum config_source source;        /* the source that set it last */
        char where[96];                   /* "default", "FILE:LINE", "OTUSERVER_PORT", "-p" */
        char text[CONFIG_TRACE_TEXT_MAX]; /* the value as given; a list's items one per line */
    } row[CONFIG_OPTIONS_MAX];
};

/*
 * Fills *cfg from the sources in order: defaults, the configuration file
 * (--config or OTUSERVER_CONFIG), the OTUSERVER_* variables of envp (a
 * NULL-terminated "NAME=value" array; an empty variable counts as unset),
 * the command line (a non-option argument is the document root).  Unknown
 * and deprecated variables and service links give warnings in
 * cfg->warnings, not errors.  When trace is not NULL, it records where
 * each setting's value came from and its text (--check-config).
 * Returns 0, or -1 with a one-line message (no newline) in err naming the
 * flag, variable or FILE:LINE, the value and what is allowed.
 */
int config_parse(struct config *cfg, int argc, char **argv, char **envp, struct config_trace *trace, char *err,
                 size_t errlen);

/*
 * Checks what parsing one value cannot: the rules between settings
 * (--proxy-protocol needs --trusted-proxies), then that the document root
 * is an existing, searchable directory.  Returns 0, or -1 with a one-line
 * message in err.
 */
int config_validate(const struct config *cfg, char *err, size_t errlen);

/*
 * Returns the path "otuserver --healthcheck" requests: --healthcheck-path
 * when set, else --health-path when set, else "/".  The string lives in cfg.
 */
const char *config_probe_path(const struct config *cfg);

/*
 * Copies into *fresh the value of every setting a reload cannot change
 * (the rows marked restart-only: ports, address, workers...) from *running
 * where they differ, and writes one warning line per such setting to
 * warn(line).  Returns how many it kept.
 */
int config_keep_restart_only(struct config *fresh, const struct config *running, void (*warn)(const char *line));

#endif
