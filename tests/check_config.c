/*
 * check_config.c - defaults, environment, flags, precedence and bad values.
 */
#include "compat.h"

#include "config.h"
#include "log.h"

#include "check_run.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A fake environment: NAME=value pairs, NULL-terminated. */
static const char *const *fake_env;

static const char *fake_getenv(const char *name)
{
    size_t n = strlen(name);
    for (const char *const *e = fake_env; e && *e; e++) {
        if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
            return *e + n + 1;
    }
    return NULL;
}

static struct config cfg;
static char err[512];

/* Parses argv (NULL-terminated, without argv[0]) under env; returns the rc. */
static int parse(const char *const *env, const char *const *args)
{
    char *argv[32];
    int argc = 0;
    argv[argc++] = (char *)"otuserver";
    for (; args && *args; args++)
        argv[argc++] = (char *)*args;
    fake_env = env;
    return config_parse(&cfg, argc, argv, fake_getenv, err, sizeof(err));
}

START_TEST(test_defaults)
{
    ck_assert_int_eq(parse(NULL, NULL), 0);
    ck_assert_int_eq(cfg.port, 80);
    ck_assert_int_eq(cfg.workers, 4);
    ck_assert_int_eq(cfg.log_level, LOG_LEVEL_INFO);
    ck_assert_str_eq(cfg.root, "./DOCUMENT_ROOT");
    ck_assert_str_eq(cfg.log_file, "./httpd.log");
    ck_assert_str_eq(cfg.bind_addr, "::");
    ck_assert(cfg.server_tokens);
    ck_assert_int_eq(cfg.mime_count, 0);
    ck_assert_int_eq(cfg.index_count, 1);
    ck_assert_str_eq(cfg.index_names[0], "index.html");
    ck_assert_str_eq(cfg.charset, "");
    ck_assert_str_eq(cfg.warning, "");
    ck_assert_int_eq(cfg.grace_ms, 10000);
    ck_assert_int_eq(cfg.max_head_size, 8192);
    ck_assert_int_eq(cfg.max_headers, 100);
    ck_assert_int_eq(cfg.header_timeout_ms, 10000);
    ck_assert_int_eq(cfg.keepalive_timeout_ms, 5000);
    ck_assert_int_eq(cfg.keepalive_requests, 1000);
    ck_assert_int_eq(cfg.send_timeout_ms, 60000);
    ck_assert(!cfg.serve_dotfiles);
    ck_assert_str_eq(cfg.cache_control, "");
    ck_assert_str_eq(cfg.healthcheck_path, "");
    ck_assert_str_eq(cfg.health_path, ""); /* off */
    ck_assert_str_eq(config_probe_path(&cfg), "/");
    ck_assert_int_eq(cfg.mode, CONFIG_MODE_SERVE);
}
END_TEST

/* --healthcheck requests --healthcheck-path, else --health-path, else /. */
START_TEST(test_probe_path_precedence)
{
    const char *env_health[] = {"OTUSERVER_HEALTH_PATH=/healthz", NULL};
    ck_assert_int_eq(parse(env_health, NULL), 0);
    ck_assert_str_eq(cfg.health_path, "/healthz");
    ck_assert_str_eq(config_probe_path(&cfg), "/healthz");
    const char *env_both[] = {"OTUSERVER_HEALTH_PATH=/healthz", "OTUSERVER_HEALTHCHECK_PATH=/index.html", NULL};
    ck_assert_int_eq(parse(env_both, NULL), 0);
    ck_assert_str_eq(config_probe_path(&cfg), "/index.html");
    const char *flag[] = {"--health-path", "/live", NULL};
    ck_assert_int_eq(parse(env_health, flag), 0);
    ck_assert_str_eq(config_probe_path(&cfg), "/live");
    const char *off[] = {"--health-path", "", NULL}; /* empty turns it off */
    ck_assert_int_eq(parse(env_health, off), 0);
    ck_assert_str_eq(cfg.health_path, "");
    ck_assert_str_eq(config_probe_path(&cfg), "/");
    const char *query_probe[] = {"--healthcheck-path", "/status?probe=1", NULL};
    ck_assert_int_eq(parse(NULL, query_probe), 0); /* the probe may send a query */
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
    const char *args[] = {"--port=81", "--workers", "3", "--level_log=warn", "--root_document", "/a",
                          "--file_log=/tmp/x.log", "--bind=127.0.0.1", "--header-timeout=500ms",
                          "--keepalive-timeout", "0", "--grace-period=2m", "--serve-dotfiles",
                          "--cache-control=public, max-age=60", "-p82", NULL};
    ck_assert_int_eq(parse(NULL, args), 0);
    ck_assert_int_eq(cfg.port, 82);
    ck_assert_int_eq(cfg.workers, 3);
    ck_assert_int_eq(cfg.log_level, LOG_LEVEL_WARN);
    ck_assert_int_eq(cfg.header_timeout_ms, 500);
    ck_assert_int_eq(cfg.keepalive_timeout_ms, 0);
    ck_assert_int_eq(cfg.grace_ms, 120000);
    ck_assert(cfg.serve_dotfiles);
    ck_assert_str_eq(cfg.cache_control, "public, max-age=60");
}
END_TEST

START_TEST(test_env_and_precedence)
{
    const char *env[] = {"OTUSERVER_PORT=9000", "OTUSERVER_WORKERS=auto", "OTUSERVER_LOG_LEVEL=error",
                         "OTUSERVER_ROOT=/env", "OTUSERVER_LOG_FILE=-", "OTUSERVER_BIND=::",
                         "OTUSERVER_SERVE_DOTFILES=true", "OTUSERVER_MAX_HEADERS=5", NULL};
    ck_assert_int_eq(parse(env, NULL), 0);
    ck_assert_int_eq(cfg.port, 9000);
    ck_assert(cfg.workers_auto);
    ck_assert_int_eq(cfg.workers, config_cpu_count());
    ck_assert_int_eq(cfg.log_level, LOG_LEVEL_ERROR);
    ck_assert_str_eq(cfg.root, "/env");
    ck_assert(cfg.serve_dotfiles);
    ck_assert_int_eq(cfg.max_headers, 5);
    const char *args[] = {"-p", "9001", "--workers", "1", NULL};
    ck_assert_int_eq(parse(env, args), 0);
    ck_assert_int_eq(cfg.port, 9001); /* flag beats variable */
    ck_assert_int_eq(cfg.workers, 1);
    ck_assert_str_eq(cfg.root, "/env"); /* variable beats default */
}
END_TEST

START_TEST(test_empty_variable_is_unset)
{
    const char *env[] = {"OTUSERVER_PORT=", NULL};
    ck_assert_int_eq(parse(env, NULL), 0);
    ck_assert_int_eq(cfg.port, 80);
}
END_TEST

struct bad_case {
    const char *env;     /* NAME=value, or NULL */
    const char *arg1;    /* a flag, or NULL */
    const char *arg2;
    const char *must_say; /* substring the error must contain */
};

static const struct bad_case bad_cases[] = {
    {"OTUSERVER_PORT=tcp://10.0.0.7", NULL, NULL, "OTUSERVER_PORT"},
    {"OTUSERVER_WORKERS=tcp://10.0.0.7:80", NULL, NULL, "OTUSERVER_WORKERS"},
    {NULL, "-p", "tcp://10.0.0.7:80", "-p"},
    {NULL, "-b", "[::1", "-b"},
    {NULL, "-b", "[127.0.0.1]", "-b"},
    {NULL, "--server-tokens", "maybe", "on or off"},
    {NULL, "--mime", "yaml", "EXT=TYPE"},
    {NULL, "--index", "a/b.html", "--index"},
    {NULL, "--index", "a.html,,b.html", "--index"},
    {NULL, "--index", "1,2,3,4,5", "--index"},
    {NULL, "--charset", "utf 8", "--charset"},
    {NULL, "--mime", "yaml=text", "EXT=TYPE"},
    {NULL, "--mime", "yaml=text/plain\r\nX: y", "EXT=TYPE"},
    {NULL, "--mime", "a/b=text/plain", "EXT=TYPE"},
    {"OTUSERVER_PORT=0", NULL, NULL, "1..65535"},
    {"OTUSERVER_PORT=65536", NULL, NULL, "65536"},
    {"OTUSERVER_PORT=80x", NULL, NULL, "OTUSERVER_PORT"},
    {NULL, "-p", "-1", "-p"},
    {NULL, "--port", "abc", "--port"},
    {"OTUSERVER_WORKERS=0", NULL, NULL, "OTUSERVER_WORKERS"},
    {"OTUSERVER_WORKERS=257", NULL, NULL, "auto"},
    {NULL, "-w", "many", "-w"},
    {"OTUSERVER_LOG_LEVEL=loud", NULL, NULL, "debug, info, warn, error"},
    {"OTUSERVER_BIND=localhost", NULL, NULL, "OTUSERVER_BIND"},
    {NULL, "-b", "300.1.1.1", "-b"},
    {"OTUSERVER_HEADER_TIMEOUT=10x", NULL, NULL, "OTUSERVER_HEADER_TIMEOUT"},
    {"OTUSERVER_HEADER_TIMEOUT=0", NULL, NULL, "OTUSERVER_HEADER_TIMEOUT"},
    {"OTUSERVER_MAX_HEAD_SIZE=10", NULL, NULL, "1024"},
    {"OTUSERVER_MAX_HEADERS=100000", NULL, NULL, "OTUSERVER_MAX_HEADERS"},
    {"OTUSERVER_SERVE_DOTFILES=maybe", NULL, NULL, "true or false"},
    {"OTUSERVER_CACHE_CONTROL=a\nb", NULL, NULL, "one plain value"},
    {"OTUSERVER_CACHE_CONTROL=a\x01b", NULL, NULL, "OTUSERVER_CACHE_CONTROL"},
    {NULL, "--cache-control", "/assets/*", "PATTERN=VALUE"},
    {NULL, "--cache-control", "*.html=no\tcache", "printable ASCII"},
    {"OTUSERVER_CACHE_CONTROL=*.html=no-cache\n/a/*=x\x7f", NULL, NULL, "OTUSERVER_CACHE_CONTROL"},
    {NULL, "--cache-control", "/a\x01b=no-cache", "starting with / or *"},
    {NULL, "--header", "/embed/*", "PATTERN=Name: value"},
    {NULL, "--header", "/embed/*=X-Frame-Options", "'Name: value'"},
    {NULL, "--header", "/embed/*=Content-Length: 5", "framing"},
    {NULL, "--header", "*.html=Transfer-Encoding: chunked", "framing"},
    {"OTUSERVER_HEADERS=X-A: 1\n/x=Connection: close", NULL, NULL, "framing"},
    {NULL, "--header", "/x=X-A: a\x01", "control characters"},
    {"OTUSERVER_HEALTHCHECK_PATH=health", NULL, NULL, "OTUSERVER_HEALTHCHECK_PATH"},
    {"OTUSERVER_HEALTH_PATH=healthz", NULL, NULL, "OTUSERVER_HEALTH_PATH"},
    {NULL, "--health-path", "/healthz?x", "without spaces or '?'"},
    {NULL, "--health-path", "/a b", "--health-path"},
    {"OTUSERVER_BASIC_AUTH_REALM=a\"b", NULL, NULL, "OTUSERVER_BASIC_AUTH_REALM"},
    {NULL, "--basic-auth-realm", "a\\b", "without '\"' or '\\'"},
    {NULL, "--basic-auth-realm", "", "--basic-auth-realm"},
    {NULL, "--nope", NULL, "unknown option"},
    {NULL, "stray", NULL, "unexpected argument"},
    {NULL, "-p", NULL, "needs a value"},
    {NULL, "--serve-dotfiles=yes", NULL, "takes no value"},
    {NULL, "--cors-origins", "app.example", "scheme://host[:port]"},
    {NULL, "--cors-origins", "https://app.example/", "--cors-origins"},
    {NULL, "--cors-origins", "https://app.example:", "--cors-origins"},
    {NULL, "--cors-origins", "https://app.example:123456", "--cors-origins"},
    {NULL, "--cors-origins", "ftp://app.example", "--cors-origins"},
    {NULL, "--cors-origins", "https://a\r\nX: y", "--cors-origins"},
    {NULL, "--cors-origins", "https://[::1", "--cors-origins"},
    {"OTUSERVER_CORS_ORIGINS=https://a.test,*", NULL, NULL, "OTUSERVER_CORS_ORIGINS"},
    {NULL, "--cors-headers", "Range, X:Y", "header names"},
    {"OTUSERVER_CORS_MAX_AGE=86401", NULL, NULL, "0..86400"},
    {NULL, "--redirect", "/a", "FROM=TO[:CODE]"},
    {NULL, "--redirect", "a=/b", "FROM=TO[:CODE]"},
    {NULL, "--redirect", "/a=b", "FROM=TO[:CODE]"},
    {NULL, "--redirect", "/a=/b:303", "FROM=TO[:CODE]"},
    {NULL, "--redirect", "/a=/b:999", "FROM=TO[:CODE]"},       /* any trailing :NNN is the code */
    {NULL, "--redirect", "/a=/b:200", "FROM=TO[:CODE]"},
    {NULL, "--redirect", "/a=https://h:999", "FROM=TO[:CODE]"}, /* a 3-digit port needs a path or a code */
    {NULL, "--redirect", "/a=/b*", "FROM=TO[:CODE]"},
    {NULL, "--redirect", "/a*/b=/c", "FROM=TO[:CODE]"},
    {NULL, "--redirect", "/a/*=/b/*/c", "FROM=TO[:CODE]"},
    {NULL, "--redirect", "/a=/b c", "--redirect"},
    {NULL, "--redirect", "/a=/b\r\nX: y", "--redirect"},
    {"OTUSERVER_REDIRECTS=/a=javascript:alert(1)", NULL, NULL, "OTUSERVER_REDIRECTS"},
    {"OTUSERVER_AUTOINDEX=maybe", NULL, NULL, "true or false"},
    {NULL, "--autoindex=yes", NULL, "takes no value"},
    {"OTUSERVER_COMPRESS=brotli", NULL, NULL, "off or gzip"},
    {NULL, "--compress-types", "text", "--compress-types"},
    {NULL, "--compress-types", "text/html;q=1", "media types"},
    {NULL, "--compress-types", "text/*x", "--compress-types"},
    {NULL, "--compress-min-size", "1g", "k or m"},
    {NULL, "--compress-min-size", "-1", "--compress-min-size"},
    {"OTUSERVER_COMPRESS_MAX_SIZE=17m", NULL, NULL, "0 to 16m"},
    {NULL, "--compress-max-size", "1mb", "--compress-max-size"},
    {"OTUSERVER_COMPRESS_CACHE_SIZE=1k", NULL, NULL, "4k to 1024m"},
    {NULL, "--compress-cache-size", "2048m", "--compress-cache-size"},
    {NULL, "--compress-level", "0", "1..12"},
    {"OTUSERVER_COMPRESS_LEVEL=13", NULL, NULL, "OTUSERVER_COMPRESS_LEVEL"},
};

/* Compression: gzip by default, sizes in bytes or with k or m, each flag over its variable. */
START_TEST(test_compress_options)
{
    ck_assert_int_eq(parse(NULL, NULL), 0);
    ck_assert(cfg.compress_gzip);
    ck_assert_int_eq(cfg.compress_min_size, 1024);
    ck_assert_int_eq(cfg.compress_max_size, 1024 * 1024);
    ck_assert_int_eq(cfg.compress_cache_size, 8 * 1024 * 1024);
    ck_assert_int_eq(cfg.compress_level, 6);
    ck_assert_ptr_nonnull(strstr(cfg.compress_types, "text/*"));
    ck_assert_ptr_nonnull(strstr(cfg.compress_types, "image/svg+xml"));
    ck_assert_ptr_null(strstr(cfg.compress_types, "image/png"));
    const char *env[] = {"OTUSERVER_COMPRESS=off", "OTUSERVER_COMPRESS_MIN_SIZE=200",
                         "OTUSERVER_COMPRESS_MAX_SIZE=2M", "OTUSERVER_COMPRESS_CACHE_SIZE=64k",
                         "OTUSERVER_COMPRESS_LEVEL=9", "OTUSERVER_COMPRESS_TYPES=text/html, application/json",
                         NULL};
    ck_assert_int_eq(parse(env, NULL), 0);
    ck_assert(!cfg.compress_gzip);
    ck_assert_int_eq(cfg.compress_min_size, 200);
    ck_assert_int_eq(cfg.compress_max_size, 2 * 1024 * 1024);
    ck_assert_int_eq(cfg.compress_cache_size, 64 * 1024);
    ck_assert_int_eq(cfg.compress_level, 9);
    ck_assert_str_eq(cfg.compress_types, "text/html, application/json");
    const char *flags[] = {"--compress", "gzip", "--compress-min-size", "0", "--compress-cache-size", "16m",
                           NULL};
    ck_assert_int_eq(parse(env, flags), 0);
    ck_assert(cfg.compress_gzip);
    ck_assert_int_eq(cfg.compress_min_size, 0);
    ck_assert_int_eq(cfg.compress_cache_size, 16 * 1024 * 1024);
}
END_TEST

/* --cache-control: one plain value and PATTERN=VALUE rules, from the variable (one per line) or flags. */
START_TEST(test_cache_control_rules)
{
    const char *one[] = {"OTUSERVER_CACHE_CONTROL=public, max-age=3600", NULL};
    ck_assert_int_eq(parse(one, NULL), 0);
    ck_assert_str_eq(cfg.cache_control, "public, max-age=3600"); /* its '=' makes no rule */
    ck_assert_int_eq(cfg.cache_rules.count, 0);
    const char *spa[] = {"OTUSERVER_CACHE_CONTROL=*.html=no-cache\n"
                         "/assets/*=public, max-age=31536000, immutable\r\n\n  public, max-age=60 \n",
                         NULL};
    ck_assert_int_eq(parse(spa, NULL), 0);
    ck_assert_str_eq(cfg.cache_control, "public, max-age=60");
    ck_assert_int_eq(cfg.cache_rules.count, 2);
    ck_assert_str_eq(path_rules_first(&cfg.cache_rules, "/", "/index.html"), "no-cache");
    ck_assert_str_eq(path_rules_first(&cfg.cache_rules, "/assets/app.3f9a.js", NULL),
                     "public, max-age=31536000, immutable");
    ck_assert_ptr_null(path_rules_first(&cfg.cache_rules, "/robots.txt", NULL));
    /* the flags replace the variable's value and rules; a later plain flag replaces an earlier one */
    const char *flags[] = {"--cache-control", "no-store", "--cache-control", "/api/*=",
                           "--cache-control", "private", NULL};
    ck_assert_int_eq(parse(spa, flags), 0);
    ck_assert_str_eq(cfg.cache_control, "private");
    ck_assert_int_eq(cfg.cache_rules.count, 1);
    ck_assert_str_eq(path_rules_first(&cfg.cache_rules, "/api/x", NULL), ""); /* empty: none there */
    const char *only_rule[] = {"--cache-control=*.html=no-cache", NULL};
    ck_assert_int_eq(parse(one, only_rule), 0);
    ck_assert_str_eq(cfg.cache_control, ""); /* the variable's plain value went with the flag */
    ck_assert_int_eq(cfg.cache_rules.count, 1);
}
END_TEST

/* --header: all-paths lines and PATTERN=Name: value rules, within one budget. */
START_TEST(test_header_rules)
{
    const char *env[] = {"OTUSERVER_HEADERS=X-Frame-Options: DENY\n/embed/*=X-Frame-Options:SAMEORIGIN\n"
                         "*.html = X-Html: 1", NULL};
    ck_assert_int_eq(parse(env, NULL), 0);
    ck_assert_str_eq(cfg.headers, "X-Frame-Options: DENY\r\n");
    ck_assert_int_eq(cfg.header_rules.count, 2);
    ck_assert_str_eq(path_rules_first(&cfg.header_rules, "/embed/a", NULL), "X-Frame-Options: SAMEORIGIN\r\n");
    ck_assert_str_eq(path_rules_first(&cfg.header_rules, "/index.html", NULL), "X-Html: 1\r\n");
    const char *flags[] = {"--header", "/embed/*=X-A: 1", NULL};
    ck_assert_int_eq(parse(env, flags), 0);
    ck_assert_str_eq(cfg.headers, ""); /* the flags replace the variable's lines and rules */
    ck_assert_int_eq(cfg.header_rules.count, 1);
    /* every rule counts against the one budget of CONFIG_HEADERS_MAX bytes */
    static char big[CONFIG_HEADERS_MAX + 512];
    int n = snprintf(big, sizeof(big), "OTUSERVER_HEADERS=X-All: %0900d\n/a=X-A: %0900d\n", 0, 0);
    const char *fits[] = {big, NULL};
    ck_assert_int_eq(parse(fits, NULL), 0);
    snprintf(big + n, sizeof(big) - (size_t)n, "/b=X-B: %0300d", 0);
    ck_assert_int_eq(parse(fits, NULL), 2);
    ck_assert_ptr_nonnull(strstr(err, "at most 2047 bytes in all"));
}
END_TEST

/* At most PATH_RULES_MAX rules, each pattern shorter than PATH_RULE_PATTERN_MAX. */
START_TEST(test_rule_limits)
{
    static char v[PATH_RULES_MAX * 16 + 64];
    int n = snprintf(v, sizeof(v), "OTUSERVER_CACHE_CONTROL=");
    for (int i = 0; i < PATH_RULES_MAX; i++)
        n += snprintf(v + n, sizeof(v) - (size_t)n, "/p%d/*=no-cache\n", i);
    const char *env[] = {v, NULL};
    ck_assert_int_eq(parse(env, NULL), 0);
    ck_assert_int_eq(cfg.cache_rules.count, PATH_RULES_MAX);
    snprintf(v + n, sizeof(v) - (size_t)n, "/one-more=no-cache");
    ck_assert_int_eq(parse(env, NULL), 2);
    ck_assert_ptr_nonnull(strstr(err, "at most 32 rules"));
    char pattern[PATH_RULE_PATTERN_MAX + 16];
    memset(pattern, 'a', sizeof(pattern));
    pattern[0] = '/';
    snprintf(pattern + PATH_RULE_PATTERN_MAX, 16, "=no-cache");
    const char *long_pattern[] = {"--cache-control", pattern, NULL};
    ck_assert_int_eq(parse(NULL, long_pattern), 2);
    ck_assert_ptr_nonnull(strstr(err, "--cache-control"));
    snprintf(pattern + PATH_RULE_PATTERN_MAX - 1, 16, "=no-cache");
    ck_assert_int_eq(parse(NULL, long_pattern), 0);
}
END_TEST

/* A Kubernetes service link in a *_PORT variable is ignored with one warning, not an exit. */
START_TEST(test_service_links_ignored)
{
    const char *env[] = {"OTUSERVER_PORT=tcp://10.0.0.7:80", "OTUSERVER_METRICS_PORT=tcp://10.0.0.8:8937",
                         NULL};
    ck_assert_int_eq(parse(env, NULL), 0);
    ck_assert_int_eq(cfg.port, 80);
    ck_assert_int_eq(cfg.metrics_port, 0);
    ck_assert_ptr_nonnull(strstr(cfg.warning, "ignoring OTUSERVER_PORT=tcp://10.0.0.7:80"));
    ck_assert_ptr_nonnull(strstr(cfg.warning, "(also OTUSERVER_METRICS_PORT)"));
    const char *with_flag[] = {"-p", "8080", NULL};
    ck_assert_int_eq(parse(env, with_flag), 0);
    ck_assert_int_eq(cfg.port, 8080);
}
END_TEST

START_TEST(test_bind_forms_tokens_and_mime)
{
    const char *v6[] = {"-b", "[::1]", "--server-tokens", "off", "--mime", "yaml=text/yaml",
                        "--mime", ".Foo=application/x-foo", NULL};
    ck_assert_int_eq(parse(NULL, v6), 0);
    ck_assert_str_eq(cfg.bind_addr, "::1");
    ck_assert(!cfg.server_tokens);
    ck_assert_int_eq(cfg.mime_count, 2);
    ck_assert_str_eq(cfg.mime[0].ext, "yaml");
    ck_assert_str_eq(cfg.mime[0].type, "text/yaml");
    ck_assert_str_eq(cfg.mime[1].ext, "Foo");
    const char *env[] = {"OTUSERVER_MIME_TYPES=a=x/a,b=x/b", NULL};
    ck_assert_int_eq(parse(env, NULL), 0);
    ck_assert_int_eq(cfg.mime_count, 2);
    const char *flag_wins[] = {"--mime", "c=x/c", NULL};
    ck_assert_int_eq(parse(env, flag_wins), 0);
    ck_assert_int_eq(cfg.mime_count, 1); /* the flag replaces the variable's list */
    ck_assert_str_eq(cfg.mime[0].ext, "c");
}
END_TEST

START_TEST(test_cors_options)
{
    ck_assert_int_eq(parse(NULL, NULL), 0);
    ck_assert(!cfg.cors_any);
    ck_assert_int_eq(cfg.cors_origin_count, 0);
    ck_assert_int_eq(cfg.cors_max_age, 600);
    ck_assert_str_eq(cfg.cors_headers, "Range, If-None-Match, If-Modified-Since, If-Range");
    const char *env[] = {"OTUSERVER_CORS_ORIGINS=https://App.Example, http://localhost:3000,http://[::1]:8080",
                         "OTUSERVER_CORS_HEADERS=Content-Type,,  X-Requested-With", "OTUSERVER_CORS_MAX_AGE=0",
                         NULL};
    ck_assert_int_eq(parse(env, NULL), 0);
    ck_assert_int_eq(cfg.cors_origin_count, 3);
    ck_assert_str_eq(cfg.cors_origins[0], "https://app.example");
    ck_assert_str_eq(cfg.cors_origins[1], "http://localhost:3000");
    ck_assert_str_eq(cfg.cors_origins[2], "http://[::1]:8080");
    ck_assert_str_eq(cfg.cors_headers, "Content-Type, X-Requested-With");
    ck_assert_int_eq(cfg.cors_max_age, 0);
    const char *any[] = {"--cors-origins", "*", NULL};
    ck_assert_int_eq(parse(env, any), 0);
    ck_assert(cfg.cors_any);
    ck_assert_int_eq(cfg.cors_origin_count, 0); /* the flag replaces the variable's list */
}
END_TEST

START_TEST(test_redirect_options)
{
    const char *env[] = {"OTUSERVER_REDIRECTS=/old/*=/new/*:301, /blog=https://blog.example.com/:302,"
                         "/x=https://h.example:8443/y,/t/*=/u:307", NULL};
    ck_assert_int_eq(parse(env, NULL), 0);
    ck_assert_int_eq(cfg.redirect_count, 4);
    ck_assert_str_eq(cfg.redirects[0].from, "/old/");
    ck_assert(cfg.redirects[0].prefix);
    ck_assert_str_eq(cfg.redirects[0].to, "/new/*");
    ck_assert_int_eq(cfg.redirects[0].code, 301);
    ck_assert_str_eq(cfg.redirects[1].from, "/blog");
    ck_assert(!cfg.redirects[1].prefix);
    ck_assert_str_eq(cfg.redirects[1].to, "https://blog.example.com/");
    ck_assert_int_eq(cfg.redirects[1].code, 302);
    ck_assert_str_eq(cfg.redirects[2].to, "https://h.example:8443/y"); /* a port is no code */
    ck_assert_int_eq(cfg.redirects[2].code, 301);
    ck_assert_int_eq(cfg.redirects[3].code, 307);
    const char *colon[] = {"--redirect", "/a=/b:999:302", "--redirect", "/c=https://h:999/", "--redirect",
                           "/d=/e:80", NULL};
    ck_assert_int_eq(parse(NULL, colon), 0);
    ck_assert_str_eq(cfg.redirects[0].to, "/b:999"); /* a target ending in :NNN names its code after it */
    ck_assert_int_eq(cfg.redirects[0].code, 302);
    ck_assert_str_eq(cfg.redirects[1].to, "https://h:999/");
    ck_assert_int_eq(cfg.redirects[1].code, 301);
    ck_assert_str_eq(cfg.redirects[2].to, "/e:80"); /* two digits: no code */
    const char *nl[] = {"OTUSERVER_REDIRECTS=/a=/b?x=1,2:308\n/c=/d", NULL};
    ck_assert_int_eq(parse(nl, NULL), 0);
    ck_assert_int_eq(cfg.redirect_count, 2); /* with a newline, commas belong to the entries */
    ck_assert_str_eq(cfg.redirects[0].to, "/b?x=1,2");
    ck_assert_int_eq(cfg.redirects[0].code, 308);
    const char *flags[] = {"--redirect", "/p=/q", "--redirect", "/r/*=/s/*:302", NULL};
    ck_assert_int_eq(parse(env, flags), 0);
    ck_assert_int_eq(cfg.redirect_count, 2); /* the flags replace the variable's list */
    ck_assert_str_eq(cfg.redirects[1].from, "/r/");
}
END_TEST

START_TEST(test_basic_auth_options)
{
    ck_assert_int_eq(parse(NULL, NULL), 0);
    ck_assert_str_eq(cfg.basic_auth_file, ""); /* off by default */
    ck_assert_str_eq(cfg.basic_auth_realm, "otuserver");
    const char *env[] = {"OTUSERVER_BASIC_AUTH_FILE=/etc/htpasswd", "OTUSERVER_BASIC_AUTH_REALM=Staff area",
                         NULL};
    ck_assert_int_eq(parse(env, NULL), 0);
    ck_assert_str_eq(cfg.basic_auth_file, "/etc/htpasswd");
    ck_assert_str_eq(cfg.basic_auth_realm, "Staff area");
    const char *flags[] = {"--basic-auth-file", "/srv/users", NULL};
    ck_assert_int_eq(parse(env, flags), 0);
    ck_assert_str_eq(cfg.basic_auth_file, "/srv/users");
}
END_TEST

START_TEST(test_bad_values)
{
    const struct bad_case *c = &bad_cases[_i];
    const char *env[] = {c->env, NULL};
    const char *args[] = {c->arg1, c->arg2, NULL};
    ck_assert_int_eq(parse(env, args), 2);
    ck_assert_msg(strstr(err, c->must_say) != NULL, "'%s' lacks '%s'", err, c->must_say);
    ck_assert_msg(strchr(err, '\n') == NULL, "error is not one line: %s", err);
}
END_TEST

START_TEST(test_modes)
{
    const char *help[] = {"--help", NULL};
    ck_assert_int_eq(parse(NULL, help), 0);
    ck_assert_int_eq(cfg.mode, CONFIG_MODE_HELP);
    const char *version[] = {"-V", NULL};
    ck_assert_int_eq(parse(NULL, version), 0);
    ck_assert_int_eq(cfg.mode, CONFIG_MODE_VERSION);
    const char *hc[] = {"--healthcheck", NULL};
    ck_assert_int_eq(parse(NULL, hc), 0);
    ck_assert_int_eq(cfg.mode, CONFIG_MODE_HEALTHCHECK);
}
END_TEST

START_TEST(test_help_lists_every_variable)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    config_print_help(f);
    fclose(f);
    static const char *const names[] = {"OTUSERVER_PORT", "OTUSERVER_WORKERS", "OTUSERVER_LOG_LEVEL",
                                        "OTUSERVER_ROOT", "OTUSERVER_LOG_FILE", "OTUSERVER_BIND",
                                        "--level_log", "--root_document", "--file_log", "default 80",
                                        /* the conventional names come first, the classic ones after */
                                        "-l, --log-level LEVEL", "-r, --root DIR", "-f, --log-file PATH",
                                        /* an example of each rule form */
                                        "e.g. --cache-control '*.html=no-cache'",
                                        "e.g. OTUSERVER_CACHE_CONTROL=$'*.html=no-cache\\n/assets/*=",
                                        "e.g. --header 'X-Frame-Options: DENY' --header '/embed/*=X-Frame-Options: "
                                        "SAMEORIGIN'",
                                        "e.g. OTUSERVER_HEADERS=$'"};
    for (size_t i = 0; i < OTU_ARRAY_LEN(names); i++)
        ck_assert_msg(strstr(text, names[i]) != NULL, "--help lacks %s", names[i]);
    free(text);
}
END_TEST

START_TEST(test_validate_root)
{
    ck_assert_int_eq(parse(NULL, NULL), 0);
    strcpy(cfg.root, "/nonexistent/otuserver");
    ck_assert_int_eq(config_validate(&cfg, err, sizeof(err)), 2);
    ck_assert_ptr_nonnull(strstr(err, "/nonexistent/otuserver"));
    strcpy(cfg.root, "/etc/hostname");
    ck_assert_int_eq(config_validate(&cfg, err, sizeof(err)), 2);
    strcpy(cfg.root, "/tmp");
    ck_assert_int_eq(config_validate(&cfg, err, sizeof(err)), 0);
}
END_TEST

/* The accept deferral: a second, or none under a header timeout shorter than that. */
START_TEST(test_defer_accept)
{
    const char *dflt[] = {NULL};
    ck_assert_int_eq(parse(NULL, dflt), 0);
    ck_assert_int_eq(config_defer_accept_s(&cfg), 1); /* 10 s header timeout */
    const char *one[] = {"--header-timeout", "1s", NULL};
    ck_assert_int_eq(parse(NULL, one), 0);
    ck_assert_int_eq(config_defer_accept_s(&cfg), 1);
    const char *short_one[] = {"--header-timeout", "999ms", NULL};
    ck_assert_int_eq(parse(NULL, short_one), 0);
    ck_assert_int_eq(config_defer_accept_s(&cfg), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("config");
    TCase *tc = tcase_create("parse");
    tcase_add_test(tc, test_defaults);
    tcase_add_test(tc, test_probe_path_precedence);
    tcase_add_test(tc, test_classic_flags);
    tcase_add_test(tc, test_long_forms);
    tcase_add_test(tc, test_env_and_precedence);
    tcase_add_test(tc, test_empty_variable_is_unset);
    tcase_add_test(tc, test_cors_options);
    tcase_add_test(tc, test_redirect_options);
    tcase_add_test(tc, test_cache_control_rules);
    tcase_add_test(tc, test_header_rules);
    tcase_add_test(tc, test_rule_limits);
    tcase_add_loop_test(tc, test_bad_values, 0, (int)OTU_ARRAY_LEN(bad_cases));
    tcase_add_test(tc, test_service_links_ignored);
    tcase_add_test(tc, test_bind_forms_tokens_and_mime);
    tcase_add_test(tc, test_basic_auth_options);
    tcase_add_test(tc, test_compress_options);
    tcase_add_test(tc, test_modes);
    tcase_add_test(tc, test_help_lists_every_variable);
    tcase_add_test(tc, test_validate_root);
    tcase_add_test(tc, test_defer_accept);
    suite_add_tcase(s, tc);
    return check_run(s);
}
