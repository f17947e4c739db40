/* Strict base64 (RFC 4648 §4) for the helper protocol's tokens: the canonical encoding only
 * (length a multiple of 4, padding only at the end, unused bits zero), so every token has one
 * spelling and decode(encode(x)) == x both ways. */
#ifndef NEGRING_SQUID_BASE64_H
#define NEGRING_SQUID_BASE64_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Decodes src[0..len) into out (room for out_cap bytes). False when it is not canonical
 * base64 or does not fit. */
bool ne_b64_decode(const char *src, size_t len, uint8_t *out, size_t out_cap, size_t *out_len);
/* Encodes into out, which needs ne_b64_encoded_len(len) + 1 bytes (a NUL is added). */
size_t ne_b64_encode(const uint8_t *src, size_t len, char *out);

static inline size_t ne_b64_encoded_len(size_t len)
{
    return (len + 2) / 3 * 4;
}

#endif
