/* The RFC 4121 session of an established Kerberos context: which key protects messages (§2),
 * the sequence numbers; and the helpers that fill it from libkrb5's auth context. */
#ifndef NEGRING_CORE_KRB5_SESSION_H
#define NEGRING_CORE_KRB5_SESSION_H

#include <krb5/krb5.h>
#include <stdbool.h>

#include "mech_oid.h"
#include "security_context.h"

struct ng_cfx_keys; /* krb5_cfx_keys.h */

/* What a completed Kerberos exchange leaves behind (RFC 4121 context state). */
struct ng_krb5_session {
    krb5_enctype enctype;
    uint8_t key[64]; /* the context key: acceptor subkey, else initiator subkey, else ticket key */
    size_t key_len;
    bool acceptor_subkey;      /* RFC 4121 §4.2.2 AcceptorSubkey flag for per-message tokens */
    _Atomic uint64_t send_seq; /* next to send; message calls reserve numbers atomically */
    uint64_t recv_seq;         /* next expected from the peer */
    uint64_t recv_seen;        /* bit i: recv_seq - 1 - i arrived (replay window, 64 back) */
    /* Message keys (krb5_cfx_keys.h: the keys each direction's usages derive), made on first use,
     * freed with the context; each direction's keys and state under its own lock. */
    struct ng_cfx_keys *send_keys, *recv_keys;
    atomic_flag send_lock, recv_lock;
    uint32_t gss_flags;      /* RFC 4121 §4.1.1.1 flags the initiator asked for */
    enum ng_mech token_mech; /* the OID framing RFC 1964-style (RC4) tokens: the negotiated one */
    int64_t auth_time;       /* the ticket's, in Unix seconds (the lifetime is the context's) */
};

/* RFC 4121 applies to every enctype except the DES, 3DES and RC4 families (RFC 1964/4757). */
bool ng_krb5_enctype_is_cfx(krb5_enctype enctype);

/* Copies the context key into `out` (NG_ERR_UNSUPPORTED when longer than it holds). */
ng_status ng_krb5_session_set_key(struct ng_krb5_session *out, krb5_enctype enctype,
                                  struct ng_slice key, bool acceptor_subkey);

/* Copies `key` and the sequence numbers of `ac` into `out`. */
ng_status ng_krb5_session_capture(krb5_context kctx, krb5_auth_context ac, const krb5_keyblock *key,
                                  bool acceptor_subkey, struct ng_krb5_session *out);

/* The ticket's times: authtime into the session, the lifetime into the context. */
void ng_krb5_take_times(struct ng_context *ctx, struct ng_krb5_session *s,
                        const krb5_ticket_times *times);

/* The context key after an accept: the acceptor subkey we made, else the initiator's subkey,
 * else the ticket session key. Caller frees with krb5_free_keyblock. */
ng_status ng_krb5_acceptor_key(krb5_context kctx, krb5_auth_context ac, const krb5_ticket *ticket,
                               bool made_acceptor_subkey, krb5_keyblock **key);

/* "user@REALM" and "service/host@REALM" from a decrypted ticket and its verified PAC (empty:
 * none); ng_alloc'd. With a PAC the client is its canonical name (pac_identity.h): the account
 * name in the client's realm, whatever name the client logged on with (an enterprise name, a
 * UPN, another case). */
ng_status ng_krb5_session_names(krb5_context kctx, const krb5_ticket *ticket, struct ng_slice pac,
                                char **client, char **server);

/* Unparses a principal into an ng_alloc'd string. */
ng_status ng_krb5_unparse(krb5_context kctx, krb5_const_principal p, char **out);

#endif
