/*
 * proxy_proto.h - the PROXY protocol header (versions 1 and 2, HAProxy's
 * specification) that an L4 load balancer sends before the client's bytes
 * to say whose connection it forwards.
 *
 * A pure parser in picohttpparser's shape: the caller owns the bytes and
 * calls again with more until the answer is not "incomplete"; nothing is
 * allocated or kept.  Whether a connection may send one (its peer is a
 * trusted proxy) is the connection engine's business.
 */
#ifndef OTU_PROXY_PROTO_H
#define OTU_PROXY_PROTO_H

#include "netaddr.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PROXY_MALFORMED  (-1) /* not a valid header: the connection is closed unanswered */
#define PROXY_INCOMPLETE (-2) /* a valid beginning: need more bytes */

/* Longest version 1 line, "PROXY" to CRLF, as the specification bounds it. */
#define PROXY_V1_MAX 107
/*
 * Longest version 2 header read: the 16 fixed bytes, the addresses and the
 * TLVs (which are skipped).  HAProxy and the cloud balancers send well under
 * 300 bytes; a larger one is refused rather than buffered, and it always
 * fits in the smallest head buffer (--max-head-size 1024).
 */
#define PROXY_V2_MAX 1024

/* What a header says. */
struct proxy_info {
    int version;            /* 1 or 2 */
    bool keep_peer;         /* LOCAL (a balancer's own check), UNKNOWN, or a family other than
                               TCP/UDP over IPv4/IPv6: the connection is its own client */
    struct net_addr source; /* the client's address (unless keep_peer) */
    uint16_t source_port;   /* the client's port (unless keep_peer) */
};

/*
 * Parses the header at buf[0..len).  Returns the bytes it takes (the
 * client's data follows them) with *out filled, PROXY_INCOMPLETE when buf
 * is a valid beginning of one, or PROXY_MALFORMED.
 */
int proxy_parse(const uint8_t *buf, size_t len, struct proxy_info *out);

/* Length of a version 2 LOCAL header. */
#define PROXY_LOCAL_LEN 16

/*
 * Writes a version 2 LOCAL header (a connection on the sender's own
 * behalf: the receiver keeps the peer) into out; returns PROXY_LOCAL_LEN.
 * What a health probe from a trusted address sends first.
 */
size_t proxy_write_local(uint8_t out[PROXY_LOCAL_LEN]);

/* What proxy_sniff() sees. */
enum proxy_sniff {
    PROXY_SNIFF_NO,    /* not a PROXY header: ordinary bytes */
    PROXY_SNIFF_MAYBE, /* too short to tell (a prefix of "PROXY " or of the version 2 signature) */
    PROXY_SNIFF_YES    /* the start of a PROXY header */
};

/* Whether buf[0..len) starts a PROXY header, for refusing one from a peer that is not trusted. */
enum proxy_sniff proxy_sniff(const uint8_t *buf, size_t len);

#endif
