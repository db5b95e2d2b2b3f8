/*
 * config.h - otuserver's settings: defaults, environment, flags.
 *
 * Precedence is flag > environment variable > default.  Every option is one
 * row of a table in config.c, which drives parsing, validation and --help,
 * so the three cannot drift apart.
 */
#ifndef OTU_CONFIG_H
#define OTU_CONFIG_H

#include "path_rules.h"

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/socket.h>

/* Longest Cache-Control value we accept; a header line, not a document. */
#define CONFIG_HEADER_VALUE_MAX 512
/* Room for all --header lines together, as sent ("Name: value\r\n" each). */
#define CONFIG_HEADERS_MAX 2048
/* Most --error-page mappings. */
#define CONFIG_ERROR_PAGES_MAX 16
/* --mime overrides a site may set (the mime module holds as many). */
#define CONFIG_MIME_MAX 64
/* Index names tried in a folder, in order (--index); each costs a lookup per folder request. */
#define CONFIG_INDEX_MAX 4
/* --cors-origins entries: a site's own front ends, not a registry of the web. */
#define CONFIG_CORS_ORIGINS_MAX 16
/* Longest origin: "https://" + a DNS name (253) + ":65535", with room to spare. */
#define CONFIG_ORIGIN_MAX 280
/* --redirect rules: each request walks them in order, so a short list (a site's moved pages). */
#define CONFIG_REDIRECTS_MAX 64
/* Room for --compress-types: a few dozen media types, comma-separated. */
#define CONFIG_COMPRESS_TYPES_MAX 512

/* One --redirect FROM=TO[:CODE]. */
struct config_redirect {
    char from[256];                /* request path; for a prefix, without its trailing '*' */
    bool prefix;                   /* FROM ended in '*': paths starting with from match */
    char to[512];                  /* a path or an http(s) URL; a trailing '*' takes the rest */
    int code;                      /* 301, 302, 307 or 308 */
};

struct config_error_page {
    int status;                    /* 400..599 */
    char path[256];                /* request path of the page, e.g. "/404.html" */
};

enum config_mode {
    CONFIG_MODE_SERVE = 0,   /* run the server */
    CONFIG_MODE_HELP,        /* print --help and exit 0 */
    CONFIG_MODE_VERSION,     /* print the version and exit 0 */
    CONFIG_MODE_HEALTHCHECK  /* probe a running server and exit 0 or 1 */
};

struct config {
    enum config_mode mode;
    int port;                      /* TCP port, 1..65535 */
    char bind_addr[64];            /* IPv4 or IPv6 literal to listen on (no brackets) */
    bool server_tokens;            /* the Server header carries the version */
    char warning[400];             /* a setting config_parse() ignored, and why; "" = none */
    int workers;                   /* worker processes (resolved from "auto") */
    bool workers_auto;             /* workers came from the CPU count */
    int log_level;                 /* enum log_level */
    int log_format;                /* enum access_log_format */
    char root[PATH_MAX];           /* document root as given */
    char log_file[PATH_MAX];       /* log path, or "-" for standard output */
    int grace_ms;                  /* shutdown grace period */
    int max_head_size;             /* bytes of request line + headers */
    int max_headers;               /* header lines per request */
    int header_timeout_ms;         /* whole request head must arrive within this */
    int keepalive_timeout_ms;      /* idle time allowed between requests; 0 = no keep-alive */
    int keepalive_requests;        /* requests per connection */
    int send_timeout_ms;           /* longest wait for a client to take more bytes */
    int max_connections;           /* open connections per worker */
    int file_cache_entries;        /* names remembered per worker; 0 = reopen every time */
    bool serve_dotfiles;           /* serve names starting with '.' */
    char cache_control[CONFIG_HEADER_VALUE_MAX]; /* Cache-Control on files no rule matches, "" = none */
    struct path_rules cache_rules; /* --cache-control PATTERN=VALUE: first match wins ("" = none) */
    char health_path[256];         /* answered by the worker itself (GET/HEAD): 200 or 503; "" = off */
    char healthcheck_path[256];    /* path --healthcheck requests; "" = see config_probe_path() */
    int metrics_port;              /* Prometheus /metrics listener; 0 = off */
    char fallback[256];            /* SPA fallback path, "" = none */
    char headers[CONFIG_HEADERS_MAX]; /* extra response headers, "Name: value\r\n" each */
    struct path_rules header_rules; /* --header PATTERN=Name: value: one "Name: value\r\n" line
                                       each, for matching paths; with headers[], at most
                                       CONFIG_HEADERS_MAX bytes in all */
    char basic_auth_file[PATH_MAX]; /* htpasswd file: every request but the health path needs
                                       a user of it; "" = no authentication */
    char basic_auth_realm[64];     /* realm named in WWW-Authenticate */
    int error_page_count;          /* entries in error_pages[] */
    struct config_error_page error_pages[CONFIG_ERROR_PAGES_MAX]; /* custom error pages */
    int mime_count;                /* entries in mime[] */
    struct {
        char ext[17];              /* extension, no dot */
        char type[128];            /* its media type */
    } mime[CONFIG_MIME_MAX];       /* --mime EXT=TYPE, ahead of the built-in tables */
    /* edges: CORS, redirects, directory listings */
    bool cors_any;                 /* --cors-origins '*': every origin, answered with "*" */
    int cors_origin_count;         /* entries in cors_origins[]; 0 and !cors_any = CORS off */
    char cors_origins[CONFIG_CORS_ORIGINS_MAX][CONFIG_ORIGIN_MAX]; /* scheme://host[:port], host lower-case */
    char cors_headers[256];        /* Access-Control-Allow-Headers of a preflight's answer */
    int cors_max_age;              /* Access-Control-Max-Age, seconds */
    int redirect_count;            /* entries in redirects[] */
    struct config_redirect redirects[CONFIG_REDIRECTS_MAX]; /* --redirect, in the order given */
    bool autoindex;                /* list folders without an index file (else 403) */
    int index_count;               /* names in index_names[] */
    char index_names[CONFIG_INDEX_MAX][64]; /* --index: a folder's file, first found wins */
    char charset[32];              /* --charset: appended to text types; "" = none */
    /* compression on the fly (issue 15) */
    bool compress_gzip;            /* --compress gzip (else off): compressible files, gzip'ed once */
    char compress_types[CONFIG_COMPRESS_TYPES_MAX]; /* media types compressed; "text/" + "*" a prefix */
    int compress_min_size;         /* smaller files go out as they are (bytes) */
    int compress_max_size;         /* larger ones too: bounds one compression's time (bytes) */
    int compress_cache_size;       /* compressed bytes kept per worker */
    int compress_level;            /* libdeflate level, 1..12 */
};

/* Looks up an environment variable; tests pass their own. */
typedef const char *(*config_getenv_fn)(const char *name);

/*
 * Fills *cfg from defaults, then the environment (through getenv_fn), then
 * argv.  An empty variable counts as unset.  Returns 0 on success, or 2
 * with a one-line message (no newline) in err naming the flag or variable,
 * the value and what is allowed.
 */
int config_parse(struct config *cfg, int argc, char **argv, config_getenv_fn getenv_fn,
                 char *err, size_t errlen);

/*
 * Checks what parsing cannot: that the document root is an existing,
 * searchable directory.  Returns 0, or 2 with a one-line message in err.
 */
int config_validate(const struct config *cfg, char *err, size_t errlen);

/*
 * Returns the path "otuserver --healthcheck" requests: --healthcheck-path
 * (OTUSERVER_HEALTHCHECK_PATH) when set, else --health-path
 * (OTUSERVER_HEALTH_PATH) when set, else "/".  The string lives in cfg.
 */
const char *config_probe_path(const struct config *cfg);

/* Writes the --help text, every option with its variable and default. */
void config_print_help(FILE *out);

/*
 * Returns the CPUs this process may use: the affinity mask, lowered by a
 * cgroup CPU quota when one is set (containers), at least 1.
 */
int config_cpu_count(void);

/*
 * Seconds the site's listener holds a new connection in the kernel until its
 * first bytes arrive (TCP_DEFER_ACCEPT), so the worker accepts it with the
 * request already readable: one recv() finds it and the connection is never
 * registered with epoll.  CONFIG_DEFER_ACCEPT_S, or 0 (off) when the header
 * timeout is shorter.  A connection still silent then is accepted anyway;
 * conn shortens its header deadline by this much, so a silent client is
 * bounded by the header timeout as before, and a client whose first bytes
 * came meanwhile by this plus the header timeout.
 */
int config_defer_accept_s(const struct config *cfg);

/*
 * Fills *ss with the socket address of cfg->bind_addr (an IPv4 or IPv6
 * literal, checked when the configuration was read) and port; returns its
 * length.  With for_client, a wildcard (0.0.0.0 or ::) becomes the loopback
 * address of its family: where a local client reaches the server.
 */
socklen_t config_socket_addr(const struct config *cfg, int port, bool for_client,
                             struct sockaddr_storage *ss);

/*
 * When cfg listens on the default "::" and the kernel has no IPv6 (built
 * without it, or disabled), switches to 0.0.0.0.  Returns true when it did.
 */
bool config_fall_back_to_ipv4(struct config *cfg);

#endif
