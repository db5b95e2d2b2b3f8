/*
 * config_help.c - see config_help.h.
 */
#include "compat.h"

#include "config_help.h"

#include "config_options.h"

#include <string.h>

/* The names a source gives in --check-config's listing. */
static const char *const source_names[] = {"default", "file", "variable", "flag"};

/* "-p, --port PORT" for row o into out. */
static void flag_text(const struct option_spec *o, char *out, size_t cap)
{
    int n = o->short_name ? snprintf(out, cap, "-%c, ", o->short_name) : 0;
    snprintf(out + n, cap - (size_t)n, "--%s%s%s", o->name, o->metavar ? " " : "", o->metavar ? o->metavar : "");
}

void config_print_help(FILE *out)
{
    fprintf(out, "usage: otuserver [options] [DIR]\n\n"
                 "A static-file HTTP/1.1 server: a master process and prefork workers.  DIR is the\n"
                 "document root (as -r).  Every setting is read, lowest precedence first, from its\n"
                 "default, the --config file (key: the long name), its variable, then its flag;\n"
                 "a list from a higher source replaces the lower one's.  A variable or a file's\n"
                 "scalar holds a list's items one per line, or comma-separated.  SIGHUP reloads the\n"
                 "settings (those marked 'restart' keep their value); SIGUSR1 reopens the log.\n"
                 "Durations take ms, s (default) or m; sizes k or m; switches on|off.\n\n");
    for (size_t i = 0; i < config_option_count; i++) {
        const struct option_spec *o = &config_options[i];
        char flags[96], env[CONFIG_ENV_NAME_MAX];
        flag_text(o, flags, sizeof(flags));
        fprintf(out, "  %-32s %s%s\n", flags, o->help, o->kind == OPT_LIST ? "; repeatable" : "");
        for (const char *e = o->examples; e != NULL && *e != '\0';) {
            size_t len = strcspn(e, "\n");
            fprintf(out, "  %-32s e.g. %.*s\n", "", (int)len, e);
            e += len + (e[len] == '\n');
        }
        if (o->alias)
            fprintf(out, "  %-32s also --%s\n", "", o->alias);
        if (!!(o->flags & OPT_F_NOENV))
            continue;
        config_option_env(o, env, sizeof(env));
        fprintf(out, "  %-32s env %s, default %s%s\n", "", env, (o->def && *o->def) ? o->def : "(none)",
                (o->flags & OPT_F_RESTART) ? "; restart to change" : "");
        if (o->old_env)
            fprintf(out, "  %-32s (%s still works, deprecated)\n", "", o->old_env);
    }
}

/* Writes s into a Markdown table cell: a '|' would end the cell. */
static void cell(FILE *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '|')
            fputc('\\', out);
        fputc(*s, out);
    }
}

void config_print_reference(FILE *out)
{
    fprintf(out, "| flag | variable | default | reload | what it does |\n|---|---|---|---|---|\n");
    for (size_t i = 0; i < config_option_count; i++) {
        const struct option_spec *o = &config_options[i];
        char flags[96];
        flag_text(o, flags, sizeof(flags));
        fprintf(out, "| `");
        cell(out, flags);
        fprintf(out, "`%s%s%s | ", o->alias ? " (`--" : "", o->alias ? o->alias : "", o->alias ? "`)" : "");
        if (!(o->flags & OPT_F_NOENV)) {
            char env[CONFIG_ENV_NAME_MAX];
            config_option_env(o, env, sizeof(env));
            fprintf(out, "`%s`%s%s%s | ", env, o->old_env ? " (formerly `" : "", o->old_env ? o->old_env : "",
                    o->old_env ? "`)" : "");
            fprintf(out, "%s", o->def && *o->def ? "`" : "");
            cell(out, o->def && *o->def ? o->def : "(none)");
            fprintf(out, "%s | %s | ", o->def && *o->def ? "`" : "", (o->flags & OPT_F_RESTART) ? "restart" : "yes");
        } else {
            fprintf(out, " |  |  | ");
        }
        cell(out, o->help);
        fprintf(out, "%s", o->kind == OPT_LIST ? "; repeatable" : "");
        if (o->see)
            fprintf(out, " ([more](%s))", o->see);
        fprintf(out, " |\n");
    }
}

void config_print_effective(FILE *out, const struct config_trace *t)
{
    for (size_t i = 0; i < config_option_count; i++) {
        const struct option_spec *o = &config_options[i];
        if (o->kind == OPT_MODE)
            continue;
        enum config_source src = t->row[i].source;
        char origin[128];
        snprintf(origin, sizeof(origin), "(%s%s%s)", source_names[src], src == CONFIG_SOURCE_DEFAULT ? "" : " ",
                 src == CONFIG_SOURCE_DEFAULT ? "" : t->row[i].where);
        const char *s = t->row[i].text;
        if (*s == '\0')
            s = "-";                                         /* none */
        for (bool first = true; *s != '\0'; first = false) { /* a list: one item a line */
            size_t len = strcspn(s, "\n");
            fprintf(out, "  %-20s %-40.*s %s\n", first ? o->name : "", (int)len, s, first ? origin : "");
            s += len + (s[len] == '\n');
        }
    }
}
