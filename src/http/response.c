/*
 * response.c - see response.h.
 */
#include "compat.h"

#include "response.h"

#include "textbuf.h"

#include <stdio.h>
#include <string.h>

const char *response_reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 412: return "Precondition Failed";
    case 414: return "URI Too Long";
    case 416: return "Range Not Satisfiable";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
    }
}

/* Appends "name: value\r\n" when value is not NULL. */
static void out_header(struct textbuf *o, const char *name, const char *value)
{
    if (value == NULL)
        return;
    textbuf_puts(o, name);
    textbuf_put(o, ": ", 2);
    textbuf_puts(o, value);
    textbuf_put(o, "\r\n", 2);
}

int response_format_head(const struct response_head *h, char *buf, size_t cap)
{
    struct textbuf o = textbuf_over(buf, cap);
    textbuf_put(&o, "HTTP/1.1 ", 9);
    textbuf_put_u64(&o, (uint64_t)h->status, 0);
    textbuf_put(&o, " ", 1);
    textbuf_puts(&o, response_reason(h->status));
    textbuf_put(&o, "\r\n", 2);
    out_header(&o, "Server", h->server);
    out_header(&o, "Date", h->date);
    out_header(&o, "Content-Type", h->content_type);
    if (h->content_length >= 0) {
        textbuf_put(&o, "Content-Length: ", 16);
        textbuf_put_u64(&o, (uint64_t)h->content_length, 0);
        textbuf_put(&o, "\r\n", 2);
    }
    if (h->chunked)
        textbuf_puts(&o, "Transfer-Encoding: chunked\r\n");
    out_header(&o, "Content-Encoding", h->content_encoding);
    out_header(&o, "Content-Range", h->content_range);
    out_header(&o, "Last-Modified", h->last_modified);
    out_header(&o, "ETag", h->etag);
    if (h->accept_ranges)
        textbuf_puts(&o, "Accept-Ranges: bytes\r\n");
    if (h->vary_accept_encoding)
        textbuf_puts(&o, "Vary: Accept-Encoding\r\n");
    out_header(&o, "Vary", h->vary);
    out_header(&o, "Cache-Control", h->cache_control);
    out_header(&o, "Location", h->location);
    out_header(&o, "Allow", h->allow);
    out_header(&o, "Retry-After", h->retry_after);
    if (h->listing_truncated)
        textbuf_puts(&o, "X-Listing-Truncated: true\r\n");
    if (h->cors != NULL)
        textbuf_puts(&o, h->cors);
    if (h->extra != NULL)
        textbuf_puts(&o, h->extra);
    textbuf_puts(&o, h->keep_alive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n");
    if (o.cut || o.len >= cap)
        return -1;
    buf[o.len] = '\0';
    return (int)o.len;
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
