/*
 * listen.h - where the server listens: the address setting's grammar, the
 * socket address it names, and what the kernel offers (IPv6, deferred
 * accept).  No sockets are kept here; master.c opens them.
 */
#ifndef OTU_LISTEN_H
#define OTU_LISTEN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

/* Room for an address literal without brackets (an IPv6 one is at most 45 characters). */
#define LISTEN_ADDR_MAX 64

/*
 * Reads --bind: an IPv4 or IPv6 literal, an IPv6 one possibly in brackets
 * as in URLs ([::1]), into the char[LISTEN_ADDR_MAX] at dst without the
 * brackets.  Returns 0, or -1 with what is allowed in why.
 */
int listen_address_parse(void *dst, const char *value, char *why, size_t whylen);

/*
 * Fills *ss with the socket address of bind_addr (a literal checked by
 * listen_address_parse) and port; returns its length.  With for_client, a
 * wildcard (0.0.0.0 or ::) becomes the loopback address of its family:
 * where a local client reaches the server.
 */
socklen_t listen_socket_addr(const char *bind_addr, int port, bool for_client, struct sockaddr_storage *ss);

/*
 * Seconds the site's listener holds a new connection in the kernel until its
 * first bytes arrive (TCP_DEFER_ACCEPT), so the worker accepts it with the
 * request already readable: one recv() finds it and the connection is never
 * registered with epoll.  LISTEN_DEFER_ACCEPT_S, or 0 (off) when the header
 * timeout is shorter.  A connection still silent then is accepted anyway.
 */
int listen_defer_accept_s(int header_timeout_ms);

/*
 * When bind_addr (cap bytes) is the default "::" and the kernel has no IPv6
 * (built without it, or disabled), makes it 0.0.0.0.  Returns true when it did.
 */
bool listen_fall_back_to_ipv4(char *bind_addr, size_t cap);

#endif
