/*
 * config_options.c - the option table (see config_options.h).
 */
#include "compat.h"

#include "config_options.h"

#include "compress.h"
#include "cors.h"
#include "listen.h"
#include "mime.h"
#include "netaddr.h"
#include "pages.h"
#include "path_rules.h"
#include "redirect.h"

#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* Where a row's value lands: its offset in struct config and its size. */
#define AT(field) .offset = offsetof(struct config, field), .size = sizeof(((struct config *)0)->field)

static const char *const log_levels[] = {"error", "warn", "info", "debug", NULL}; /* enum log_level */
static const char *const log_formats[] = {"text", "combined", "json", NULL};      /* enum access_log_format */
/* enum forwarded_field */
static const char *const real_ip_headers[] = {"auto", "forwarded", "x-forwarded-for", "x-real-ip", NULL};

/* laid out by hand, one option a row of two or three lines: */
/* clang-format off */
const struct option_spec config_options[] = {
    /* the listeners and processes */
    {.name = "port", .short_name = 'p', .kind = OPT_INT, AT(port), .min = 1, .max = 65535, .def = "80",
     .metavar = "PORT", .flags = OPT_F_RESTART, .help = "TCP port to listen on (1..65535)"},
    {.name = "workers", .short_name = 'w', .kind = OPT_INT, AT(workers), .min = 1, .max = 256,
     .keyword = "auto", .keyword_value = 0, .def = "4", .metavar = "N|auto", .flags = OPT_F_RESTART,
     .help = "worker processes, 1..256, or auto = usable CPUs (affinity and cgroup quota)"},
    {.name = "log-level", .short_name = 'l', .kind = OPT_ENUM, AT(log_level), .names = log_levels,
     .def = "info", .metavar = "LEVEL", .alias = "level_log",
     .help = "debug, info (one line per request), warn or error"},
    {.name = "log-format", .see = "operations.md#logs", .kind = OPT_ENUM, AT(log_format), .names = log_formats, .def = "text",
     .metavar = "FORMAT", .help = "access lines: text, combined (Combined Log Format + duration) or json"},
    {.name = "root", .see = "operations.md#deploys-through-a-symlink", .short_name = 'r', .kind = OPT_PATH, AT(root), .def = "./DOCUMENT_ROOT",
     .metavar = "DIR", .alias = "root_document", .flags = OPT_F_NONEMPTY,
     .help = "document root: an existing, readable directory (also the one argument: otuserver DIR)"},
    {.name = "log-file", .short_name = 'f', .kind = OPT_PATH, AT(log_file), .def = "./httpd.log",
     .metavar = "PATH", .alias = "file_log", .flags = OPT_F_NONEMPTY | OPT_F_RESTART,
     .help = "log file, or - for standard output"},
    {.name = "bind", .short_name = 'b', .kind = OPT_VALUE, AT(bind_addr), .parse = listen_address_parse,
     .def = "::", .metavar = "ADDR", .flags = OPT_F_RESTART,
     .help = "address to listen on: :: = every IPv6 and IPv4 address (0.0.0.0 where the kernel has no IPv6)"},
    {.name = "server-tokens", .kind = OPT_BOOL, AT(server_tokens), .def = "on", .metavar = "on|off",
     .help = "the Server header names the version (otuserver/1.0.0), or off: just otuserver"},
    {.name = "config", .see = "#the-configuration-file", .kind = OPT_PATH, AT(config_file), .metavar = "FILE", .flags = OPT_F_NOFILE,
     .help = "read settings from this YAML file (keys are the long option names); a reload (SIGHUP) "
             "reads it again",
     .examples = "--config /etc/otuserver/config.yaml"},
    /* connections */
    {.name = "grace-period", .kind = OPT_DURATION, AT(grace_ms), .min = 0, .max = 3600000, .def = "10s",
     .metavar = "DURATION", .help = "on SIGTERM or a reload, how long responses in flight may take"},
    {.name = "max-head-size", .kind = OPT_SIZE, AT(max_head_size), .min = 1024, .max = 1048576,
     .def = "8192", .metavar = "BYTES", .help = "request line + headers limit, 1024..1048576 (431; 414 for the target)"},
    {.name = "max-headers", .kind = OPT_INT, AT(max_headers), .min = 1, .max = 1000, .def = "100",
     .metavar = "N", .help = "header lines per request, 1..1000 (431)"},
    {.name = "header-timeout", .kind = OPT_DURATION, AT(header_timeout_ms), .min = 1, .max = 3600000,
     .def = "10s", .metavar = "DURATION", .flags = OPT_F_RESTART,
     .help = "the whole request head must arrive within this (408), not reset by each byte"},
    {.name = "keepalive-timeout", .kind = OPT_DURATION, AT(keepalive_timeout_ms), .min = 0, .max = 3600000,
     .def = "5s", .metavar = "DURATION",
     .help = "idle time allowed between requests on a connection; 0 turns keep-alive off"},
    {.name = "keepalive-requests", .kind = OPT_INT, AT(keepalive_requests), .min = 1, .max = 100000000,
     .def = "1000", .metavar = "N", .help = "requests served on one connection before it is closed"},
    {.name = "send-timeout", .kind = OPT_DURATION, AT(send_timeout_ms), .min = 1, .max = 3600000,
     .def = "60s", .metavar = "DURATION", .help = "close a connection whose client takes no bytes for this long"},
    {.name = "max-connections", .kind = OPT_INT, AT(max_connections), .min = 1, .max = 1000000,
     .def = "8192", .metavar = "N", .flags = OPT_F_RESTART,
     .help = "open connections per worker; at the cap the worker stops accepting"},
    /* behind proxies and load balancers */
    {.name = "trusted-proxies", .see = "security.md#behind-a-proxy", .kind = OPT_LIST, AT(trusted_proxies), .parse = net_list_parse_item,
     .clear = net_list_clear, .metavar = "CIDR,...",
     .help = "proxies and load balancers whose word on the client is believed (addresses, networks such as "
             "10.0.0.0/8 or fd00::/8, or private); the client is then read from --real-ip-header, the auth "
             "limiter and the log use it; empty (the default) = every peer is its own client",
     .examples = "--trusted-proxies 10.0.0.0/8,fd00::/8\n--trusted-proxies private"},
    {.name = "real-ip-header", .see = "security.md#behind-a-proxy", .kind = OPT_ENUM, AT(real_ip_header), .names = real_ip_headers,
     .def = "auto", .metavar = "FIELD",
     .help = "where a trusted proxy names the client: auto (Forwarded, else X-Forwarded-For, else X-Real-IP), or "
             "only forwarded, x-forwarded-for or x-real-ip: name the one your proxy writes"},
    {.name = "proxy-protocol", .see = "security.md#the-proxy-protocol", .kind = OPT_BOOL, AT(proxy_protocol), .def = "off",
     .flags = OPT_F_SWITCH,
     .help = "connections from --trusted-proxies start with a PROXY header (v1 or v2: AWS NLB, HAProxy send-proxy) "
             "naming the client, or are closed unanswered; other peers are served as themselves"},
    {.name = "request-id", .see = "operations.md#request-ids", .kind = OPT_BOOL, AT(request_id), .def = "off", .flags = OPT_F_SWITCH,
     .help = "send X-Request-Id with every answer and log it: a trusted proxy's (1..128 of A-Z a-z 0-9 . _ -), "
             "else a new 128-bit hex id"},
    /* the site */
    {.name = "file-cache", .see = "caching.md#the-open-file-cache", .kind = OPT_INT, AT(file_cache_entries), .min = 0, .max = 100000, .def = "1024",
     .metavar = "N", .help = "open files remembered per worker (changes show within 1 s); 0 reopens every time"},
    {.name = "etag-hash-max", .see = "caching.md#etags-and-variants", .kind = OPT_SIZE, AT(etag_hash_max), .min = 0,
     .max = 1024L * 1024 * 1024, .def = "16m", .metavar = "SIZE",
     .help = "files up to this size get an ETag from their contents, equal on every replica; larger ones (and all with --file-cache 0) size and mtime; 0 = never"},
    {.name = "serve-dotfiles", .kind = OPT_BOOL, AT(serve_dotfiles), .def = "off", .flags = OPT_F_SWITCH,
     .help = "serve names starting with '.' (otherwise 404; /.well-known/ is always served)"},
    {.name = "cache-control", .see = "#path-rules-cache-control-and-headers-per-path", .kind = OPT_LIST, AT(headers), .parse = path_headers_parse_cache_control,
     .clear = path_headers_clear_cache_control, .metavar = "[PATTERN=]VALUE", .flags = OPT_F_LINES,
     .help = "Cache-Control on files (200, 206, 304): VALUE for all, or PATTERN=VALUE for paths matching a "
             "glob (* any run, / included; ? one character), the request's or the answering file's "
             "(/ -> /index.html); first match wins, the plain VALUE where none does",
     .examples = "--cache-control 'public, max-age=3600'\n"
                 "--cache-control '*.html=no-cache' --cache-control '/assets/*=public, max-age=31536000, immutable'\n"
                 "OTUSERVER_CACHE_CONTROL=$'*.html=no-cache\\n/assets/*=public, max-age=31536000, immutable'"},
    {.name = "metrics-port", .see = "operations.md#metrics", .kind = OPT_INT, AT(metrics_port), .min = 0, .max = 65535, .keyword = "off",
     .keyword_value = 0, .def = "off", .metavar = "PORT|off", .flags = OPT_F_RESTART,
     .help = "serve Prometheus metrics at http://BIND:PORT/metrics (its own listener); off (or 0) = none"},
    {.name = "fallback", .see = "#error-pages-fallback-and-index-files", .kind = OPT_LIST, AT(pages), .parse = pages_fallback_parse,
     .clear = pages_fallbacks_clear, .metavar = "[PREFIX=]PATH",
     .help = "single-page apps: serve PATH for a missing path under PREFIX (/ when left out; the longest wins) "
             "without an extension, or with one when the request is a browser's navigation",
     .examples = "--fallback /index.html --fallback /admin/=/admin/index.html"},
    {.name = "try-ext", .see = "#clean-urls", .kind = OPT_LIST, AT(pages), .parse = pages_try_ext_parse, .clear = pages_try_ext_clear,
     .metavar = ".EXT,...", .help = "clean URLs: a missing /about is served by about.EXT, the first of these that exists (e.g. .html)"},
    {.name = "clean-urls-redirect", .see = "#clean-urls", .kind = OPT_BOOL, AT(pages.clean_urls_redirect), .def = "off",
     .flags = OPT_F_SWITCH,
     .help = "answer /about.html with 301 /about (an extension of --try-ext) and /x/index.html with 301 /x/, query kept"},
    {.name = "mime", .see = "#media-types", .kind = OPT_LIST, AT(mime), .parse = mime_override_parse, .clear = mime_overrides_clear,
     .metavar = "EXT=TYPE", .old_env = "OTUSERVER_MIME_TYPES",
     .help = "send files ending in .EXT as TYPE (e.g. yaml=application/yaml), ahead of the built-in table"},
    {.name = "error-page", .see = "#error-pages-fallback-and-index-files", .kind = OPT_LIST, AT(pages), .parse = pages_error_page_parse,
     .clear = pages_error_pages_clear, .metavar = "STATUS=PATH", .old_env = "OTUSERVER_ERROR_PAGES",
     .help = "serve PATH as the body of STATUS (e.g. 404=/404.html)"},
    {.name = "header", .see = "#path-rules-cache-control-and-headers-per-path", .kind = OPT_LIST, AT(headers), .parse = path_headers_parse_header,
     .clear = path_headers_clear_headers, .metavar = "'[PATTERN=]NAME: VALUE'", .old_env = "OTUSERVER_HEADERS",
     .flags = OPT_F_LINES,
     .help = "add a header to every response (security headers), or with PATTERN= to answers for paths "
             "matching the glob (as --cache-control's; errors too), where it replaces an all-paths header "
             "of its name; every matching rule applies",
     .examples = "--header 'X-Frame-Options: DENY' --header '/embed/*=X-Frame-Options: SAMEORIGIN'\n"
                 "OTUSERVER_HEADER=$'X-Frame-Options: DENY\\n/embed/*=X-Frame-Options: SAMEORIGIN'"},
    /* edges: CORS, redirects, directory listings */
    {.name = "cors-origins", .see = "#cors", .kind = OPT_LIST, AT(cors), .parse = cors_origin_parse, .clear = cors_origins_clear,
     .metavar = "'*'|ORIGIN,...",
     .help = "CORS: answer preflights (OPTIONS) and add Access-Control-Allow-Origin for these origins "
             "(scheme://host[:port]), or '*' for any; empty = off"},
    {.name = "cors-headers", .kind = OPT_LIST, AT(cors), .parse = cors_header_parse, .clear = cors_headers_clear,
     .def = "Range, If-None-Match, If-Modified-Since, If-Range", .metavar = "NAME,...",
     .help = "CORS: request headers a preflight allows (Access-Control-Allow-Headers)"},
    {.name = "cors-max-age", .kind = OPT_INT, AT(cors.max_age), .min = 0, .max = 86400, .def = "600",
     .metavar = "SECONDS",
     .help = "CORS: how long a browser may keep a preflight's answer (Access-Control-Max-Age), 0..86400"},
    {.name = "redirect", .see = "#redirects", .kind = OPT_LIST, AT(redirects), .parse = redirect_rule_parse,
     .clear = redirect_rules_clear, .metavar = "FROM=TO[:CODE]", .old_env = "OTUSERVER_REDIRECTS",
     .help = "answer FROM with CODE (301 default, 302, 307, 308) and Location TO: an exact path or a prefix "
             "/old/* whose rest goes to a TO ending in *; query kept",
     .examples = "--redirect '/old/*=/new/*' --redirect '/blog=https://blog.example.com/:302'"},
    {.name = "index", .kind = OPT_LIST, AT(pages), .parse = pages_index_parse, .clear = pages_index_clear,
     .def = "index.html", .metavar = "NAME,...", .flags = OPT_F_NONEMPTY,
     .help = "the file a folder serves, the first of these names that exists (e.g. index.html,index.htm)"},
    {.name = "charset", .kind = OPT_VALUE, AT(mime.charset), .parse = mime_charset_parse, .metavar = "NAME",
     .help = "append '; charset=NAME' (e.g. utf-8) to text types: text/*, JavaScript, JSON, XML, SVG; "
             "empty = none (the classic contract sends text/html bare)"},
    {.name = "autoindex", .see = "http.md#directory-listings", .kind = OPT_BOOL, AT(autoindex), .def = "off", .flags = OPT_F_SWITCH,
     .help = "list a folder without index.html (HTML; JSON for Accept: application/json; ?sort=name|size|time"
             "&order=asc|desc; at most 10000 entries) instead of 403"},
    {.name = "health-path", .see = "operations.md#health", .kind = OPT_URLPATH, AT(health_path), .metavar = "PATH",
     .help = "health probe path, e.g. /healthz: GET/HEAD answered by the worker itself, 200 when it "
             "can open the root, else 503; logged only at debug; empty = off"},
    /* basic authentication */
    {.name = "basic-auth-file", .see = "security.md#basic-authentication", .kind = OPT_PATH, AT(basic_auth_file), .metavar = "FILE",
     .help = "htpasswd file (user:hash, bcrypt $2y$/$2b$ or SHA-crypt $5$/$6$): every request but the "
             "health path needs its credentials (401); read again on a reload; empty = off"},
    {.name = "basic-auth-realm", .kind = OPT_TEXT, AT(basic_auth_realm),
     .flags = OPT_F_NONEMPTY | OPT_F_QUOTED, .def = "otuserver", .metavar = "REALM", .help = "realm named in WWW-Authenticate (printable ASCII, no quotes)"},
    /* compression on the fly */
    {.name = "compress", .see = "caching.md#compression", .kind = OPT_LIST, AT(compress), .parse = compress_coding_parse,
     .clear = compress_codings_clear, .def = "zstd,br,gzip", .metavar = "CODING,...|off", .flags = OPT_F_NONEMPTY,
     .help = "codings made on the fly, the preferred first (it breaks ties between equal client q-values); "
             "off = none (fresh, smaller .zst/.br/.gz siblings are still sent)"},
    {.name = "compress-types", .kind = OPT_LIST, AT(compress), .parse = compress_type_parse,
     .clear = compress_types_clear, .metavar = "TYPE,...",
     .def = "text/*,application/javascript,application/json,application/xml,application/manifest+json,"
            "application/wasm,image/svg+xml,font/ttf,font/otf,application/vnd.ms-fontobject",
     .help = "media types compressed on the fly; type/* takes a whole type"},
    {.name = "compress-min-size", .kind = OPT_SIZE, AT(compress.min_size), .min = 0,
     .max = COMPRESS_MAX_SIZE_LIMIT, .def = "1k", .metavar = "SIZE",
     .help = "smaller files are sent as they are (bytes, or k, m)"},
    {.name = "compress-max-size", .kind = OPT_SIZE, AT(compress.max_size), .min = 0,
     .max = COMPRESS_MAX_SIZE_LIMIT, .def = "64m", .metavar = "SIZE",
     .help = "larger files are never compressed on the fly, up to 1024m (past 1m a child process does it)"},
    {.name = "compress-cache-size", .kind = OPT_SIZE, AT(compress.cache_size), .min = 4096,
     .max = COMPRESS_CACHE_LIMIT, .def = "8m", .metavar = "SIZE",
     .help = "compressed bytes kept, least recently used dropped first, 4k..1024m: for the whole server "
             "in --compress-cache-dir, else per worker"},
    {.name = "compress-cache-dir", .see = "caching.md#the-shared-cache", .kind = OPT_PATH, AT(compress.cache_dir),
     .metavar = "DIR", .help = "a writable directory where every worker shares compressed results "
                               "(a tmpfs or emptyDir); empty or not writable = each worker keeps its own in memory"},
    {.name = "compress-level", .kind = OPT_LIST, AT(compress), .parse = compress_level_parse,
     .clear = compress_levels_reset, .def = "zstd=3,br=5,gzip=6", .metavar = "CODING=N,...",
     .help = "levels on the fly: zstd 1..19, br 0..9, gzip 1..12 (unnamed codings keep the defaults)"},
    /* the probe client and the modes */
    {.name = "healthcheck-path", .kind = OPT_URLPATH, AT(healthcheck_path), .metavar = "PATH",
     .flags = OPT_F_QUERY, .help = "path that --healthcheck requests; empty = the health path if set, else /"},
    {.name = "healthcheck", .see = "operations.md#health", .kind = OPT_MODE, .keyword_value = CONFIG_MODE_HEALTHCHECK, .flags = OPT_F_NOENV,
     .help = "probe http://127.0.0.1:PORT/ (or the bind address) and exit 0 if it answers 200, else 1"},
    {.name = "check-config", .see = "#checking-a-configuration", .kind = OPT_MODE, .keyword_value = CONFIG_MODE_CHECK, .flags = OPT_F_NOENV,
     .help = "check the configuration as a start would (values, files, the root) and print the effective "
             "settings with where each came from; exit 0, or 2 with the first error"},
    {.name = "help", .short_name = 'h', .kind = OPT_MODE, .keyword_value = CONFIG_MODE_HELP, .flags = OPT_F_NOENV,
     .help = "print this help and exit"},
    {.name = "version", .short_name = 'V', .kind = OPT_MODE, .keyword_value = CONFIG_MODE_VERSION,
     .flags = OPT_F_NOENV, .help = "print the version and exit"},
};
/* clang-format on */

const size_t config_option_count = OTU_ARRAY_LEN(config_options);

_Static_assert(OTU_ARRAY_LEN(config_options) <= CONFIG_OPTIONS_MAX, "CONFIG_OPTIONS_MAX holds every row");

void config_option_env(const struct option_spec *o, char *out, size_t cap)
{
    static const char prefix[] = "OTUSERVER_";
    size_t n = (size_t)snprintf(out, cap, "%s%s", prefix, o->name);
    for (size_t i = sizeof(prefix) - 1; i < n && i < cap; i++) {
        if (out[i] == '-')
            out[i] = '_';
        else
            out[i] = (char)toupper((unsigned char)out[i]);
    }
}

/* The row called name (a long name or alias, name_len bytes), or NULL. */
const struct option_spec *config_option_find(const char *name, size_t name_len)
{
    for (size_t i = 0; i < config_option_count; i++) {
        const struct option_spec *o = &config_options[i];
        if ((strlen(o->name) == name_len && strncmp(name, o->name, name_len) == 0) ||
            (o->alias && strlen(o->alias) == name_len && strncmp(name, o->alias, name_len) == 0))
            return o;
    }
    return NULL;
}

/* The row with short flag c, or NULL. */
const struct option_spec *config_option_find_short(char c)
{
    for (size_t i = 0; i < config_option_count; i++) {
        if (config_options[i].short_name != 0 && config_options[i].short_name == c)
            return &config_options[i];
    }
    return NULL;
}
