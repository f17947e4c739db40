/* PAC buffers encoded in the tests from MS-PAC, since MIT's KDC writes no logon information:
 * a KERB_VALIDATION_INFO (§2.5, NDR), a UPN_DNS_INFO (§2.10) and a binary SID (MS-DTYP
 * §2.4.2.2) for PAC_REQUESTOR (§2.15). Tests sign them into PACs with libkrb5's krb5_pac_*. */
#ifndef NEGRING_TESTS_HARNESS_PAC_BUILDER_H
#define NEGRING_TESTS_HARNESS_PAC_BUILDER_H

#include <stddef.h>
#include <stdint.h>

struct ng_test_buf {
    uint8_t buf[4096];
    size_t len;
};

/* Account "alice" of domain "TEST" (S-1-5-21-1-2-3), UserId 1104, PrimaryGroupId 513, groups
 * 513 and 1105, the extra SID S-1-18-1, the resource group S-1-5-21-9-9-9-1200. */
void ng_test_validation_info(struct ng_test_buf *e);
#define NG_TEST_PAC_USER_SID "S-1-5-21-1-2-3-1104"

/* A UPN_DNS_INFO naming `upn` and `dns_domain` (ASCII), without the extended fields. */
void ng_test_upn_dns_info(struct ng_test_buf *e, const char *upn, const char *dns_domain);

/* S-1-5-21-1-2-3-`rid` in binary form. */
void ng_test_sid_bytes(struct ng_test_buf *e, uint32_t rid);

#endif
