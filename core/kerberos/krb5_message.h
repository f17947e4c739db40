/* The Kerberos (RFC 4121) side of per-message protection (mechanism.h's sign, verify, seal,
 * unseal): MIC tokens for signatures, Wrap tokens for encryption, the context's sequence numbers
 * and the replay/sequence window. Each direction's key and state under its own lock: one thread
 * may encrypt while another decrypts. */
#ifndef NEGRING_CORE_KRB5_MESSAGE_H
#define NEGRING_CORE_KRB5_MESSAGE_H

#include "message.h"
#include "security_context.h"

struct ng_krb5_session;

ng_status ng_krb5_sign(struct ng_context *ctx, struct ng_msg *m);
ng_status ng_krb5_verify(struct ng_context *ctx, struct ng_msg *m);
ng_status ng_krb5_seal(struct ng_context *ctx, struct ng_msg *m);
ng_status ng_krb5_unseal(struct ng_context *ctx, struct ng_msg *m);

/* Frees the per-direction key objects message calls made (with the context's state). */
void ng_krb5_msg_keys_free(struct ng_krb5_session *s);

#endif
