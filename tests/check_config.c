/*
 * check_config.c - the option table and its engine: the rows, defaults,
 * the configuration file, variables, flags, precedence, names derived and
 * deprecated, warnings, bad values, the trace and what a reload keeps.
 */
#include "compat.h"

#include "config.h"
#include "config_help.h"
#include "config_options.h"
#include "host.h"
#include "listen.h"
#include "log.h"

#include "check_run.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct config cfg;
static char err[700];
static char dir[] = "/tmp/otu-check-config.XXXXXX";
static char file_path[300];

/* Parses argv (NULL-terminated, without argv[0]) under env (NAME=value, NULL-terminated); returns the rc. */
static int parse_traced(const char *const *env, const char *const *args, struct config_trace *trace)
{
    char *argv[40];
    int argc = 0;
    argv[argc++] = (char *)"otuserver";
    for (; args && *args; args++)
        argv[argc++] = (char *)*args;
    argv[argc] = NULL;
    return config_parse(&cfg, argc, argv, (char **)env, trace, err, sizeof(err));
}

static int parse(const char *const *env, const char *const *args)
{
    return parse_traced(env, args, NULL);
}

/* Writes text as the configuration file; returns its path. */
static const char *write_file(const char *text)
{
    FILE *f = fopen(file_path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    return file_path;
}

/* Parses with the file holding text, plus args; returns the rc. */
static int parse_file(const char *text, const char *const *env, const char *a1, const char *a2)
{
    const char *args[] = {"--config", write_file(text), a1, a2, NULL};
    return parse(env, args);
}

/* True when one of cfg.warnings has s. */
static bool warned(const char *s)
{
    for (int i = 0; i < cfg.warnings.count; i++) {
        if (strstr(cfg.warnings.line[i], s) != NULL)
            return true;
    }
    return false;
}

static void setup(void)
{
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(file_path, sizeof(file_path), "%s/otuserver.yaml", dir);
}

static void teardown(void)
{
    unlink(file_path);
    rmdir(dir);
    strcpy(dir + strlen(dir) - 6, "XXXXXX");
}

/* ---- the rows ---- */

/* Every row is whole: a help line, the parts its type needs, a variable derived from its flag. */
START_TEST(test_rows_are_complete)
{
    for (size_t i = 0; i < config_option_count; i++) {
        const struct option_spec *o = &config_options[i];
        ck_assert_msg(o->help && *o->help, "%s has no help", o->name);
        ck_assert_msg(o->kind != OPT_LIST || (o->parse && o->clear), "%s: a list without parse/clear", o->name);
        ck_assert_msg(o->kind != OPT_VALUE || o->parse, "%s: a value without parse", o->name);
        ck_assert_msg(o->kind != OPT_ENUM || o->names, "%s: an enum without names", o->name);
        ck_assert_msg(o->kind != OPT_MODE || (o->flags & OPT_F_NOENV), "%s: a mode with a variable", o->name);
        ck_assert_msg(o->kind == OPT_MODE || o->size > 0, "%s: no field", o->name);
        ck_assert_msg(o->offset + o->size <= sizeof(struct config), "%s: outside struct config", o->name);
        char env[CONFIG_ENV_NAME_MAX], want[CONFIG_ENV_NAME_MAX];
        config_option_env(o, env, sizeof(env));
        size_t n = (size_t)snprintf(want, sizeof(want), "OTUSERVER_%s", o->name);
        for (size_t k = 10; k < n; k++)
            want[k] = want[k] == '-' ? '_' : (char)(want[k] >= 'a' && want[k] <= 'z' ? want[k] - 32 : want[k]);
        ck_assert_str_eq(env, want);
        for (size_t k = i + 1; k < config_option_count; k++)
            ck_assert_msg(strcmp(o->name, config_options[k].name) != 0, "%s twice", o->name);
    }
}
END_TEST

/* Each row's variable sets it: the same value through the variable and the flag gives the same bytes. */
START_TEST(test_every_variable_is_its_flag)
{
    /* laid out by hand, packed: one pair per option: */
    /* clang-format off */
    static const struct {
        const char *name, *value;
    } samples[] = {
        {"port", "8081"}, {"workers", "3"}, {"log-level", "debug"}, {"log-format", "json"}, {"root", "/srv"},
        {"log-file", "-"}, {"bind", "::1"}, {"server-tokens", "off"}, {"grace-period", "3s"},
        {"max-head-size", "4k"}, {"max-headers", "7"}, {"header-timeout", "2s"}, {"keepalive-timeout", "0"},
        {"keepalive-requests", "9"}, {"send-timeout", "5s"}, {"max-connections", "11"}, {"file-cache", "0"}, {"etag-hash-max", "1m"}, {"try-ext", ".html"}, {"clean-urls-redirect", "on"},
        {"serve-dotfiles", "on"}, {"cache-control", "*.html=no-cache"}, {"metrics-port", "9100"},
        {"fallback", "/index.html"}, {"mime", "yaml=text/yaml"}, {"error-page", "404=/404.html"},
        {"header", "X-A: 1"}, {"cors-origins", "https://a.example"}, {"cors-headers", "Range"},
        {"cors-max-age", "5"}, {"redirect", "/a=/b"}, {"index", "a.html"}, {"charset", "utf-8"},
        {"autoindex", "yes"}, {"health-path", "/healthz"}, {"basic-auth-file", "/x"}, {"basic-auth-realm", "R"},
        {"compress", "off"}, {"compress-types", "text/html"}, {"compress-min-size", "2k"},
        {"compress-max-size", "2m"}, {"compress-cache-size", "64k"}, {"compress-level", "9"},
        {"compress-cache-dir", "/var/cache/x"},
        {"healthcheck-path", "/x?y"}, {"trusted-proxies", "10.0.0.0/8,fd00::/8"},
        {"real-ip-header", "x-forwarded-for"}, {"proxy-protocol", "on"}, {"request-id", "yes"},
    };
    /* clang-format on */
    static struct config via_env, via_flag;
    size_t rows_with_env = 0;
    for (size_t i = 0; i < config_option_count; i++)
        rows_with_env += !(config_options[i].flags & (OPT_F_NOENV | OPT_F_NOFILE));
    ck_assert_uint_eq(OTU_ARRAY_LEN(samples), rows_with_env); /* a new row needs a sample here */
    for (size_t i = 0; i < OTU_ARRAY_LEN(samples); i++) {
        const struct option_spec *o = config_option_find(samples[i].name, strlen(samples[i].name));
        ck_assert_msg(o != NULL, "no row %s", samples[i].name);
        char env[CONFIG_ENV_NAME_MAX + 128], flag[160];
        config_option_env(o, env, sizeof(env));
        snprintf(env + strlen(env), sizeof(env) - strlen(env), "=%s", samples[i].value);
        snprintf(flag, sizeof(flag), "--%s=%s", samples[i].name, samples[i].value);
        const char *envs[] = {env, NULL}, *flags[] = {flag, NULL};
        ck_assert_msg(parse(envs, NULL) == 0, "%s: %s", env, err);
        via_env = cfg;
        ck_assert_msg(parse(NULL, flags) == 0, "%s: %s", flag, err);
        via_flag = cfg;
        ck_assert_msg(memcmp((char *)&via_env + o->offset, (char *)&via_flag + o->offset, o->size) == 0,
                      "%s: the variable and the flag differ", samples[i].name);
        ck_assert_int_eq(parse(NULL, NULL), 0);
        ck_assert_msg(memcmp((char *)&via_env + o->offset, (char *)&cfg + o->offset, o->size) != 0,
                      "%s: the sample is the default, so it proves nothing", samples[i].name);
    }
}
END_TEST

START_TEST(test_defaults)
{
    ck_assert_int_eq(parse(NULL, NULL), 0);
    ck_assert_int_eq(cfg.port, 80);
    ck_assert_int_eq(cfg.workers, 4);
    ck_assert(!cfg.workers_auto);
    ck_assert_int_eq(cfg.log_level, LOG_LEVEL_INFO);
    ck_assert_str_eq(cfg.root, "./DOCUMENT_ROOT");
    ck_assert_str_eq(cfg.log_file, "./httpd.log");
    ck_assert_str_eq(cfg.bind_addr, "::");
    ck_assert(cfg.server_tokens);
    ck_assert_int_eq(cfg.mime.count, 0);
    ck_assert_int_eq(cfg.pages.index_count, 1);
    ck_assert_str_eq(cfg.pages.index_names[0], "index.html");
    ck_assert_str_eq(cfg.mime.charset, "");
    ck_assert_int_eq(cfg.warnings.count, 0);
    ck_assert_int_eq(cfg.grace_ms, 10000);
    ck_assert_int_eq(cfg.max_head_size, 8192);
    ck_assert_int_eq(cfg.max_headers, 100);
    ck_assert_int_eq(cfg.header_timeout_ms, 10000);
    ck_assert_int_eq(cfg.keepalive_timeout_ms, 5000);
    ck_assert_int_eq(cfg.keepalive_requests, 1000);
    ck_assert_int_eq(cfg.send_timeout_ms, 60000);
    ck_assert(!cfg.serve_dotfiles);
    ck_assert_str_eq(cfg.headers.cache_control, "");
    ck_assert_str_eq(cfg.healthcheck_path, "");
    ck_assert_str_eq(cfg.health_path, ""); /* off */
    ck_assert_str_eq(config_probe_path(&cfg), "/");
    ck_assert_int_eq(cfg.metrics_port, 0);
    ck_assert_str_eq(cfg.config_file, "");
    ck_assert_int_eq(cfg.mode, CONFIG_MODE_SERVE);
    ck_assert_int_eq(cfg.compress.n_codings, 3); /* zstd,br,gzip: the server's preference */
    ck_assert_int_eq(cfg.compress.codings[0], CODING_ZSTD);
    ck_assert_int_eq(cfg.compress.codings[1], CODING_BR);
    ck_assert_int_eq(cfg.compress.codings[2], CODING_GZIP);
    ck_assert_int_eq(cfg.compress.levels[CODING_ZSTD], 3);
    ck_assert_int_eq(cfg.compress.levels[CODING_BR], 5);
    ck_assert_int_eq(cfg.compress.levels[CODING_GZIP], 6);
    ck_assert_int_eq(cfg.compress.max_size, 64 * 1024 * 1024);
    ck_assert_str_eq(cfg.compress.cache_dir, "");
    ck_assert_ptr_nonnull(strstr(cfg.compress.types, "image/svg+xml"));
    ck_assert_str_eq(cfg.cors.allow_headers, "Range, If-None-Match, If-Modified-Since, If-Range");
}
END_TEST

/* --healthcheck requests --healthcheck-path, else --health-path, else /. */
START_TEST(test_probe_path_precedence)
{
    const char *env_health[] = {"OTUSERVER_HEALTH_PATH=/healthz", NULL};
    ck_assert_int_eq(parse(env_health, NULL), 0);
    ck_assert_str_eq(config_probe_path(&cfg), "/healthz");
    const char *env_both[] = {"OTUSERVER_HEALTH_PATH=/healthz", "OTUSERVER_HEALTHCHECK_PATH=/index.html", NULL};
    ck_assert_int_eq(parse(env_both, NULL), 0);
    ck_assert_str_eq(config_probe_path(&cfg), "/index.html");
    const char *off[] = {"--health-path", "", NULL}; /* empty turns it off */
    ck_assert_int_eq(parse(env_health, off), 0);
    ck_assert_str_eq(cfg.health_path, "");
    ck_assert_str_eq(config_probe_path(&cfg), "/");
}
END_TEST

START_TEST(test_classic_flags)
{
    const char *args[] = {"-p", "8080", "-w", "2", "-l", "debug", "-r", "/srv", "-f", "-", "-b", "::1", NULL};
    ck_assert_int_eq(parse(NULL, args), 0);
    ck_assert_int_eq(cfg.port, 8080);
    ck_assert_int_eq(cfg.workers, 2);
    ck_assert_int_eq(cfg.log_level, LOG_LEVEL_DEBUG);
    ck_assert_str_eq(cfg.root, "/srv");
    ck_assert_str_eq(cfg.log_file, "-");
    ck_assert_str_eq(cfg.bind_addr, "::1");
}
END_TEST

START_TEST(test_long_forms)
{
    const char *args[] = {"--port=81",
                          "--workers",
                          "3",
                          "--level_log=warn",
                          "--root_document",
                          "/a",
                          "--file_log=/tmp/x.log",
                          "--bind=127.0.0.1",
                          "--header-timeout=500ms",
                          "--keepalive-timeout",
                          "0",
                          "--grace-period=2m",
                          "--serve-dotfiles",
                          "--cache-control=public, max-age=60",
                          "-p82",
                          "--autoindex",
                          "--autoindex=off",
                          NULL};
    ck_assert_int_eq(parse(NULL, args), 0);
    ck_assert_int_eq(cfg.port, 82);
    ck_assert_int_eq(cfg.workers, 3);
    ck_assert_int_eq(cfg.log_level, LOG_LEVEL_WARN);
    ck_assert_int_eq(cfg.header_timeout_ms, 500);
    ck_assert_int_eq(cfg.keepalive_timeout_ms, 0);
    ck_assert_int_eq(cfg.grace_ms, 120000);
    ck_assert(cfg.serve_dotfiles);
    ck_assert(!cfg.autoindex); /* a switch takes =off */
    ck_assert_str_eq(cfg.headers.cache_control, "public, max-age=60");
}
END_TEST

/* The one boolean vocabulary, for every boolean. */
START_TEST(test_one_boolean_vocabulary)
{
    static const char *const yes[] = {"on", "true", "yes", "1"}, *const no[] = {"off", "false", "no", "0"};
    for (size_t i = 0; i < 4; i++) {
        char a[64], b[64], c[64];
        snprintf(a, sizeof(a), "OTUSERVER_AUTOINDEX=%s", yes[i]);
        snprintf(b, sizeof(b), "OTUSERVER_SERVE_DOTFILES=%s", yes[i]);
        snprintf(c, sizeof(c), "OTUSERVER_SERVER_TOKENS=%s", no[i]);
        const char *env[] = {a, b, c, NULL};
        ck_assert_int_eq(parse(env, NULL), 0);
        ck_assert(cfg.autoindex && cfg.serve_dotfiles && !cfg.server_tokens);
        const char *flags[] = {"--autoindex", no[i], NULL}; /* a switch's value must come with '=' */
        ck_assert_int_eq(parse(NULL, flags), 0);
        ck_assert_str_eq(cfg.root, no[i]); /* so this is the root argument */
    }
}
END_TEST

START_TEST(test_env_and_precedence)
{
    const char *env[] = {"OTUSERVER_PORT=9000",           "OTUSERVER_WORKERS=auto",  "OTUSERVER_LOG_LEVEL=error",
                         "OTUSERVER_ROOT=/env",           "OTUSERVER_LOG_FILE=-",    "OTUSERVER_BIND=::",
                         "OTUSERVER_SERVE_DOTFILES=true", "OTUSERVER_MAX_HEADERS=5", NULL};
    ck_assert_int_eq(parse(env, NULL), 0);
    ck_assert_int_eq(cfg.port, 9000);
    ck_assert(cfg.workers_auto);
    ck_assert_int_eq(cfg.workers, host_cpu_count());
    ck_assert_int_eq(cfg.log_level, LOG_LEVEL_ERROR);
    ck_assert_str_eq(cfg.root, "/env");
    ck_assert(cfg.serve_dotfiles);
    ck_assert_int_eq(cfg.max_headers, 5);
    const char *args[] = {"-p", "9001", "--workers", "1", NULL};
    ck_assert_int_eq(parse(env, args), 0);
    ck_assert_int_eq(cfg.port, 9001); /* flag beats variable */
    ck_assert_int_eq(cfg.workers, 1);
    ck_assert_str_eq(cfg.root, "/env"); /* variable beats default */
    const char *empty[] = {"OTUSERVER_PORT=", NULL};
    ck_assert_int_eq(parse(empty, NULL), 0);
    ck_assert_int_eq(cfg.port, 80); /* an empty variable counts as unset */
}
END_TEST

/* ---- names: deprecated, unknown, service links ---- */

START_TEST(test_deprecated_names)
{
    static const char *const pairs[][3] = {{"OTUSERVER_HEADERS", "OTUSERVER_HEADER", "X-A: 1"},
                                           {"OTUSERVER_MIME_TYPES", "OTUSERVER_MIME", "a=x/a"},
                                           {"OTUSERVER_ERROR_PAGES", "OTUSERVER_ERROR_PAGE", "404=/e.html"},
                                           {"OTUSERVER_REDIRECTS", "OTUSERVER_REDIRECT", "/a=/b"}};
    for (size_t i = 0; i < OTU_ARRAY_LEN(pairs); i++) {
        char old[128], fresh[128];
        snprintf(old, sizeof(old), "%s=%s", pairs[i][0], pairs[i][2]);
        const char *only_old[] = {old, NULL};
        ck_assert_int_eq(parse(only_old, NULL), 0);
        ck_assert_int_eq(cfg.warnings.count, 1);
        ck_assert_msg(warned(pairs[i][0]) && warned(pairs[i][1]) && warned("deprecated"), "%s", cfg.warnings.line[0]);
        ck_assert(cfg.headers.headers[0] || cfg.mime.count || cfg.pages.error_page_count || cfg.redirects.count);
        /* both set: the new name wins, one warning names both */
        snprintf(fresh, sizeof(fresh), "%s=%s", pairs[i][1],
                 i == 0   ? "X-B: 2"
                 : i == 1 ? "b=x/b"
                 : i == 2 ? "403=/f.html"
                          : "/c=/d");
        const char *both[] = {old, fresh, NULL};
        ck_assert_int_eq(parse(both, NULL), 0);
        ck_assert_int_eq(cfg.warnings.count, 1);
        ck_assert(warned(pairs[i][0]) && warned(pairs[i][1]) && warned("ignored"));
    }
    ck_assert_str_eq(cfg.redirects.rule[0].from, "/c"); /* the new name's value */
    const char *both_headers[] = {"OTUSERVER_HEADERS=X-Old: 1", "OTUSERVER_HEADER=X-New: 1", NULL};
    ck_assert_int_eq(parse(both_headers, NULL), 0);
    ck_assert_str_eq(cfg.headers.headers, "X-New: 1\r\n");
}
END_TEST

START_TEST(test_unknown_variables_warn_with_a_suggestion)
{
    const char *env[] = {"OTUSERVER_HEADR=X-A: 1",
                         "OTUSERVER_MIMES=a=x/a",
                         "OTUSERVER_COMPRESS_LEVLE=3",
                         "OTUSERVER_XYZZY_QUUX=1",
                         "OTHER_VAR=1",
                         "OTUSERVER_CONFIG=",
                         NULL};
    ck_assert_int_eq(parse(env, NULL), 0); /* a warning, not an error */
    ck_assert_int_eq(cfg.warnings.count, 4);
    ck_assert(warned("OTUSERVER_HEADR ignored (did you mean OTUSERVER_HEADER?)"));
    ck_assert(warned("OTUSERVER_MIMES ignored (did you mean OTUSERVER_MIME?)"));
    ck_assert(warned("OTUSERVER_COMPRESS_LEVLE ignored (did you mean OTUSERVER_COMPRESS_LEVEL?)"));
    ck_assert(warned("OTUSERVER_XYZZY_QUUX ignored (see otuserver --help"));
    ck_assert(!warned("OTHER_VAR") && !warned("OTUSERVER_CONFIG"));
}
END_TEST

/* What Kubernetes injects for Services named otuserver... stays quiet; a link on a real setting warns once. */
START_TEST(test_service_links)
{
    const char *quiet[] = {"OTUSERVER_SERVICE_HOST=10.0.0.7",
                           "OTUSERVER_SERVICE_PORT=80",
                           "OTUSERVER_SERVICE_PORT_HTTP=80",
                           "OTUSERVER_PORT_80_TCP=tcp://10.0.0.7:80",
                           "OTUSERVER_PORT_80_TCP_PROTO=tcp",
                           "OTUSERVER_PORT_80_TCP_PORT=80",
                           "OTUSERVER_PORT_80_TCP_ADDR=10.0.0.7",
                           "OTUSERVER_WEB_SERVICE_HOST=10.0.0.9",
                           "OTUSERVER_WEB_PORT=tcp://10.0.0.9:80",
                           "OTUSERVER_WEB_PORT_8080_TCP_ADDR=10.0.0.9",
                           "OTUSERVER_METRICS_SERVICE_PORT_METRICS=8937",
                           NULL};
    ck_assert_int_eq(parse(quiet, NULL), 0);
    ck_assert_msg(cfg.warnings.count == 0, "%s", cfg.warnings.line[0]);
    const char *loud[] = {"OTUSERVER_PORT=tcp://10.0.0.7:80", "OTUSERVER_METRICS_PORT=tcp://10.0.0.8:8937", NULL};
    ck_assert_int_eq(parse(loud, NULL), 0);
    ck_assert_int_eq(cfg.port, 80);
    ck_assert_int_eq(cfg.metrics_port, 0);
    ck_assert_int_eq(cfg.warnings.count, 1); /* one line, naming both */
    ck_assert(warned("ignoring OTUSERVER_PORT=tcp://10.0.0.7:80"));
    ck_assert(warned("(also OTUSERVER_METRICS_PORT)"));
    const char *with_flag[] = {"-p", "8080", NULL};
    ck_assert_int_eq(parse(loud, with_flag), 0);
    ck_assert_int_eq(cfg.port, 8080);
}
END_TEST

/* ---- the root as an argument ---- */

START_TEST(test_positional_root)
{
    const char *one[] = {"./public", NULL};
    ck_assert_int_eq(parse(NULL, one), 0);
    ck_assert_str_eq(cfg.root, "./public");
    const char *after[] = {"-p", "81", "--", "-dir", NULL}; /* after "--" even a dash name is the root */
    ck_assert_int_eq(parse(NULL, after), 0);
    ck_assert_str_eq(cfg.root, "-dir");
    const char *env[] = {"OTUSERVER_ROOT=/env", NULL};
    ck_assert_int_eq(parse(env, one), 0);
    ck_assert_str_eq(cfg.root, "./public"); /* as a flag: over the variable */
    const char *both[] = {"-r", "/a", "/b", NULL};
    ck_assert_int_eq(parse(NULL, both), -1);
    ck_assert_ptr_nonnull(strstr(err, "given twice"));
    const char *two[] = {"/a", "/b", NULL};
    ck_assert_int_eq(parse(NULL, two), -1);
    ck_assert_ptr_nonnull(strstr(err, "unexpected second argument '/b'"));
}
END_TEST

/* ---- the configuration file ---- */

/* One key of each value type, a list as a sequence and as a scalar. */
START_TEST(test_file_value_types)
{
    ck_assert_int_eq(parse_file("# a site\n"
                                "port: 8080\n"                   /* int */
                                "workers: auto\n"                /* int keyword */
                                "compress-max-size: 2m\n"        /* size */
                                "keepalive-timeout: 750ms\n"     /* duration */
                                "autoindex: yes\n"               /* bool */
                                "server-tokens: off\n"           /* bool: off, never YAML's false */
                                "compress: off\n"                /* enum: the word, not a boolean */
                                "log-format: json\n"             /* enum */
                                "root: /srv/www\n"               /* path */
                                "health-path: /healthz\n"        /* request path */
                                "basic-auth-realm: Staff area\n" /* text */
                                "bind: '[::1]'\n"                /* value by the feature's parser */
                                "metrics-port: \"9100\"\n"       /* quoted: the same text */
                                "cache-control:\n"               /* a list as a sequence */
                                "  - '*.html=no-cache'\n"
                                "  - /assets/*=public, max-age=31536000, immutable\n"
                                "cors-origins: https://a.example, http://localhost:3000\n" /* as a scalar */
                                "header: |\n" /* a block scalar: one per line */
                                "  X-Frame-Options: DENY\n"
                                "  /embed/*=X-Frame-Options: SAMEORIGIN\n",
                                NULL, NULL, NULL),
                     0);
    ck_assert_int_eq(cfg.port, 8080);
    ck_assert(cfg.workers_auto);
    ck_assert_int_eq(cfg.compress.max_size, 2 * 1024 * 1024);
    ck_assert_int_eq(cfg.keepalive_timeout_ms, 750);
    ck_assert(cfg.autoindex);
    ck_assert(!cfg.server_tokens);
    ck_assert_int_eq(cfg.compress.n_codings, -1);
    ck_assert_int_eq(cfg.log_format, 2);
    ck_assert_str_eq(cfg.root, "/srv/www");
    ck_assert_str_eq(cfg.health_path, "/healthz");
    ck_assert_str_eq(cfg.basic_auth_realm, "Staff area");
    ck_assert_str_eq(cfg.bind_addr, "::1");
    ck_assert_int_eq(cfg.metrics_port, 9100);
    ck_assert_int_eq(cfg.headers.cache_rules.count, 2); /* a sequence item keeps its commas */
    ck_assert_str_eq(path_rules_first(&cfg.headers.cache_rules, "/assets/a.js", NULL),
                     "public, max-age=31536000, immutable");
    ck_assert_int_eq(cfg.cors.origin_count, 2);
    ck_assert_str_eq(cfg.headers.headers, "X-Frame-Options: DENY\r\n");
    ck_assert_int_eq(cfg.headers.header_rules.count, 1);
    ck_assert_str_eq(cfg.config_file, file_path);
}
END_TEST

/* Precedence: flags > variables > file > defaults; a higher source's list replaces the lower's. */
START_TEST(test_file_precedence)
{
    const char *text = "port: 8080\nroot: /file\nmime: [a=x/a, b=x/b]\nredirect:\n  - /f=/g\nindex: [x.html]\n";
    ck_assert_int_eq(parse_file(text, NULL, NULL, NULL), 0);
    ck_assert_int_eq(cfg.port, 8080);
    ck_assert_int_eq(cfg.mime.count, 2);
    ck_assert_str_eq(cfg.pages.index_names[0], "x.html");
    ck_assert_int_eq(cfg.pages.index_count, 1); /* the file's list replaced the default's */
    const char *env[] = {"OTUSERVER_PORT=9000", "OTUSERVER_MIME=c=x/c", NULL};
    ck_assert_int_eq(parse_file(text, env, NULL, NULL), 0);
    ck_assert_int_eq(cfg.port, 9000);    /* variable over file */
    ck_assert_str_eq(cfg.root, "/file"); /* file over default */
    ck_assert_int_eq(cfg.mime.count, 1); /* the variable's list replaces the file's */
    ck_assert_str_eq(cfg.mime.entry[0].ext, "c");
    ck_assert_int_eq(cfg.redirects.count, 1); /* untouched by the variables */
    ck_assert_int_eq(parse_file(text, env, "--mime=d=x/d", "-p9001"), 0);
    ck_assert_int_eq(cfg.port, 9001); /* flag over variable */
    ck_assert_int_eq(cfg.mime.count, 1);
    ck_assert_str_eq(cfg.mime.entry[0].ext, "d");
    /* the file named by the variable; a flag names another */
    char env_config[400];
    snprintf(env_config, sizeof(env_config), "OTUSERVER_CONFIG=%s", write_file("port: 7000\n"));
    const char *via_env[] = {env_config, NULL};
    ck_assert_int_eq(parse(via_env, NULL), 0);
    ck_assert_int_eq(cfg.port, 7000);
    const char *none[] = {"--config", "", NULL};
    ck_assert_int_eq(parse(via_env, none), 0);
    ck_assert_int_eq(cfg.port, 80);                        /* --config '' reads no file */
    ck_assert_int_eq(parse_file("", NULL, NULL, NULL), 0); /* an empty file */
    ck_assert_int_eq(parse_file("---\n...\n", NULL, NULL, NULL), 0);
    ck_assert_int_eq(parse_file("cors-origins: []\n", NULL, NULL, NULL), 0); /* an empty list */
}
END_TEST

struct bad_file {
    const char *text;
    int line; /* the line the error names */
    const char *must_say;
};

static const struct bad_file bad_files[] = {
    {"port: 80\nprot: 81\n", 2, "unknown setting 'prot' (did you mean 'port'?)"},
    {"help: true\n", 1, "unknown setting 'help'"},
    {"config: other.yaml\n", 1, "unknown setting 'config'"},
    {"level_log: debug\n", 1, "unknown setting"}, /* aliases are flags only */
    {"port: 80\nroot: /a\nport: 81\n", 3, "'port' is set twice"},
    {"port: [80, 81]\n", 1, "'port' takes one value, not a list"},
    {"port: 80\n  bad\n", 1, "invalid value"},
    {"port: 8O\n", 1, "invalid value '8O' for port: expected a number from 1 to 65535"},
    {"root: /a\ncors-origins:\n  - https://a.example\n  - ftp://x\n", 4, "cors-origins"},
    {"- a\n- b\n", 1, "must be a mapping"},
    {"just text\n", 1, "must be a mapping"},
    {"header:\n  X-A: 1\n", 2, "not a mapping"},
    {"mime:\n  - [a=x/a]\n", 2, "a list item must be a single value"},
    {"root: &r /a\nfallback: *r\n", 2, "aliases"},
    {"port: 80\n---\nport: 81\n", 2, "one document only"},
    {"port: 80\n\tbad: [\n", 2, "malformed YAML"},
    {"key: 'unterminated\n", 2, "malformed YAML"},
    {"[port]: 80\n", 1, "a key must be a setting name"},
    {"autoindex: maybe\n", 1, "on|off"},
};

START_TEST(test_file_errors_name_file_and_line)
{
    const struct bad_file *b = &bad_files[_i];
    ck_assert_int_eq(parse_file(b->text, NULL, NULL, NULL), -1);
    char want[400];
    snprintf(want, sizeof(want), "%s:%d: ", file_path, b->line);
    ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "'%s' does not start with '%s'", err, want);
    ck_assert_msg(strstr(err, b->must_say) != NULL, "'%s' lacks '%s'", err, b->must_say);
    ck_assert_msg(strchr(err, '\n') == NULL, "error is not one line: %s", err);
}
END_TEST

START_TEST(test_file_missing_or_too_big)
{
    const char *missing[] = {"--config", "/nonexistent/otuserver.yaml", NULL};
    ck_assert_int_eq(parse(NULL, missing), -1);
    ck_assert_ptr_nonnull(strstr(err, "/nonexistent/otuserver.yaml: cannot read the configuration file"));
    const char *a_dir[] = {"--config", "/tmp", NULL};
    ck_assert_int_eq(parse(NULL, a_dir), -1);
    ck_assert_ptr_nonnull(strstr(err, "not a regular file"));
}
END_TEST

/* ---- what --check-config shows ---- */

START_TEST(test_trace_names_every_source)
{
    static struct config_trace t;
    const char *env[] = {"OTUSERVER_PORT=9000", NULL};
    const char *args[] = {"--config", write_file("root: /file\nheader:\n  - 'X-A: 1'\n  - 'X-B: 2'\n"), "-w", "2",
                          NULL};
    memset(&t, 0, sizeof(t));
    ck_assert_int_eq(parse_traced(env, args, &t), 0);
    size_t port = (size_t)(config_option_find("port", 4) - config_options);
    size_t root = (size_t)(config_option_find("root", 4) - config_options);
    size_t hdr = (size_t)(config_option_find("header", 6) - config_options);
    size_t wrk = (size_t)(config_option_find("workers", 7) - config_options);
    size_t lvl = (size_t)(config_option_find("log-level", 9) - config_options);
    ck_assert_int_eq(t.row[port].source, CONFIG_SOURCE_ENV);
    ck_assert_str_eq(t.row[port].where, "OTUSERVER_PORT");
    ck_assert_str_eq(t.row[port].text, "9000");
    ck_assert_int_eq(t.row[root].source, CONFIG_SOURCE_FILE);
    char where[400];
    snprintf(where, sizeof(where), "%s:1", file_path);
    ck_assert_str_eq(t.row[root].where, where);
    ck_assert_str_eq(t.row[hdr].text, "X-A: 1\nX-B: 2");
    ck_assert_int_eq(t.row[wrk].source, CONFIG_SOURCE_FLAG);
    ck_assert_str_eq(t.row[wrk].where, "-w");
    ck_assert_int_eq(t.row[lvl].source, CONFIG_SOURCE_DEFAULT);
    ck_assert_str_eq(t.row[lvl].text, "info");
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    config_print_effective(f, &t);
    fclose(f);
    ck_assert_ptr_nonnull(strstr(text, "(variable OTUSERVER_PORT)"));
    ck_assert_ptr_nonnull(strstr(text, "(file "));
    ck_assert_ptr_nonnull(strstr(text, "(flag -w)"));
    ck_assert_ptr_nonnull(strstr(text, "(default)"));
    free(text);
}
END_TEST

/* ---- values ---- */

/* --cache-control: one plain value a source, and PATTERN=VALUE rules. */
START_TEST(test_cache_control_rules)
{
    const char *one[] = {"OTUSERVER_CACHE_CONTROL=public, max-age=3600", NULL};
    ck_assert_int_eq(parse(one, NULL), 0);
    ck_assert_str_eq(cfg.headers.cache_control, "public, max-age=3600"); /* its '=' makes no rule, its ',' no item */
    ck_assert_int_eq(cfg.headers.cache_rules.count, 0);
    const char *spa[] = {"OTUSERVER_CACHE_CONTROL=*.html=no-cache\n"
                         "/assets/*=public, max-age=31536000, immutable\r\n\n  public, max-age=60 \n",
                         NULL};
    ck_assert_int_eq(parse(spa, NULL), 0);
    ck_assert_str_eq(cfg.headers.cache_control, "public, max-age=60");
    ck_assert_int_eq(cfg.headers.cache_rules.count, 2);
    ck_assert_str_eq(path_rules_first(&cfg.headers.cache_rules, "/", "/index.html"), "no-cache");
    const char *flags[] = {"--cache-control", "/api/*=", "--cache-control", "private", NULL};
    ck_assert_int_eq(parse(spa, flags), 0);
    ck_assert_str_eq(cfg.headers.cache_control, "private"); /* the flags replace the variable's list */
    ck_assert_int_eq(cfg.headers.cache_rules.count, 1);
    ck_assert_str_eq(path_rules_first(&cfg.headers.cache_rules, "/api/x", NULL), "");
    const char *two[] = {"--cache-control", "no-store", "--cache-control", "private", NULL};
    ck_assert_int_eq(parse(NULL, two), -1);
    ck_assert_ptr_nonnull(strstr(err, "one plain value"));
}
END_TEST

/* --header: all-paths lines and PATTERN=Name: value rules, within one budget. */
START_TEST(test_header_rules)
{
    const char *env[] = {"OTUSERVER_HEADER=X-Frame-Options: DENY\n/embed/*=X-Frame-Options:SAMEORIGIN\n"
                         "*.html = X-Html: 1",
                         NULL};
    ck_assert_int_eq(parse(env, NULL), 0);
    ck_assert_str_eq(cfg.headers.headers, "X-Frame-Options: DENY\r\n");
    ck_assert_int_eq(cfg.headers.header_rules.count, 2);
    ck_assert_str_eq(path_rules_first(&cfg.headers.header_rules, "/embed/a", NULL), "X-Frame-Options: SAMEORIGIN\r\n");
    const char *flags[] = {"--header", "/embed/*=X-A: 1", NULL};
    ck_assert_int_eq(parse(env, flags), 0);
    ck_assert_str_eq(cfg.headers.headers, "");
    ck_assert_int_eq(cfg.headers.header_rules.count, 1);
    static char big[PATH_HEADERS_MAX + 512];
    int n = snprintf(big, sizeof(big), "OTUSERVER_HEADER=X-All: %0900d\n/a=X-A: %0900d\n", 0, 0);
    const char *fits[] = {big, NULL};
    ck_assert_int_eq(parse(fits, NULL), 0);
    snprintf(big + n, sizeof(big) - (size_t)n, "/b=X-B: %0300d", 0);
    ck_assert_int_eq(parse(fits, NULL), -1);
    ck_assert_ptr_nonnull(strstr(err, "at most 2047 bytes in all"));
}
END_TEST

START_TEST(test_rule_limits)
{
    static char v[PATH_RULES_MAX * 16 + 64];
    int n = snprintf(v, sizeof(v), "OTUSERVER_CACHE_CONTROL=");
    for (int i = 0; i < PATH_RULES_MAX; i++)
        n += snprintf(v + n, sizeof(v) - (size_t)n, "/p%d/*=no-cache\n", i);
    const char *env[] = {v, NULL};
    ck_assert_int_eq(parse(env, NULL), 0);
    ck_assert_int_eq(cfg.headers.cache_rules.count, PATH_RULES_MAX);
    snprintf(v + n, sizeof(v) - (size_t)n, "/one-more=no-cache");
    ck_assert_int_eq(parse(env, NULL), -1);
    ck_assert_ptr_nonnull(strstr(err, "at most 32 rules"));
}
END_TEST

START_TEST(test_bind_tokens_mime_cors_redirects)
{
    const char *v6[] = {
        "-b", "[::1]", "--server-tokens", "off", "--mime", "yaml=text/yaml", "--mime", ".Foo=application/x-foo", NULL};
    ck_assert_int_eq(parse(NULL, v6), 0);
    ck_assert_str_eq(cfg.bind_addr, "::1");
    ck_assert(!cfg.server_tokens);
    ck_assert_int_eq(cfg.mime.count, 2);
    ck_assert_str_eq(cfg.mime.entry[1].ext, "Foo");
    const char *cors[] = {"OTUSERVER_CORS_ORIGINS=https://App.Example, http://localhost:3000,http://[::1]:8080",
                          "OTUSERVER_CORS_HEADERS=Content-Type,,  X-Requested-With", "OTUSERVER_CORS_MAX_AGE=0", NULL};
    ck_assert_int_eq(parse(cors, NULL), 0);
    ck_assert_int_eq(cfg.cors.origin_count, 3);
    ck_assert_str_eq(cfg.cors.origins[0], "https://app.example");
    ck_assert_str_eq(cfg.cors.origins[2], "http://[::1]:8080");
    ck_assert_str_eq(cfg.cors.allow_headers, "Content-Type, X-Requested-With");
    const char *any[] = {"--cors-origins", "*", NULL};
    ck_assert_int_eq(parse(cors, any), 0);
    ck_assert(cfg.cors.any);
    ck_assert_int_eq(cfg.cors.origin_count, 0);
    const char *redirects[] = {"OTUSERVER_REDIRECT=/old/*=/new/*:301, /blog=https://blog.example.com/:302,"
                               "/x=https://h.example:8443/y,/t/*=/u:307",
                               NULL};
    ck_assert_int_eq(parse(redirects, NULL), 0);
    ck_assert_int_eq(cfg.redirects.count, 4);
    ck_assert(cfg.redirects.rule[0].prefix);
    ck_assert_str_eq(cfg.redirects.rule[1].to, "https://blog.example.com/");
    ck_assert_int_eq(cfg.redirects.rule[1].code, 302);
    ck_assert_str_eq(cfg.redirects.rule[2].to, "https://h.example:8443/y"); /* a port is no code */
    const char *colon[] = {"--redirect", "/a=/b:999:302", "--redirect", "/c=https://h:999/", NULL};
    ck_assert_int_eq(parse(NULL, colon), 0);
    ck_assert_str_eq(cfg.redirects.rule[0].to, "/b:999");
    ck_assert_int_eq(cfg.redirects.rule[0].code, 302);
    const char *nl[] = {"OTUSERVER_REDIRECT=/a=/b?x=1,2:308\n/c=/d", NULL};
    ck_assert_int_eq(parse(nl, NULL), 0);
    ck_assert_int_eq(cfg.redirects.count, 2); /* with a newline, commas belong to the items */
    ck_assert_str_eq(cfg.redirects.rule[0].to, "/b?x=1,2");
}
END_TEST

struct bad_case {
    const char *env;  /* NAME=value, or NULL */
    const char *arg1; /* a flag, or NULL */
    const char *arg2;
    const char *must_say; /* substring the error must contain */
};

static const struct bad_case bad_cases[] = {
    {"OTUSERVER_PORT=tcp://10.0.0.7", NULL, NULL, "OTUSERVER_PORT"},
    {"OTUSERVER_WORKERS=tcp://10.0.0.7:80", NULL, NULL, "OTUSERVER_WORKERS"},
    {NULL, "-p", "tcp://10.0.0.7:80", "-p"},
    {NULL, "-b", "[::1", "-b"},
    {NULL, "-b", "[127.0.0.1]", "-b"},
    {NULL, "--server-tokens", "maybe", "on|off"},
    {NULL, "--mime", "yaml", "EXT=TYPE"},
    {NULL, "--index", "a/b.html", "--index"},
    {NULL, "--index", "1,2,3,4,5", "--index"},
    {NULL, "--index", "", "at least one"},
    {NULL, "--charset", "utf 8", "--charset"},
    {NULL, "--mime", "yaml=text", "EXT=TYPE"},
    {NULL, "--mime", "yaml=text/plain\r\nX: y", "EXT=TYPE"},
    {NULL, "--mime", "a/b=text/plain", "EXT=TYPE"},
    {"OTUSERVER_PORT=0", NULL, NULL, "from 1 to 65535"},
    {"OTUSERVER_PORT=65536", NULL, NULL, "65536"},
    {"OTUSERVER_PORT=80x", NULL, NULL, "OTUSERVER_PORT"},
    {NULL, "-p", "-1", "-p"},
    {NULL, "--port", "abc", "--port"},
    {"OTUSERVER_WORKERS=0", NULL, NULL, "OTUSERVER_WORKERS"},
    {"OTUSERVER_WORKERS=257", NULL, NULL, "or auto"},
    {"OTUSERVER_LOG_LEVEL=loud", NULL, NULL, "one of error, warn, info, debug"},
    {"OTUSERVER_BIND=localhost", NULL, NULL, "OTUSERVER_BIND"},
    {NULL, "-b", "300.1.1.1", "-b"},
    {"OTUSERVER_HEADER_TIMEOUT=10x", NULL, NULL, "OTUSERVER_HEADER_TIMEOUT"},
    {"OTUSERVER_HEADER_TIMEOUT=0", NULL, NULL, "from 1ms to 1h"},
    {"OTUSERVER_MAX_HEAD_SIZE=10", NULL, NULL, "from 1k to 1m"},
    {"OTUSERVER_MAX_HEADERS=100000", NULL, NULL, "OTUSERVER_MAX_HEADERS"},
    {"OTUSERVER_SERVE_DOTFILES=maybe", NULL, NULL, "on|off (also true|false, yes|no, 1|0)"},
    {"OTUSERVER_CACHE_CONTROL=a\x01b", NULL, NULL, "OTUSERVER_CACHE_CONTROL"},
    {"OTUSERVER_CACHE_CONTROL=a\nb", NULL, NULL, "one plain value"},
    {NULL, "--cache-control", "/assets/*", "PATTERN=VALUE"},
    {NULL, "--cache-control", "*.html=no\tcache", "printable ASCII"},
    {NULL, "--cache-control", "/a\x01b=no-cache", "starting with / or *"},
    {NULL, "--header", "/embed/*", "PATTERN=Name: value"},
    {NULL, "--header", "/embed/*=X-Frame-Options", "'Name: value'"},
    {NULL, "--header", "/embed/*=Content-Length: 5", "framing"},
    {"OTUSERVER_HEADER=X-A: 1\n/x=Connection: close", NULL, NULL, "framing"},
    {NULL, "--header", "/x=X-A: a\x01", "control characters"},
    {"OTUSERVER_HEALTHCHECK_PATH=health", NULL, NULL, "OTUSERVER_HEALTHCHECK_PATH"},
    {NULL, "--health-path", "/healthz?x", "without spaces or '?'"},
    {NULL, "--health-path", "/a b", "--health-path"},
    {NULL, "--fallback", "index.html", "--fallback"},
    {NULL, "--fallback", "/admin=index.html", "PREFIX=PATH"},
    {NULL, "--fallback", "/admin/*=/admin/index.html", "without spaces or '*'"},
    {NULL, "--try-ext", "html", "a dot and 1 to 14"},
    {NULL, "--try-ext", ".h/x", "a dot and 1 to 14"},
    {NULL, "--try-ext", ".a,.b,.c,.d,.e", "at most 4 extensions"},
    {"OTUSERVER_BASIC_AUTH_REALM=a\"b", NULL, NULL, "OTUSERVER_BASIC_AUTH_REALM"},
    {NULL, "--basic-auth-realm", "a\\b", "without '\"' or '\\'"},
    {NULL, "--basic-auth-realm", "", "1 to 63 printable"},
    {NULL, "--nope", NULL, "unknown option"},
    {NULL, "-p", NULL, "needs a value"},
    {NULL, "--help=yes", NULL, "takes no value"},
    {NULL, "--cors-origins", "app.example", "scheme://host[:port]"},
    {NULL, "--cors-origins", "https://app.example/", "--cors-origins"},
    {NULL, "--cors-origins", "https://app.example:123456", "--cors-origins"},
    {NULL, "--cors-origins", "https://a\r\nX: y", "--cors-origins"},
    {NULL, "--cors-origins", "https://[::1", "--cors-origins"},
    {"OTUSERVER_CORS_ORIGINS=https://a.test,*", NULL, NULL, "'*' alone"},
    {NULL, "--cors-headers", "Range, X:Y", "header names"},
    {"OTUSERVER_CORS_MAX_AGE=86401", NULL, NULL, "from 0 to 86400"},
    {NULL, "--redirect", "/a", "FROM=TO[:CODE]"},
    {NULL, "--redirect", "a=/b", "FROM=TO[:CODE]"},
    {NULL, "--redirect", "/a=/b:999", "FROM=TO[:CODE]"},
    {NULL, "--redirect", "/a=https://h:999", "FROM=TO[:CODE]"},
    {NULL, "--redirect", "/a/*=/b/*/c", "FROM=TO[:CODE]"},
    {NULL, "--redirect", "/a=/b c", "--redirect"},
    {"OTUSERVER_REDIRECTS=/a=javascript:alert(1)", NULL, NULL, "OTUSERVER_REDIRECTS"},
    {"OTUSERVER_AUTOINDEX=maybe", NULL, NULL, "on|off"},
    {"OTUSERVER_COMPRESS=brotli", NULL, NULL, "codings zstd, br, gzip"},
    {NULL, "--compress", "gzip,gzip", "each once"},
    {NULL, "--compress", "off,gzip", "off, or codings"},
    {NULL, "--compress-types", "text", "--compress-types"},
    {NULL, "--compress-types", "text/html;q=1", "media types"},
    {NULL, "--compress-min-size", "1g", "k or m"},
    {"OTUSERVER_COMPRESS_MAX_SIZE=2g", NULL, NULL, "from 0 to 1024m"},
    {"OTUSERVER_COMPRESS_CACHE_SIZE=1k", NULL, NULL, "from 4k to 1024m"},
    {NULL, "--compress-level", "0", "gzip=1..12"},
    {NULL, "--compress-level", "br=11", "br=0..9"},
    {NULL, "--compress-level", "lz4=1", "CODING=LEVEL"},
    {NULL, "-p", "1\n2", "\\x0a"}, /* a control byte in a value is shown escaped: one line */
};

START_TEST(test_bad_values)
{
    const struct bad_case *c = &bad_cases[_i];
    const char *env[] = {c->env, NULL};
    const char *args[] = {c->arg1, c->arg2, NULL};
    ck_assert_int_eq(parse(env, args), -1);
    ck_assert_msg(strstr(err, c->must_say) != NULL, "'%s' lacks '%s'", err, c->must_say);
    ck_assert_msg(strchr(err, '\n') == NULL, "error is not one line: %s", err);
}
END_TEST

START_TEST(test_modes)
{
    static const struct {
        const char *a, *b;
        enum config_mode mode;
    } cases[] = {{"--help", NULL, CONFIG_MODE_HELP},
                 {"-V", NULL, CONFIG_MODE_VERSION},
                 {"--healthcheck", NULL, CONFIG_MODE_HEALTHCHECK},
                 {"--check-config", NULL, CONFIG_MODE_CHECK},
                 {"--check-config", "--help", CONFIG_MODE_HELP},
                 {"--healthcheck", "--check-config", CONFIG_MODE_CHECK},
                 {"--version", "--healthcheck", CONFIG_MODE_VERSION}};
    for (size_t i = 0; i < OTU_ARRAY_LEN(cases); i++) {
        const char *args[] = {cases[i].a, cases[i].b, NULL};
        ck_assert_int_eq(parse(NULL, args), 0);
        ck_assert_int_eq(cfg.mode, cases[i].mode);
    }
}
END_TEST

/* --help and the reference come from the rows: every flag, variable and default, and the examples. */
START_TEST(test_help_and_reference_list_every_row)
{
    char *help = NULL, *ref = NULL;
    size_t hlen = 0, rlen = 0;
    FILE *f = open_memstream(&help, &hlen);
    config_print_help(f);
    fclose(f);
    f = open_memstream(&ref, &rlen);
    config_print_reference(f);
    fclose(f);
    for (size_t i = 0; i < config_option_count; i++) {
        const struct option_spec *o = &config_options[i];
        char flag[80], env[CONFIG_ENV_NAME_MAX];
        snprintf(flag, sizeof(flag), "--%s", o->name);
        ck_assert_msg(strstr(help, flag) && strstr(ref, flag), "%s missing", flag);
        ck_assert_msg(strstr(help, o->help), "--help lacks %s's help", o->name);
        if (o->flags & OPT_F_NOENV)
            continue;
        config_option_env(o, env, sizeof(env));
        ck_assert_msg(strstr(help, env) && strstr(ref, env), "%s missing", env);
    }
    static const char *const more[] = {"usage: otuserver [options] [DIR]",
                                       "--level_log",
                                       "-l, --log-level LEVEL",
                                       "e.g. --cache-control '*.html=no-cache'",
                                       "e.g. OTUSERVER_HEADER=$'",
                                       "(OTUSERVER_HEADERS still works, deprecated)",
                                       "restart to change"};
    for (size_t i = 0; i < OTU_ARRAY_LEN(more); i++)
        ck_assert_msg(strstr(help, more[i]) != NULL, "--help lacks %s", more[i]);
    ck_assert_ptr_nonnull(strstr(ref, "| `-p, --port PORT` | `OTUSERVER_PORT` | `80` | restart |"));
    free(help);
    free(ref);
}
END_TEST

START_TEST(test_validate_root)
{
    ck_assert_int_eq(parse(NULL, NULL), 0);
    strcpy(cfg.root, "/nonexistent/otuserver");
    ck_assert_int_eq(config_validate(&cfg, err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "/nonexistent/otuserver"));
    strcpy(cfg.root, "/etc/hostname");
    ck_assert_int_eq(config_validate(&cfg, err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "not a directory"));
    strcpy(cfg.root, "/tmp");
    ck_assert_int_eq(config_validate(&cfg, err, sizeof(err)), 0);
}
END_TEST

/* --proxy-protocol alone is one line naming both options; with trusted proxies (a variable) it is valid. */
START_TEST(test_proxy_protocol_needs_trusted_proxies)
{
    const char *const alone[] = {"--proxy-protocol", "-r", "/tmp", NULL};
    ck_assert_int_eq(parse(NULL, alone), 0);
    ck_assert_int_eq(config_validate(&cfg, err, sizeof(err)), -1);
    ck_assert_msg(strstr(err, "--proxy-protocol needs --trusted-proxies") != NULL, "%s", err);
    ck_assert_ptr_null(strchr(err, '\n'));
    const char *const env[] = {"OTUSERVER_TRUSTED_PROXIES=10.0.0.0/8, private", NULL};
    ck_assert_int_eq(parse(env, alone), 0);
    ck_assert_int_eq(cfg.trusted_proxies.count, 5);
    ck_assert_int_eq(config_validate(&cfg, err, sizeof(err)), 0);
    const char *const host_bits[] = {"--trusted-proxies", "fd00::/8,10.1.2.3/16", NULL};
    ck_assert_int_eq(parse(NULL, host_bits), -1);
    ck_assert_msg(strstr(err, "--trusted-proxies") && strstr(err, "10.1.0.0/16"), "%s", err);
    const char *const header[] = {"--real-ip-header", "x-client-ip", NULL};
    ck_assert_int_eq(parse(NULL, header), -1);
    ck_assert_msg(strstr(err, "x-forwarded-for") != NULL, "%s", err);
}
END_TEST

/* A reload keeps what its row says needs a restart, one warning each, and takes the rest. */
static char kept[8][400];
static int nkept;

static void note_kept(const char *line)
{
    if (nkept < 8)
        snprintf(kept[nkept++], sizeof(kept[0]), "%s", line);
}

START_TEST(test_reload_keeps_restart_only)
{
    static struct config running;
    const char *before[] = {"-p", "8080", "-w", "2", "--cache-control", "no-cache", "-b", "::", NULL};
    ck_assert_int_eq(parse(NULL, before), 0);
    running = cfg;
    const char *after[] = {"-p",        "9090",           "-w",   "3", "--cache-control", "max-age=60", "-b",
                           "127.0.0.1", "--metrics-port", "9100", NULL};
    ck_assert_int_eq(parse(NULL, after), 0);
    nkept = 0;
    ck_assert_int_eq(config_keep_restart_only(&cfg, &running, note_kept), 4);
    ck_assert_int_eq(cfg.port, 8080);
    ck_assert_int_eq(cfg.workers, 2);
    ck_assert_str_eq(cfg.bind_addr, "::");
    ck_assert_int_eq(cfg.metrics_port, 0);
    ck_assert_str_eq(cfg.headers.cache_control, "max-age=60"); /* reloadable: the new value */
    ck_assert_int_eq(nkept, 4);
    ck_assert_ptr_nonnull(strstr(kept[0], "--port cannot change without a restart; keeping 8080 (asked: 9090)"));
    nkept = 0;
    ck_assert_int_eq(config_keep_restart_only(&cfg, &running, note_kept), 0);
}
END_TEST

/* The listener's helpers and the CPU count, out of config.c. */
START_TEST(test_listen_and_host)
{
    ck_assert_int_eq(listen_defer_accept_s(10000), 1);
    ck_assert_int_eq(listen_defer_accept_s(1000), 1);
    ck_assert_int_eq(listen_defer_accept_s(999), 0);
    char addr[LISTEN_ADDR_MAX], why[200];
    ck_assert_int_eq(listen_address_parse(addr, "[::1]", why, sizeof(why)), 0);
    ck_assert_str_eq(addr, "::1");
    ck_assert_int_eq(listen_address_parse(addr, "[1.2.3.4]", why, sizeof(why)), -1);
    ck_assert_int_ge(host_cpu_count(), 1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("config");
    TCase *tc = tcase_create("config");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_rows_are_complete);
    tcase_add_test(tc, test_every_variable_is_its_flag);
    tcase_add_test(tc, test_defaults);
    tcase_add_test(tc, test_probe_path_precedence);
    tcase_add_test(tc, test_classic_flags);
    tcase_add_test(tc, test_long_forms);
    tcase_add_test(tc, test_one_boolean_vocabulary);
    tcase_add_test(tc, test_env_and_precedence);
    tcase_add_test(tc, test_deprecated_names);
    tcase_add_test(tc, test_unknown_variables_warn_with_a_suggestion);
    tcase_add_test(tc, test_service_links);
    tcase_add_test(tc, test_positional_root);
    tcase_add_test(tc, test_file_value_types);
    tcase_add_test(tc, test_file_precedence);
    tcase_add_loop_test(tc, test_file_errors_name_file_and_line, 0, (int)OTU_ARRAY_LEN(bad_files));
    tcase_add_test(tc, test_file_missing_or_too_big);
    tcase_add_test(tc, test_trace_names_every_source);
    tcase_add_test(tc, test_cache_control_rules);
    tcase_add_test(tc, test_header_rules);
    tcase_add_test(tc, test_rule_limits);
    tcase_add_test(tc, test_bind_tokens_mime_cors_redirects);
    tcase_add_loop_test(tc, test_bad_values, 0, (int)OTU_ARRAY_LEN(bad_cases));
    tcase_add_test(tc, test_modes);
    tcase_add_test(tc, test_help_and_reference_list_every_row);
    tcase_add_test(tc, test_validate_root);
    tcase_add_test(tc, test_proxy_protocol_needs_trusted_proxies);
    tcase_add_test(tc, test_reload_keeps_restart_only);
    tcase_add_test(tc, test_listen_and_host);
    suite_add_tcase(s, tc);
    return check_run(s);
}
