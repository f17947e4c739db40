/* The PROXY protocol, version 2 (HAProxy's proxy-protocol.txt §2.2): the binary header a load
 * balancer sends first on each connection to name the client it is forwarding. Parsed only on
 * listeners that enable it (`proxy-protocol` in their listen line): anyone else's header is
 * ordinary, malformed input there, since only the front-end may say who the client is.
 *
 * Strict, through a bounded cursor: the 12-byte signature; version 2; command LOCAL (the
 * balancer's own connection, e.g. a health check: the socket's peer stays the client) or PROXY
 * with TCP over IPv4 or IPv6 (UDP, UNIX sockets and the unspecified family are refused with
 * PROXY: ringserver cannot name such a client); a family byte the specification defines; a
 * length that covers the address block and no more than RS_PROXY_MAX_HEADER in all; TLVs
 * (§2.2.x) that exactly fill the rest, with LOCAL too, a CRC32C TLV verified (§2.2.5 "MUST"),
 * others skipped. Version 1 (the text form) is not spoken.
 *
 * CRC32C runs on SSE 4.2's instruction where the CPU has it (x86-64), bit by bit elsewhere.
 *
 * Thread-safe; allocates nothing. */
#ifndef RINGSERVER_PROXY_PROTOCOL_H
#define RINGSERVER_PROXY_PROTOCOL_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* 16 bytes of fixed header, 36 of IPv6 addresses, and room for the TLVs HAProxy sends (ALPN,
 * authority, unique id, CRC32C, the TLS summary). */
#define RS_PROXY_MAX_HEADER 2048

enum rs_proxy_result {
    RS_PROXY_NEED_MORE, /* a prefix of a valid header */
    RS_PROXY_LOCAL,     /* a LOCAL header: the connection is the balancer's own */
    RS_PROXY_CLIENT,    /* a PROXY header naming the client in `source` */
    RS_PROXY_REFUSED,   /* not a header ringserver accepts; `reason` says why */
};

struct rs_proxy_header {
    size_t length; /* LOCAL or CLIENT: bytes of the header, the payload follows */
    struct sockaddr_storage source, destination; /* CLIENT: the client, and whom it reached */
    socklen_t source_len;
    const char *reason; /* REFUSED: a short constant text, for the log */
};

enum rs_proxy_result rs_proxy_parse(const uint8_t *buf, size_t len, struct rs_proxy_header *out);

/* Whether `buf` starts like a PROXY header of either version (the v2 signature, or v1's
 * "PROXY "): on a listener without proxy-protocol it is refused, not taken for a request. */
bool rs_proxy_header_like(const uint8_t *buf, size_t len);

/* CRC-32C (Castagnoli, RFC 3720 §B.4), as §2.2.5 computes it. */
uint32_t rs_crc32c(uint32_t crc, const uint8_t *p, size_t n);

#endif
