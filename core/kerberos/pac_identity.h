/* Who a verified PAC says the client is, from the buffers Active Directory KDCs write beside the
 * logon information: UPN_DNS_INFO (MS-PAC §2.10: the user principal name and DNS domain) and
 * PAC_REQUESTOR (§2.15: the SID of the account the TGT was issued to, added with the November
 * 2021 hardening, KB5008380 / CVE-2021-42287). PAC_ATTRIBUTES_INFO (§2.14, whether the client
 * asked for a PAC) needs nothing from an acceptor and is accepted as it is. Every buffer is read
 * through a bounded cursor; a malformed one is a PAC that does not verify. */
#ifndef NEGRING_CORE_PAC_IDENTITY_H
#define NEGRING_CORE_PAC_IDENTITY_H

#include <stddef.h>

#include "pac_logon_info.h"
#include "slice.h"
#include "status.h"

struct ng_pac_identity {
    struct ng_pac_logon logon; /* all NULL without a PAC_LOGON_INFO */
    char *upn, *dns_domain;    /* NULL without a UPN_DNS_INFO */
};

/* Reads what `pac` holds of the above (ng_alloc'd strings). NG_ERR_INVALID_TOKEN when a buffer
 * present is malformed. */
ng_status ng_pac_identity_read(struct ng_slice pac, struct ng_pac_identity *out);
void ng_pac_identity_free(struct ng_pac_identity *id);

/* A PAC_REQUESTOR must name the user of the PAC_LOGON_INFO, as Windows checks since the 2021
 * hardening: a PAC copied from another account's ticket, with its requestor, is refused.
 * NG_ERR_BAD_PAC (with `why`, may be NULL, saying which SIDs differ); NG_OK without one. */
ng_status ng_pac_check_requestor(struct ng_slice pac, char *why, size_t why_len);

/* The client's canonical name: the PAC's account name (sAMAccountName) in `realm`, the realm of
 * the ticket's client ("alice@CORP.EXAMPLE" for an enterprise-name login as
 * "alice@corp.example@CORP.EXAMPLE"); NULL in *out without logon information. */
ng_status ng_pac_canonical_name(struct ng_slice pac, const char *realm, size_t realm_len,
                                char **out);

#endif
