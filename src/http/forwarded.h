/*
 * forwarded.h - what proxies tell about a request: the client's address
 * (Forwarded, RFC 7239; X-Forwarded-For; X-Real-IP) and its id
 * (X-Request-Id).
 *
 * Pure: the caller decides whether the connection's sender is trusted
 * (only then is any of this read) and hands the request's header lines
 * over; nothing is allocated, logged or kept.  A chain of addresses is
 * walked from the right, the end the trusted proxy wrote: the client is
 * the first address that is not itself a trusted proxy.  A field that is
 * malformed or over a limit is ignored as a whole and the caller keeps its
 * sender: a proxy's quirk never becomes an error, and a client behind a
 * proxy can at worst be seen as that proxy, never as someone else.
 */
#ifndef OTU_FORWARDED_H
#define OTU_FORWARDED_H

#include "http_parser.h"
#include "netaddr.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Addresses one field's chain may hold.  A request crosses a few proxies
 * (a CDN, a load balancer, an ingress); a longer chain was padded by a
 * client, and walking it would only cost time: it is ignored.
 */
#define FORWARDED_HOPS_MAX 32
/* Bytes of one field's value, its lines joined: 32 hops of "[IPv6]:port" fit; more is ignored. */
#define FORWARDED_VALUE_MAX 1024
/* Longest X-Request-Id kept from a trusted proxy (a UUID is 36, a W3C trace id 32). */
#define REQUEST_ID_MAX 128
/* Hex digits of a generated id: 128 random bits. */
#define REQUEST_ID_HEX 32

/* Which field names the client (--real-ip-header); the order is the names' in config_options.c. */
enum forwarded_field {
    FORWARDED_AUTO = 0, /* the first present of Forwarded, X-Forwarded-For, X-Real-IP */
    FORWARDED_RFC7239,  /* Forwarded's for= only */
    FORWARDED_XFF,      /* X-Forwarded-For only */
    FORWARDED_REAL_IP   /* X-Real-IP only */
};

/* What forwarded_client() found. */
enum forwarded_result {
    FORWARDED_ABSENT,   /* no such field: the sender is the client */
    FORWARDED_RESOLVED, /* *client holds the address the field names */
    FORWARDED_IGNORED   /* malformed, or over FORWARDED_HOPS_MAX or FORWARDED_VALUE_MAX: the sender is kept */
};

/*
 * Reads the client's address from the header lines (n of them) a trusted
 * sender passed on, in field which: Forwarded's for= nodes (IPv4, "[IPv6]",
 * either with a port) or X-Forwarded-For's addresses (also with a port),
 * walked from the right to the first address not in trusted (every one
 * trusted: the leftmost); X-Real-IP's one address as it is.  Repeated lines
 * of a field are one list, in order.  Writes *client only when it returns
 * FORWARDED_RESOLVED.
 */
enum forwarded_result forwarded_client(const struct net_list *trusted, enum forwarded_field which,
                                       const struct http_header *headers, size_t n, struct net_addr *client);

/* True when v may be kept as a request id: 1..REQUEST_ID_MAX bytes of [A-Za-z0-9._-]. */
bool request_id_acceptable(struct http_slice v);

/*
 * The X-Request-Id among the header lines to keep: the value of the one
 * X-Request-Id line when it is acceptable; p NULL when there is none, more
 * than one, or one that is not acceptable (then a new id is made).
 */
struct http_slice forwarded_request_id(const struct http_header *headers, size_t n);

/* Writes 128 bits as REQUEST_ID_HEX lower-case hex digits and a NUL. */
void request_id_format(const uint64_t bits[2], char out[REQUEST_ID_HEX + 1]);

#endif
