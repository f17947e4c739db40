/* The ticket PAC's logon information (MS-PAC §2.5 KERB_VALIDATION_INFO) for access tokens:
 * found in a ticket's authorization data at accept time, turned into group SIDs on demand. */
#ifndef NEGRING_CORE_PAC_LOGON_INFO_H
#define NEGRING_CORE_PAC_LOGON_INFO_H

#include <krb5/krb5.h>

#include "slice.h"
#include "status.h"

enum ng_pac_presence { NG_PAC_NONE, NG_PAC_ONE, NG_PAC_SEVERAL };

/* Finds the PAC in a decrypted ticket's authorization data (RFC 4120 §5.2.6): an AD-WIN2K-PAC
 * (MS-PAC §2.4) inside an AD-IF-RELEVANT; *pac points into `authdata` (the first, when there
 * are several). A KDC puts one PAC in a ticket (MS-PAC §2.4); several, in one
 * container or in more, make the client's identity ambiguous, and the caller refuses the ticket.
 * NONE also when the authorization data cannot be read. Cheap: one DER walk, no allocation. */
enum ng_pac_presence ng_pac_find(krb5_authdata *const *authdata, struct ng_slice *pac);

/* Copies the bytes of the PAC_LOGON_INFO buffer of `pac` into *out (ng_alloc'd; NULL, NG_OK
 * when it has none). The PAC must have verified (pac_verify.h): the accept paths take logon
 * info only through ng_pac_verified_logon_info. */
ng_status ng_pac_logon_info_from_pac(struct ng_slice pac, uint8_t **out, size_t *len);

/* ng_pac_find + ng_pac_logon_info_from_pac, with no verification (tests of the NDR decoding). */
ng_status ng_pac_logon_info_copy(krb5_authdata *const *authdata, uint8_t **out, size_t *len);

/* The group SIDs of a PAC_LOGON_INFO buffer (NDR, MS-RPCE §2.2.6 type serialisation): the
 * GroupIds under LogonDomainId, the ExtraSids, the ResourceGroupIds under
 * ResourceGroupDomainSid, as "S-1-..." strings (ng_alloc'd array of ng_alloc'd strings).
 * NG_ERR_INVALID_TOKEN when malformed. */
ng_status ng_pac_group_sids(struct ng_slice logon_info, char ***sids, size_t *n);

#endif
