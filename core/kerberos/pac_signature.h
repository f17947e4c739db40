/* The PAC of a ticket's first use (krb5_first_use.h) checked with nettle (krb5_aes.h): the
 * checks libkrb5's krb5_pac_verify makes (pac_verify.h), for a PAC signed with an AES service
 * key. MS-PAC §2.4 the PACTYPE and its buffers (version 0, each buffer 8-aligned and inside the
 * PAC, one server signature, one KDC signature, one client info); §2.8.1 the server signature:
 * the enctype's checksum (key usage 17) over the PAC with both signatures' data zeroed; §2.7 the
 * client info: the ticket's authtime and the client's name (realm left out).
 *
 * It settles only a PAC it proves good. Anything else (a bad signature, a name it would have to
 * parse with escapes, another checksum type) is not settled: the ticket goes to the libkrb5
 * path, whose krb5_pac_verify decides, so a refusal is always libkrb5's. */
#ifndef NEGRING_CORE_PAC_SIGNATURE_H
#define NEGRING_CORE_PAC_SIGNATURE_H

#include <krb5/krb5.h>
#include <stdbool.h>
#include <stdint.h>

#include "keystore.h"
#include "slice.h"

bool ng_pac_proven_good(struct ng_slice pac, const krb5_keyblock *server_key,
                        const struct ng_principal_ref *client, int64_t authtime);
/* The same with the server key's checksum key (usage 17) already derived, as the keystore
 * holds it (ng_keystore_schedule). */
bool ng_pac_proven_good_keyed(struct ng_slice pac, krb5_enctype enctype,
                              const struct ng_krb5_hmac_key *server_kc,
                              const struct ng_principal_ref *client, int64_t authtime);

#endif
