/* A whole PAC (MS-PAC §2.3) as the identity code reads it (core/kerberos/pac_identity.c): the
 * buffer list, UPN_DNS_INFO's (length, offset) pairs, PAC_REQUESTOR's binary SID and the logon
 * info's names and SIDs. Like the logon info, a PAC comes only from the KDC inside a ticket;
 * its offsets are still parsed like network input. What comes back must be well formed: SIDs
 * start "S-1-", a canonical name has exactly one '@' more than the account. */
#include <stdint.h>
#include <string.h>

#include "alloc.h"
#include "fuzz_check.h"
#include "pac_identity.h"

static bool allowed(ng_status st)
{
    return st == NG_OK || st == NG_ERR_INVALID_TOKEN || st == NG_ERR_NOMEM || st == NG_ERR_BAD_PAC;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ng_slice pac = ng_slice_of(data, size);
    struct ng_pac_identity id;
    ng_status st = ng_pac_identity_read(pac, &id);
    FUZZ_CHECK(allowed(st));
    if (st == NG_OK) {
        FUZZ_CHECK(id.logon.user_sid == NULL || strncmp(id.logon.user_sid, "S-1-", 4) == 0);
        FUZZ_CHECK(id.logon.primary_group_sid == NULL ||
                   strncmp(id.logon.primary_group_sid, "S-1-", 4) == 0);
        ng_pac_identity_free(&id);
    }
    char why[200];
    FUZZ_CHECK(allowed(ng_pac_check_requestor(pac, why, sizeof(why))));
    char *name = NULL;
    st = ng_pac_canonical_name(pac, "R", 1, &name);
    FUZZ_CHECK(allowed(st));
    if (name != NULL) {
        size_t len = strlen(name);
        FUZZ_CHECK(st == NG_OK && len >= 2 && name[len - 2] == '@' && name[len - 1] == 'R');
        ng_free(name);
    }
    return 0;
}
