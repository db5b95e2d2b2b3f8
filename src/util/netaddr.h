/*
 * netaddr.h - IP addresses and lists of networks: read from text, from a
 * socket address, written as text, and matched.
 *
 * An address is IPv4 or IPv6; an IPv4-mapped IPv6 address (::ffff:a.b.c.d,
 * what a dual-stack socket reports for an IPv4 client) is always held as the
 * IPv4 address it maps, so 10.0.0.0/8 matches a client of the [::] listener.
 * A list holds the networks of --trusted-proxies.  A leaf: no HTTP, no I/O.
 */
#ifndef OTU_NETADDR_H
#define OTU_NETADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* Room for an address as text, NUL included (INET6_ADDRSTRLEN). */
#define NET_ADDR_TEXT_MAX 46
/*
 * Networks one list holds: an operator's proxies and load balancers are a
 * handful of ranges; a longer list is more likely a mistake than a design
 * (the start fails above it).
 */
#define NET_LIST_MAX 64

enum net_family { NET_NONE = 0, NET_IPV4 = 4, NET_IPV6 = 6 };

/* One address. */
struct net_addr {
    enum net_family family; /* NET_NONE when unknown */
    uint8_t b[16];          /* network order: 4 bytes for IPv4, 16 for IPv6 */
};

/* One network: an address and how many leading bits of it count. */
struct net_range {
    struct net_addr addr; /* host bits are zero */
    int bits;             /* 0..32 for IPv4, 0..128 for IPv6 */
};

/* A list of networks (--trusted-proxies).  All zero is empty. */
struct net_list {
    int count;                            /* entries in range[] */
    struct net_range range[NET_LIST_MAX]; /* in the order given */
};

/*
 * Reads an address from s (len bytes, no NUL needed): dotted-quad IPv4, or
 * IPv6 without brackets or zone.  Returns true with *out set, or false
 * (*out untouched).
 */
bool net_addr_parse(const char *s, size_t len, struct net_addr *out);

/* Reads the address of a socket address (AF_INET, AF_INET6); false for any other family. */
bool net_addr_from_sockaddr(const struct sockaddr *sa, struct net_addr *out);

/* Writes a as text into out (NET_ADDR_TEXT_MAX bytes): "192.0.2.7", "2001:db8::1"; "" for none. */
void net_addr_format(const struct net_addr *a, char out[NET_ADDR_TEXT_MAX]);

/* True when a and b are the same address. */
bool net_addr_equal(const struct net_addr *a, const struct net_addr *b);

/*
 * Adds one --trusted-proxies item to the struct net_list at list: an
 * address (a network of one), a network in CIDR form with no host bits set
 * (10.0.0.0/8, fd00::/8), or "private" (the RFC 1918 ranges and fc00::/7,
 * loopback not included).  Returns 0, or -1 with what is allowed in why.
 */
int net_list_parse_item(void *list, const char *item, char *why, size_t whylen);

/* Empties the struct net_list at list. */
void net_list_clear(void *list);

/* True when a lies in one of l's networks. */
bool net_list_contains(const struct net_list *l, const struct net_addr *a);

#endif
