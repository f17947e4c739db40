/* Per-message protection after a handshake: MakeSignature, VerifySignature, EncryptMessage and
 * DecryptMessage. The SSPI functions (message_protection.c) own everything about SecBufferDesc
 * layouts; a mechanism sees only the classified message below and implements the four
 * operations of struct ng_msg_mech.
 *
 * Layouts understood (as Windows' Kerberos and NTLM packages use them):
 *   - MakeSignature / VerifySignature: one SECBUFFER_TOKEN (the signature) + SECBUFFER_DATA
 *     buffers, in any order.
 *   - EncryptMessage: SECBUFFER_TOKEN (the security trailer, sized by
 *     SecPkgContext_Sizes.cbSecurityTrailer) + SECBUFFER_DATA buffers encrypted in place
 *     [+ SECBUFFER_PADDING, set to the padding used, 0 for every RFC 4121 enctype].
 *   - DecryptMessage: SECBUFFER_TOKEN + SECBUFFER_DATA as EncryptMessage produced them, or
 *     SECBUFFER_STREAM (the whole message as received) + one SECBUFFER_DATA that is pointed at
 *     the plaintext inside the stream buffer.
 * Attribute bits on DATA buffers: SECBUFFER_READONLY_WITH_CHECKSUM — covered by the signature,
 * never changed (sign-only); SECBUFFER_READONLY — ignored and never touched. Other buffer types
 * (EMPTY, PKG_PARAMS, ...) are ignored.
 *
 * Adding a mechanism: implement the four operations (each gets a context the dispatcher has
 * checked is complete and held for shared use; the mechanism serialises its own sequence state)
 * and return it from mech_for() in message_protection.c. */
#ifndef NEGRING_CORE_MESSAGE_PROTECTION_H
#define NEGRING_CORE_MESSAGE_PROTECTION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "security_context.h"
#include "sspi_buffers.h"

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
    size_t padding_len; /* seal: out, bytes written to SECBUFFER_PADDING (none yet) */
};

/* Statuses a mechanism returns: NG_ERR_BUFFER_TOO_SMALL (token capacity; nothing changed and
 * no sequence number used), NG_ERR_INVALID_TOKEN (malformed), NG_ERR_MESSAGE_ALTERED (bad
 * checksum, a replay, a reflected token), NG_ERR_OUT_OF_SEQUENCE (with sequence detection),
 * NG_ERR_UNSUPPORTED (a session kind without message protection). */
struct ng_msg_mech {
    ng_status (*sign)(struct ng_context *ctx, struct ng_msg *m);
    ng_status (*verify)(struct ng_context *ctx, struct ng_msg *m);
    ng_status (*seal)(struct ng_context *ctx, struct ng_msg *m);
    ng_status (*unseal)(struct ng_context *ctx, struct ng_msg *m);
};

/* RFC 4121 contexts (krb5_message.c). */
extern const struct ng_msg_mech ng_krb5_msg_mech;
/* Frees the per-direction key objects message calls made (ng_context_free calls it). */
void ng_krb5_msg_keys_free(struct ng_krb5_session *s);

#endif
