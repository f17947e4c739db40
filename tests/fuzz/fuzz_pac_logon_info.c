/* MS-PAC §2.5 KERB_VALIDATION_INFO, NDR-encoded (core/kerberos/pac_logon_info.c): group SIDs for
 * access tokens. The PAC comes inside a ticket only the KDC can make, but NDR's pointers,
 * conformant arrays and counts are a classic place for overflows, so it is fuzzed like network
 * input. Every SID returned must be a well-formed "S-1-..." string. */
#include <stdint.h>
#include <string.h>

#include "alloc.h"
#include "fuzz_check.h"
#include "pac_logon_info.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char **sids = NULL;
    size_t n = 0;
    ng_status st = ng_pac_group_sids(ng_slice_of(data, size), &sids, &n);
    FUZZ_CHECK(st == NG_OK || st == NG_ERR_INVALID_TOKEN || st == NG_ERR_NOMEM);
    if (st != NG_OK) {
        FUZZ_CHECK(sids == NULL && n == 0);
        return 0;
    }
    FUZZ_CHECK(n <= size / 8);
    for (size_t i = 0; i < n; i++) {
        FUZZ_CHECK(sids[i] != NULL && strncmp(sids[i], "S-1-", 4) == 0);
        ng_free(sids[i]);
    }
    ng_free(sids);
    return 0;
}
