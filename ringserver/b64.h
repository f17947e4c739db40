/* Strict base64 (RFC 4648 §4, and §5 base64url for cookies): the alphabet only (no whitespace),
 * length a multiple of 4, padding only at the end and only as much as needed, the bits padding
 * leaves over zero; anything else is refused. */
#ifndef RINGSERVER_B64_H
#define RINGSERVER_B64_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

enum rs_b64_result { RS_B64_OK, RS_B64_BAD, RS_B64_TOO_LONG };

/* Decodes into out (capacity cap). RS_B64_TOO_LONG when the decoded size exceeds cap and the
 * characters are in the alphabet; out's contents are undefined unless RS_B64_OK. */
enum rs_b64_result rs_b64_decode(const uint8_t *in, size_t len, bool url, uint8_t *out, size_t cap,
                                 size_t *out_len);
void rs_b64_encode(struct rs_out *o, const uint8_t *in, size_t len, bool url);

#endif
