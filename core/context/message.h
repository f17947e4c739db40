/* A message as a mechanism protects it: the DATA parts and the TOKEN (or STREAM) of the caller's
 * SecBufferDesc, already classified by sspi/message_protection.c, which owns everything about
 * buffer layouts (see there). A mechanism implements sign, verify, seal and unseal over this
 * (mechanism.h). */
#ifndef NEGRING_CORE_MESSAGE_H
#define NEGRING_CORE_MESSAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Upper bound on buffers in one descriptor; more is a caller error. */
#define NG_MAX_SEC_BUFFERS 64

enum ng_msg_part_kind {
    NG_PART_PROTECT,   /* SECBUFFER_DATA: signed, and encrypted by EncryptMessage */
    NG_PART_SIGN_ONLY, /* DATA | READONLY_WITH_CHECKSUM: signed, never modified */
};

/* One DATA buffer of the caller's descriptor, in descriptor order. */
struct ng_msg_part {
    uint8_t *ptr;
    size_t len;
    enum ng_msg_part_kind kind;
};

struct ng_msg {
    struct ng_msg_part parts[NG_MAX_SEC_BUFFERS];
    size_t n_parts;
    /* sign/seal: the TOKEN buffer, `token_len` its capacity in and the bytes written out.
     * verify/unseal: the received token (TOKEN buffer, or the whole STREAM buffer). The
     * mechanism may modify it in place when unsealing. */
    uint8_t *token;
    size_t token_len;
    /* unseal only: `token` is a SECBUFFER_STREAM holding the whole message. Exactly one part
     * is NG_PART_PROTECT with ptr == NULL: the mechanism points it at the plaintext inside
     * `token`. */
    bool stream;
    /* seal: in, encrypt (false: SECQOP_WRAP_NO_ENCRYPT, integrity only).
     * unseal: out, whether the message was encrypted. */
    bool conf;
    /* The SECBUFFER_PADDING buffer, or NULL: seal writes padding_len bytes of padding there
     * (capacity padding_cap); unseal finds the padding_cap bytes received there. */
    uint8_t *padding;
    size_t padding_cap;
    size_t padding_len;
};

/* Statuses the four operations return: NG_ERR_BUFFER_TOO_SMALL (token capacity; nothing
 * changed and no sequence number used), NG_ERR_INVALID_TOKEN (malformed), NG_ERR_MESSAGE_ALTERED
 * (bad checksum, a replay, a reflected token), NG_ERR_OUT_OF_SEQUENCE (with sequence detection),
 * NG_ERR_UNSUPPORTED (a session kind without message protection). */

#endif
