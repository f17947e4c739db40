/* RFC 4648 §4 base64, as HTTP Negotiate carries tokens (RFC 4559 §4). */
#ifndef NEGRING_LOADGEN_BASE64_H
#define NEGRING_LOADGEN_BASE64_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

static inline size_t lg_b64_encoded_len(size_t n)
{
    return (n + 2) / 3 * 4;
}

/* Writes lg_b64_encoded_len(n) characters (no terminator) to out. */
void lg_b64_encode(const uint8_t *in, size_t n, char *out);
/* Decodes padded base64 of length n into out (room for n / 4 * 3 bytes); false on any
 * character outside the alphabet, bad padding or a length that is not a multiple of 4. */
bool lg_b64_decode(const char *in, size_t n, uint8_t *out, size_t *out_len);

#endif
