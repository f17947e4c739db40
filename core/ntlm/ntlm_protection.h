/* MakeSignature / VerifySignature / EncryptMessage / DecryptMessage for NTLM contexts: the
 * mechanism's half of sspi/message_protection.c (mechanism.h), over the session keys of
 * ntlm_seal.h. Windows' layouts: a 16-byte NTLMSSP_MESSAGE_SIGNATURE in the TOKEN buffer
 * (cbMaxSignature and cbSecurityTrailer are both 16), DATA buffers signed in order and sealed in
 * place, or a STREAM of signature || ciphertext for DecryptMessage. */
#ifndef NEGRING_CORE_NTLM_PROTECTION_H
#define NEGRING_CORE_NTLM_PROTECTION_H

#include "message.h"
#include "security_context.h"

ng_status ng_ntlm_msg_sign(struct ng_context *ctx, struct ng_msg *m);
ng_status ng_ntlm_msg_verify(struct ng_context *ctx, struct ng_msg *m);
ng_status ng_ntlm_msg_seal(struct ng_context *ctx, struct ng_msg *m);
ng_status ng_ntlm_msg_unseal(struct ng_context *ctx, struct ng_msg *m);

#endif
