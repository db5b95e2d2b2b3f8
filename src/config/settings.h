/*
 * settings.h - struct config: every setting of the server, as the option
 * table (config_options.c) fills it.  Each feature owns its part (struct
 * redirect_rules, struct cors_config, struct path_headers...) and its
 * grammar; this is their sum, plain data copied into every worker.
 * Filled by config_parse() (config.h).
 */
#ifndef OTU_SETTINGS_H
#define OTU_SETTINGS_H

#include "compress.h"
#include "cors.h"
#include "listen.h"
#include "mime.h"
#include "netaddr.h"
#include "pages.h"
#include "path_rules.h"
#include "redirect.h"

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Warnings one parse may give (unknown variables, deprecated names, service links); more are counted. */
#define CONFIG_WARNINGS_MAX 8
/* Longest warning line. */
#define CONFIG_WARNING_LEN 300
/* Rows the option table may have (config_options.c checks it). */
#define CONFIG_OPTIONS_MAX 64

enum config_mode {
    CONFIG_MODE_SERVE = 0,   /* run the server */
    CONFIG_MODE_HELP,        /* print --help and exit 0 */
    CONFIG_MODE_VERSION,     /* print the version and exit 0 */
    CONFIG_MODE_HEALTHCHECK, /* probe a running server and exit 0 or 1 */
    CONFIG_MODE_CHECK        /* --check-config: validate, print the effective settings, exit 0 or 2 */
};

/* Where a setting's value came from, lowest precedence first. */
enum config_source { CONFIG_SOURCE_DEFAULT = 0, CONFIG_SOURCE_FILE, CONFIG_SOURCE_ENV, CONFIG_SOURCE_FLAG };

/* Lines to log once the log is open: what a parse noticed and let pass. */
struct config_warnings {
    int count;   /* lines in line[] */
    int dropped; /* more that did not fit */
    char line[CONFIG_WARNINGS_MAX][CONFIG_WARNING_LEN];
};

struct config {
    enum config_mode mode;
    char config_file[PATH_MAX]; /* --config / OTUSERVER_CONFIG, "" = none */
    /* the listeners and processes (a reload keeps these: restart to change them) */
    int port;                        /* TCP port, 1..65535 */
    char bind_addr[LISTEN_ADDR_MAX]; /* IPv4 or IPv6 literal to listen on (no brackets) */
    int metrics_port;                /* Prometheus /metrics listener; 0 = off */
    int workers;                     /* worker processes (0 in the row = auto, resolved by config_parse) */
    bool workers_auto;               /* workers came from the CPU count */
    char log_file[PATH_MAX];         /* log path, or "-" for standard output */
    /* the log */
    int log_level;  /* enum log_level */
    int log_format; /* enum access_log_format */
    /* connections */
    int grace_ms;             /* shutdown grace period */
    int max_head_size;        /* bytes of request line + headers */
    int max_headers;          /* header lines per request */
    int header_timeout_ms;    /* whole request head must arrive within this */
    int keepalive_timeout_ms; /* idle time allowed between requests; 0 = no keep-alive */
    int keepalive_requests;   /* requests per connection */
    int send_timeout_ms;      /* longest wait for a client to take more bytes */
    int max_connections;      /* open connections per worker */
    /* behind proxies and load balancers */
    struct net_list trusted_proxies; /* peers whose forwarded fields and PROXY headers are believed */
    int real_ip_header;              /* enum forwarded_field: where a trusted proxy names the client */
    bool proxy_protocol;             /* trusted peers start their connections with a PROXY header */
    bool request_id;                 /* X-Request-Id on every answer and access line */
    /* the site */
    char root[PATH_MAX];                   /* document root as given */
    bool server_tokens;                    /* the Server header carries the version */
    int file_cache_entries;                /* names remembered per worker; 0 = reopen every time */
    int etag_hash_max;                     /* files up to this size get a content ETag; 0 = none (etag.h) */
    bool serve_dotfiles;                   /* serve names starting with '.' */
    bool autoindex;                        /* list folders without an index file (else 403) */
    char health_path[PAGES_PATH_MAX];      /* answered by the worker itself: 200 or 503; "" = off */
    char healthcheck_path[PAGES_PATH_MAX]; /* path --healthcheck requests; "" = see config_probe_path() */
    char basic_auth_file[PATH_MAX];        /* htpasswd file: every request but the health path needs
                                              a user of it; "" = no authentication */
    char basic_auth_realm[64];             /* realm named in WWW-Authenticate (inside a quoted string) */
    struct pages_config pages;             /* --index, --error-page, --fallback */
    struct path_headers headers;           /* --cache-control, --header */
    struct mime_config mime;               /* --mime, --charset */
    struct cors_config cors;               /* --cors-* */
    struct redirect_rules redirects;       /* --redirect */
    struct compress_config compress;       /* --compress* */
    struct config_warnings warnings;       /* what the parse noticed and let pass */
};

#endif
