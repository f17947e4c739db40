/* MakeSignature / VerifySignature / EncryptMessage / DecryptMessage for NTLM contexts: the
 * mechanism half of message_protection.c, over the session keys of ntlm_seal.h. Windows'
 * layouts: a 16-byte NTLMSSP_MESSAGE_SIGNATURE in the TOKEN buffer (cbMaxSignature and
 * cbSecurityTrailer are both 16), DATA buffers signed in order and sealed in place, or a
 * STREAM of signature || ciphertext for DecryptMessage. */
#ifndef NEGRING_CORE_NTLM_PROTECTION_H
#define NEGRING_CORE_NTLM_PROTECTION_H

#include "message_protection.h"

extern const struct ng_msg_mech ng_ntlm_msg_mech;

#endif
