/*
 * main.c - otuserver's entry point: configuration, log, then the master.
 */
#include "compat.h"

#include "auth.h"
#include "config.h"
#include "healthcheck.h"
#include "log.h"
#include "master.h"
#include "mime.h"
#include "version.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The process environment, in the shape config_parse() takes. */
static const char *env_lookup(const char *name)
{
    return getenv(name);
}

int main(int argc, char **argv)
{
    struct config cfg;
    char err[512];
    if (config_parse(&cfg, argc, argv, env_lookup, err, sizeof(err)) != 0) {
        fprintf(stderr, "otuserver: %s\n", err);
        return 2;
    }
    switch (cfg.mode) {
    case CONFIG_MODE_HELP:
        config_print_help(stdout);
        return 0;
    case CONFIG_MODE_VERSION:
        printf("otuserver %s\n", OTU_VERSION);
        return 0;
    case CONFIG_MODE_HEALTHCHECK:
        return healthcheck_run(&cfg);
    case CONFIG_MODE_SERVE:
        break;
    }
    if (config_validate(&cfg, err, sizeof(err)) != 0) {
        fprintf(stderr, "otuserver: %s\n", err);
        return 2;
    }
    if (cfg.basic_auth_file[0] != '\0' && auth_file_check(cfg.basic_auth_file, err, sizeof(err)) < 0) {
        fprintf(stderr, "otuserver: invalid basic auth file '%s' (--basic-auth-file, "
                        "OTUSERVER_BASIC_AUTH_FILE): %s\n", cfg.basic_auth_file, err);
        return 2;
    }
    if (log_open(cfg.log_file) < 0) {
        fprintf(stderr, "otuserver: invalid log file '%s' (-f, OTUSERVER_LOG_FILE): %s\n",
                cfg.log_file, strerror(errno));
        return 2;
    }
    log_threshold = cfg.log_level;
    for (int i = 0; i < cfg.mime_count; i++)
        mime_override(cfg.mime[i].ext, cfg.mime[i].type); /* checked by config_parse */
    if (cfg.warning[0] != '\0')
        LOG_WARN("%s", cfg.warning);
    if (config_fall_back_to_ipv4(&cfg))
        LOG_INFO("this kernel has no IPv6: listening on 0.0.0.0 instead of ::");
    signal(SIGPIPE, SIG_IGN); /* a client that goes away is an errno, not a death */
    return master_run(&cfg);
}
