/* The ticket PAC, verified before anything in it is used (MS-PAC §2.8, MS-KILE §3.4.5.3). */
#ifndef NEGRING_CORE_PAC_VERIFY_H
#define NEGRING_CORE_PAC_VERIFY_H

#include <krb5/krb5.h>

#include "slice.h"
#include "status.h"

/* For a ticket libkrb5 has just decrypted with `server_key`: when its authorization data holds a
 * PAC, verifies it with libkrb5 (krb5_pac_parse, krb5_pac_verify: the server signature with
 * `server_key`, and PAC_CLIENT_INFO against the ticket's client and authtime), checks its
 * PAC_REQUESTOR against its logon info and that its buffers parse (pac_identity.h), and copies
 * the whole PAC into *out (ng_alloc'd). No PAC: NG_OK with *out NULL. A PAC that fails any of
 * this: NG_ERR_BAD_PAC, and `why` (at least 1 byte) says which check. */
ng_status ng_pac_verified(krb5_context kctx, const krb5_enc_tkt_part *ticket,
                          const krb5_keyblock *server_key, uint8_t **out, size_t *len, char *why,
                          size_t why_len);

/* What else a PAC must be before it is trusted, once its signature and client info verified: a
 * requestor naming its user, and buffers that parse (a PAC we could not read later would give a
 * user without groups). NG_ERR_BAD_PAC with `why` saying which. */
ng_status ng_pac_check_contents(struct ng_slice pac, char *why, size_t why_len);

#endif
