/* Strict base64 (RFC 4648 §4, and §5 base64url for cookies): the alphabet, padding only at the
 * end, length a multiple of 4; anything else is refused before nettle decodes it. */
#ifndef RINGSERVER_B64_H
#define RINGSERVER_B64_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

enum rs_b64_result { RS_B64_OK, RS_B64_BAD, RS_B64_TOO_LONG };

/* Decodes into out (capacity cap). */
enum rs_b64_result rs_b64_decode(const uint8_t *in, size_t len, bool url, uint8_t *out, size_t cap,
                                 size_t *out_len);
void rs_b64_encode(struct rs_out *o, const uint8_t *in, size_t len, bool url);

#endif
