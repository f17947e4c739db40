/* RFC 4121 §4.2.6.2 Wrap tokens (EncryptMessage / DecryptMessage on Kerberos contexts), with
 * confidentiality and without (SECQOP_WRAP_NO_ENCRYPT). CFX enctypes; RC4 contexts get RFC 4757
 * Wrap tokens (krb5_rc4.h).
 *
 * Layout on the wire: the 16-byte header, then the body rotated right by RRC octets (§4.2.5).
 * EncryptMessage writes what Windows writes: RRC = EC + 16 + trailer with confidentiality (the
 * TOKEN buffer then holds header | E(filler | header copy) | HMAC | E(confounder) and the DATA
 * buffers their ciphertext in place) and RRC = EC = checksum length without (TOKEN holds
 * header | checksum, the data stays as it is). Concatenated, TOKEN + DATA is a standard Wrap
 * token any RFC 4121 peer (MIT gss_unwrap) reads. DecryptMessage accepts any EC and RRC: in
 * place when the token is laid out as above, through one scratch copy otherwise (MIT gss_wrap
 * sends RRC 0), or in place inside a SECBUFFER_STREAM. */
#ifndef NEGRING_CORE_KRB5_WRAP_H
#define NEGRING_CORE_KRB5_WRAP_H

#include <stdbool.h>

#include "krb5_cfx_keys.h"
#include "krb5_session.h"
#include "message.h"

/* Bytes the TOKEN buffer needs for a Wrap token (cbSecurityTrailer for `conf`). */
ng_status ng_krb5_wrap_token_len(const struct ng_krb5_session *s, bool conf, size_t *len);

/* `keys`: the sender's (ours: made with from_acceptor = by_acceptor, krb5_cfx_keys.h). Wraps
 * m's parts with sequence number `seq` (m->conf: encrypt). Writes the token to m->token
 * (m->token_len: capacity in, length out); encrypts the NG_PART_PROTECT parts in place. */
ng_status ng_krb5_wrap(const struct ng_krb5_session *s, const struct ng_cfx_keys *keys,
                       bool by_acceptor, uint64_t seq, struct ng_msg *m);

/* Unwraps a token from the peer (`from_acceptor`: the peer is the acceptor; `keys`: the peer's)
 * in place and returns its sequence number for the caller to check; sets m->conf. */
ng_status ng_krb5_unwrap(const struct ng_krb5_session *s, const struct ng_cfx_keys *keys,
                         bool from_acceptor, struct ng_msg *m, uint64_t *seq);

#endif
