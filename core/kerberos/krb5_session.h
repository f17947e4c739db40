/* The state a finished Kerberos exchange leaves in a context: which key protects messages
 * (RFC 4121 §2), the sequence numbers, the lifetime, and the names. */
#ifndef NEGRING_CORE_KRB5_SESSION_H
#define NEGRING_CORE_KRB5_SESSION_H

#include <krb5/krb5.h>
#include <stdbool.h>

#include "security_context.h"

/* RFC 4121 applies to every enctype except the DES, 3DES and RC4 families (RFC 1964/4757). */
bool ng_krb5_enctype_is_cfx(krb5_enctype enctype);

/* Copies the context key into `out` (NG_ERR_UNSUPPORTED when longer than it holds). */
ng_status ng_krb5_session_set_key(struct ng_krb5_session *out, krb5_enctype enctype,
                                  struct ng_slice key, bool acceptor_subkey);

/* Copies `key`, the sequence numbers of `ac` and the ticket times into `out`. */
ng_status ng_krb5_session_capture(krb5_context kctx, krb5_auth_context ac, const krb5_keyblock *key,
                                  bool acceptor_subkey, const krb5_ticket_times *times,
                                  struct ng_krb5_session *out);

/* The context key after an accept: the acceptor subkey we made, else the initiator's subkey,
 * else the ticket session key. Caller frees with krb5_free_keyblock. */
ng_status ng_krb5_acceptor_key(krb5_context kctx, krb5_auth_context ac, const krb5_ticket *ticket,
                               bool made_acceptor_subkey, krb5_keyblock **key);

/* "user@REALM" and "service/host@REALM" from a decrypted ticket; ng_alloc'd. */
ng_status ng_krb5_session_names(krb5_context kctx, const krb5_ticket *ticket, char **client,
                                char **server);

/* Unparses a principal into an ng_alloc'd string. */
ng_status ng_krb5_unparse(krb5_context kctx, krb5_const_principal p, char **out);

#endif
