/* RFC 4121 §4.1.1.2 channel-binding hash: what both mechanisms put in their tokens for a
 * SECBUFFER_CHANNEL_BINDINGS buffer (Kerberos in the 0x8003 checksum, NTLM in
 * MsvAvChannelBindings, MS-NLMP §2.2.2.1). Thread-safe, pure. */
#ifndef NEGRING_CORE_CHANNEL_BINDINGS_H
#define NEGRING_CORE_CHANNEL_BINDINGS_H

#include <stdbool.h>
#include <stdint.h>

#include "slice.h"
#include "status.h"

#define NG_BINDINGS_HASH_LEN 16

/* MD5 over the RFC 4121 §4.1.1.2 encoding of a SEC_CHANNEL_BINDINGS buffer (the structure
 * followed by the data its offsets point at). NG_ERR_INVALID_PARAM when an offset or length
 * points outside the buffer. An absent buffer (len 0) hashes to all zeros. */
ng_status ng_channel_bindings_hash(struct ng_slice bindings_buffer,
                                   uint8_t hash[NG_BINDINGS_HASH_LEN]);

/* All zeros: the peer sent no bindings. */
bool ng_bindings_hash_is_zero(const uint8_t hash[NG_BINDINGS_HASH_LEN]);

#endif
