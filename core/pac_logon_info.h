/* The ticket PAC's logon information (MS-PAC §2.5 KERB_VALIDATION_INFO) for access tokens:
 * found in a ticket's authorization data at accept time, turned into group SIDs on demand. */
#ifndef NEGRING_CORE_PAC_LOGON_INFO_H
#define NEGRING_CORE_PAC_LOGON_INFO_H

#include <krb5/krb5.h>

#include "slice.h"
#include "status.h"

/* Looks in a decrypted ticket's authorization data (RFC 4120 §5.2.6) for AD-IF-RELEVANT /
 * AD-WIN2K-PAC (MS-PAC §2.4) with a PAC_LOGON_INFO buffer and copies that buffer's bytes into
 * *out (ng_alloc'd; NULL, NG_OK when there is none or the authorization data cannot be read:
 * the PAC is optional). Cheap when there is no PAC: one DER walk, no allocation. */
ng_status ng_pac_logon_info_copy(krb5_authdata *const *authdata, uint8_t **out, size_t *len);

/* The group SIDs of a PAC_LOGON_INFO buffer (NDR, MS-RPCE §2.2.6 type serialisation): the
 * GroupIds under LogonDomainId, the ExtraSids, the ResourceGroupIds under
 * ResourceGroupDomainSid, as "S-1-..." strings (ng_alloc'd array of ng_alloc'd strings).
 * NG_ERR_INVALID_TOKEN when malformed. */
ng_status ng_pac_group_sids(struct ng_slice logon_info, char ***sids, size_t *n);

#endif
