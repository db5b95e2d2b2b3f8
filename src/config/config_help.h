/*
 * config_help.h - the option table printed for people: --help, the
 * configuration reference in docs/configuration.md, and --check-config's
 * listing of the effective settings.  All three come from the same rows as
 * the parsing, so none can drift from what the server accepts.
 */
#ifndef OTU_CONFIG_HELP_H
#define OTU_CONFIG_HELP_H

#include "config.h"

#include <stdio.h>

/* Writes the --help text, every option with its variable, default and examples. */
void config_print_help(FILE *out);

/* Writes the configuration reference as a Markdown table (docs/configuration.md). */
void config_print_reference(FILE *out);

/* Writes the effective settings of a parse traced in t: name, value, where it came from. */
void config_print_effective(FILE *out, const struct config_trace *t);

#endif
