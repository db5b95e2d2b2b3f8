/*
 * response.c - see response.h.
 */
#include "compat.h"

#include "response.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

const char *response_reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 412: return "Precondition Failed";
    case 414: return "URI Too Long";
    case 416: return "Range Not Satisfiable";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
    }
}

/* A bounded appender: once anything fails to fit, every later append is a no-op. */
struct out {
    char *buf;
    size_t cap;
    size_t len;
    bool overflow;
};

static void out_printf(struct out *o, const char *fmt, ...) OTU_PRINTF(2, 3);
static void out_printf(struct out *o, const char *fmt, ...)
{
    if (o->overflow)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= o->cap - o->len)
        o->overflow = true;
    else
        o->len += (size_t)n;
}

/* Appends "name: value\r\n" when value is not NULL. */
static void out_header(struct out *o, const char *name, const char *value)
{
    if (value != NULL)
        out_printf(o, "%s: %s\r\n", name, value);
}

int response_format_head(const struct response_head *h, char *buf, size_t cap)
{
    struct out o = {buf, cap, 0, cap == 0};
    out_printf(&o, "HTTP/1.1 %d %s\r\n", h->status, response_reason(h->status));
    out_header(&o, "Server", h->server);
    out_header(&o, "Date", h->date);
    out_header(&o, "Content-Type", h->content_type);
    if (h->content_length >= 0)
        out_printf(&o, "Content-Length: %" PRId64 "\r\n", h->content_length);
    out_header(&o, "Content-Encoding", h->content_encoding);
    out_header(&o, "Content-Range", h->content_range);
    out_header(&o, "Last-Modified", h->last_modified);
    out_header(&o, "ETag", h->etag);
    if (h->accept_ranges)
        out_printf(&o, "Accept-Ranges: bytes\r\n");
    if (h->vary_accept_encoding)
        out_printf(&o, "Vary: Accept-Encoding\r\n");
    out_header(&o, "Cache-Control", h->cache_control);
    out_header(&o, "Location", h->location);
    out_header(&o, "Allow", h->allow);
    if (h->extra != NULL)
        out_printf(&o, "%s", h->extra);
    out_printf(&o, "Connection: %s\r\n\r\n", h->keep_alive ? "keep-alive" : "close");
    return o.overflow ? -1 : (int)o.len;
}

int response_error_body(int status, char *buf, size_t cap)
{
    const char *reason = response_reason(status);
    int n = snprintf(buf, cap,
                     "<!DOCTYPE html>\n<html><head><title>%d %s</title></head>"
                     "<body><h1>%d %s</h1><hr><p>otuserver</p></body></html>\n",
                     status, reason, status, reason);
    return (n < 0 || (size_t)n >= cap) ? -1 : n;
}
