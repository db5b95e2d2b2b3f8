/*
 * listen.c - see listen.h.
 */
#include "compat.h"

#include "listen.h"

#include "optparse.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/*
 * The deferral's length.  One second is the kernel's unit and its first SYN-ACK
 * retransmission (a longer one is rounded up along the doubling schedule,
 * 3, 7, 15 s): a real client's request follows its handshake within a round
 * trip, and a longer hold would only keep silent connections out of sight of
 * --max-connections and the metrics for longer.
 */
#define LISTEN_DEFER_ACCEPT_S 1

int listen_address_parse(void *dst, const char *value, char *why, size_t whylen)
{
    char bare[LISTEN_ADDR_MAX];
    size_t n = strlen(value);
    bool bracketed = n >= 2 && value[0] == '[' && value[n - 1] == ']';
    const char *s = bracketed ? value + 1 : value;
    size_t len = bracketed ? n - 2 : n;
    if (len < sizeof(bare)) {
        unsigned char addr[sizeof(struct in6_addr)];
        memcpy(bare, s, len);
        bare[len] = '\0';
        bool v6 = inet_pton(AF_INET6, bare, addr) == 1;
        if (v6 || (!bracketed && value[0] != '[' && inet_pton(AF_INET, bare, addr) == 1)) {
            memcpy(dst, bare, len + 1);
            return 0;
        }
    }
    return opt_expected(why, whylen, "an IPv4 or IPv6 address such as 0.0.0.0, :: or [::1]");
}

socklen_t listen_socket_addr(const char *bind_addr, int port, bool for_client, struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof(*ss));
    struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET, bind_addr, &v4->sin_addr) == 1) {
        if (for_client && v4->sin_addr.s_addr == htonl(INADDR_ANY))
            v4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)port);
        return sizeof(*v4);
    }
    inet_pton(AF_INET6, bind_addr, &v6->sin6_addr);
    if (for_client && IN6_IS_ADDR_UNSPECIFIED(&v6->sin6_addr))
        v6->sin6_addr = in6addr_loopback;
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons((uint16_t)port);
    return sizeof(*v6);
}

int listen_defer_accept_s(int header_timeout_ms)
{
    return header_timeout_ms >= LISTEN_DEFER_ACCEPT_S * 1000 ? LISTEN_DEFER_ACCEPT_S : 0;
}

bool listen_fall_back_to_ipv4(char *bind_addr, size_t cap)
{
    if (strcmp(bind_addr, "::") != 0)
        return false;
    int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in6 any = {.sin6_family = AF_INET6}; /* port 0: any free one */
    bool ok = fd >= 0 && bind(fd, (struct sockaddr *)&any, sizeof(any)) == 0;
    if (fd >= 0)
        close(fd);
    if (ok)
        return false;
    snprintf(bind_addr, cap, "0.0.0.0");
    return true;
}
