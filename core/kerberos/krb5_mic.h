/* RFC 4121 §4.2.6.1 MIC tokens over a Kerberos context key: used for the SPNEGO mechListMIC
 * (RFC 4178 §5) and for MakeSignature/VerifySignature. CFX enctypes (AES, Camellia); RC4
 * contexts get RFC 4757 tokens (krb5_rc4.h); DES contexts NG_ERR_UNSUPPORTED. */
#ifndef NEGRING_CORE_KRB5_MIC_H
#define NEGRING_CORE_KRB5_MIC_H

#include <stdbool.h>

#include "krb5_cfx_keys.h"
#include "krb5_session.h"
#include "message.h"
#include "writer.h"

/* Bytes of a MIC token for this session: the 16-byte header and the checksum. */
ng_status ng_krb5_mic_len(const struct ng_krb5_session *s, size_t *len);

/* A MIC token over the message parts (all of them signed, in order) with sequence number
 * `seq`, written to out[0..*out_len); *out_len is the capacity in (NG_ERR_BUFFER_TOO_SMALL when
 * short) and the token length out. `by_acceptor`: we are the acceptor; `keys` ours. */
ng_status ng_krb5_mic_make(const struct ng_krb5_session *s, const struct ng_cfx_keys *keys,
                           bool by_acceptor, uint64_t seq, const struct ng_msg_part *parts,
                           size_t n_parts, uint8_t *out, size_t *out_len);

/* Checks a MIC token the peer made over the parts (`from_acceptor`: the peer is the acceptor)
 * and returns its sequence number, which the caller checks. NG_ERR_MESSAGE_ALTERED when the
 * checksum does not match or the token is reflected, NG_ERR_INVALID_TOKEN when malformed. */
ng_status ng_krb5_mic_check(const struct ng_krb5_session *s, const struct ng_cfx_keys *keys,
                            bool from_acceptor, const struct ng_msg_part *parts, size_t n_parts,
                            struct ng_slice token, uint64_t *seq);

/* The mechListMIC forms: one message, the next send sequence number (then advanced); the
 * received number must be exactly the next expected (then advanced), else
 * NG_ERR_OUT_OF_SEQUENCE. */
ng_status ng_krb5_get_mic(struct ng_krb5_session *s, bool by_acceptor, struct ng_slice message,
                          struct ng_writer *out);
ng_status ng_krb5_verify_mic(struct ng_krb5_session *s, bool from_acceptor, struct ng_slice message,
                             struct ng_slice token);

#endif
