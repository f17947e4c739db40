/* Strict base64, RFC 4648 §4 (and §5's URL alphabet, for ringserver's cookies): the alphabet only
 * (no whitespace), a length that is a multiple of 4, padding only at the end and only as much as
 * needed, the bits the padding leaves over zero; anything else is refused, so every byte string
 * has one spelling and decode(encode(x)) == x both ways. The one codec of every program here
 * that carries tokens as text: ringserver, negring-squid-auth, negring-load.
 *
 * Thread-safe; allocates nothing. */
#ifndef NEGRING_EMBED_BASE64_H
#define NEGRING_EMBED_BASE64_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ne_b64_result { NE_B64_OK, NE_B64_BAD, NE_B64_TOO_LONG };

/* Decodes len characters into out (capacity cap). NE_B64_TOO_LONG when the decoded bytes would
 * exceed cap and the characters are in the alphabet; out's contents are undefined unless
 * NE_B64_OK. */
enum ne_b64_result ne_b64_decode(const void *text, size_t len, bool url, uint8_t *out, size_t cap,
                                 size_t *out_len);

static inline size_t ne_b64_encoded_len(size_t len)
{
    return (len + 2) / 3 * 4;
}

/* Writes the ne_b64_encoded_len(len) characters of the padded encoding to out, with no
 * terminator; returns their count. */
size_t ne_b64_encode(const uint8_t *in, size_t len, bool url, char *out);

#endif
