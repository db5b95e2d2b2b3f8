/*
 * main.c - otuserver's entry point: the settings, then the master, the
 * health-check client, --check-config, or --help.
 */
#include "compat.h"

#include "access_log.h"
#include "auth.h"
#include "compress_dir.h"
#include "config.h"
#include "config_help.h"
#include "healthcheck.h"
#include "listen.h"
#include "log.h"
#include "master.h"
#include "mime.h"
#include "pages.h"
#include "version.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

extern char **environ;

/* What a reload reads again: the same command line and environment as at start. */
struct start {
    int argc;
    char **argv;
    char **envp;
};

/*
 * Checks what a start needs beyond the values: the root, the password
 * file.  Returns 0, or -1 with a one-line reason in err.
 */
static int validate(const struct config *cfg, char *err, size_t errlen)
{
    char why[256];
    if (config_validate(cfg, err, errlen) < 0)
        return -1;
    if (cfg->basic_auth_file[0] != '\0' && auth_file_check(cfg->basic_auth_file, why, sizeof(why)) < 0) {
        snprintf(err, errlen, "invalid basic auth file '%s' (--basic-auth-file, OTUSERVER_BASIC_AUTH_FILE): %s",
                 cfg->basic_auth_file, why);
        return -1;
    }
    return 0;
}

/* Logs a line of config_keep_restart_only(). */
static void warn_line(const char *line)
{
    LOG_WARN("%s", line);
}

/* Logs what the parse let pass: unknown or deprecated variables, service links. */
static void log_warnings(const struct config *cfg)
{
    for (int i = 0; i < cfg->warnings.count; i++)
        LOG_WARN("%s", cfg->warnings.line[i]);
    if (cfg->warnings.dropped > 0)
        LOG_WARN("%d more configuration warnings not shown", cfg->warnings.dropped);
}

/*
 * Says once, for every worker, when --compress-cache-dir cannot be used:
 * each worker then keeps its own results in memory.
 */
static void check_compress_dir(const struct config *cfg)
{
    if (cfg->compress.n_codings <= 0 || cfg->compress.cache_dir[0] == '\0')
        return;
    struct compress_dir *d = compress_dir_open(cfg->compress.cache_dir, cfg->compress.cache_size);
    if (d == NULL)
        LOG_WARN("--compress-cache-dir %s: %s; each worker keeps its compressed results in memory instead",
                 cfg->compress.cache_dir, strerror(errno));
    compress_dir_close(d);
}

/* The settings' process-wide parts, set before the workers fork. */
static void apply_globals(const struct config *cfg)
{
    log_threshold = cfg->log_level;
    log_set_json(cfg->log_format == ACCESS_LOG_JSON); /* every line a pipeline reads is JSON from here on */
    mime_apply(&cfg->mime);
}

/* master_reload_fn: the settings again, from the same sources (see master.h). */
static int reload(void *arg, const struct config *running, struct config *fresh, char *err, size_t errlen)
{
    const struct start *s = arg;
    if (config_parse(fresh, s->argc, s->argv, s->envp, NULL, err, errlen) < 0 || validate(fresh, err, errlen) < 0)
        return -1;
    listen_fall_back_to_ipv4(fresh->bind_addr, sizeof(fresh->bind_addr));
    log_warnings(fresh);
    config_keep_restart_only(fresh, running, warn_line);
    apply_globals(fresh);
    return 0;
}

/* Warns (on out) about files a setting names under the root that are not there. */
static void check_pages(const struct config *cfg, FILE *out)
{
    char path[PATH_MAX + PAGES_PATH_MAX];
    struct stat st;
    int errors = cfg->pages.error_page_count;
    for (int i = 0; i < errors + cfg->pages.fallback_count; i++) {
        const char *page = i < errors ? cfg->pages.error_pages[i].path : cfg->pages.fallbacks[i - errors].path;
        snprintf(path, sizeof(path), "%s%s", cfg->root, page);
        if (stat(path, &st) < 0)
            fprintf(out, "warning: %s names %s, which is not there (%s)\n", i < errors ? "--error-page" : "--fallback",
                    path, strerror(errno));
    }
}

/*
 * --check-config: everything a start checks, without starting; prints the
 * effective settings and where each came from.  Returns the exit status.
 */
static int check_config(int argc, char **argv)
{
    struct config *cfg = malloc(sizeof(*cfg));
    struct config_trace *trace = calloc(1, sizeof(*trace));
    char err[600];
    int status = 2;
    if (cfg == NULL || trace == NULL) {
        fprintf(stderr, "otuserver: out of memory\n");
        goto done;
    }
    if (config_parse(cfg, argc, argv, environ, trace, err, sizeof(err)) < 0 || validate(cfg, err, sizeof(err)) < 0) {
        fprintf(stderr, "otuserver: %s\n", err);
        goto done;
    }
    if (strcmp(cfg->log_file, "-") != 0 && access(cfg->log_file, W_OK) < 0 && errno != ENOENT)
        fprintf(stdout, "warning: the log file %s is not writable: %s\n", cfg->log_file, strerror(errno));
    for (int i = 0; i < cfg->warnings.count; i++)
        printf("warning: %s\n", cfg->warnings.line[i]);
    check_pages(cfg, stdout);
    printf("otuserver %s: the configuration is valid%s%s\n", OTU_VERSION, cfg->config_file[0] ? "; file " : "",
           cfg->config_file);
    config_print_effective(stdout, trace);
    status = 0;
done:
    free(cfg);
    free(trace);
    return status;
}

/* The modes that do not serve: --help, --version, --healthcheck, --check-config.  Returns the exit status. */
static int run_mode(const struct config *cfg, int argc, char **argv)
{
    switch (cfg->mode) {
    case CONFIG_MODE_HELP: config_print_help(stdout); return 0;
    case CONFIG_MODE_VERSION: printf("otuserver %s\n", OTU_VERSION); return 0;
    case CONFIG_MODE_HEALTHCHECK: return healthcheck_run(cfg);
    case CONFIG_MODE_CHECK: return check_config(argc, argv);
    case CONFIG_MODE_SERVE: break;
    }
    return 0;
}

int main(int argc, char **argv)
{
    static struct start start;
    struct config *cfg = malloc(sizeof(*cfg)); /* master_run() owns it */
    char err[600];
    int status = 2;
    if (cfg == NULL || config_parse(cfg, argc, argv, environ, NULL, err, sizeof(err)) < 0) {
        fprintf(stderr, "otuserver: %s\n", cfg ? err : "out of memory");
        goto done;
    }
    if (cfg->mode != CONFIG_MODE_SERVE) {
        status = run_mode(cfg, argc, argv);
        goto done;
    }
    if (validate(cfg, err, sizeof(err)) < 0) {
        fprintf(stderr, "otuserver: %s\n", err);
        goto done;
    }
    if (log_open(cfg->log_file) < 0) {
        fprintf(stderr, "otuserver: invalid log file '%s' (-f, OTUSERVER_LOG_FILE): %s\n", cfg->log_file,
                strerror(errno));
        goto done;
    }
    apply_globals(cfg);
    log_warnings(cfg);
    check_compress_dir(cfg);
    if (listen_fall_back_to_ipv4(cfg->bind_addr, sizeof(cfg->bind_addr)))
        LOG_INFO("this kernel has no IPv6: listening on 0.0.0.0 instead of ::");
    signal(SIGPIPE, SIG_IGN); /* a client that goes away is an errno, not a death */
    start = (struct start){argc, argv, environ};
    return master_run(cfg, reload, &start);
done:
    free(cfg);
    return status;
}
