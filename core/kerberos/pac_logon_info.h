/* The ticket PAC (MS-PAC): found in a ticket's authorization data at accept time, its buffers
 * found by type, and its logon information (§2.5 KERB_VALIDATION_INFO) turned into the
 * client's identity and group SIDs on demand. */
#ifndef NEGRING_CORE_PAC_LOGON_INFO_H
#define NEGRING_CORE_PAC_LOGON_INFO_H

#include <krb5/krb5.h>
#include <stdbool.h>
#include <stdint.h>

#include "reader.h"
#include "slice.h"
#include "status.h"

enum ng_pac_presence { NG_PAC_NONE, NG_PAC_ONE, NG_PAC_SEVERAL };

/* MS-PAC §2.4 PAC_INFO_BUFFER ulType values negring reads. */
enum {
    NG_PAC_LOGON_INFO = 1,
    NG_PAC_UPN_DNS_INFO = 12,
    NG_PAC_ATTRIBUTES_INFO = 17,
    NG_PAC_REQUESTOR = 18,
};

/* A walk over a PAC's buffers (MS-PAC §2.3 PACTYPE, §2.4 PAC_INFO_BUFFER, little-endian). */
struct ng_pac_walk {
    struct ng_slice pac;
    struct ng_reader entries;
    uint32_t left;
    bool malformed; /* a version other than 0, too many buffers, an entry outside the PAC */
};

struct ng_pac_info_buffer {
    uint32_t type;
    uint64_t offset;
    struct ng_slice data; /* inside the PAC */
};

struct ng_pac_walk ng_pac_walk_begin(struct ng_slice pac);
/* The next buffer; false at the end, or when the walk found the PAC malformed. */
bool ng_pac_walk_next(struct ng_pac_walk *w, struct ng_pac_info_buffer *out);
/* Bytes the PACTYPE header and its PAC_INFO_BUFFERs take: where buffer data may start. */
size_t ng_pac_header_len(const struct ng_pac_walk *w);

/* The first buffer of `type` in a PAC; false when there is none or the PAC's buffer list is
 * malformed. *out points into `pac`. */
bool ng_pac_buffer(struct ng_slice pac, uint32_t type, struct ng_slice *out);

/* Finds the PAC in a decrypted ticket's authorization data (RFC 4120 §5.2.6): an AD-WIN2K-PAC
 * (MS-PAC §2.4) inside an AD-IF-RELEVANT; *pac points into `authdata` (the first, when there
 * are several). A KDC puts one PAC in a ticket (MS-PAC §2.4); several, in one
 * container or in more, make the client's identity ambiguous, and the caller refuses the ticket.
 * NONE also when the authorization data cannot be read. Cheap: one DER walk, no allocation. */
enum ng_pac_presence ng_pac_find(krb5_authdata *const *authdata, struct ng_slice *pac);

/* A copy of the PAC_LOGON_INFO buffer of the ticket's PAC (ng_alloc'd; NULL, NG_OK when there
 * is none), with no verification: for tests of the NDR decoding. The accept paths take a PAC
 * only through ng_pac_verified (pac_verify.h). */
ng_status ng_pac_logon_info_copy(krb5_authdata *const *authdata, uint8_t **out, size_t *len);

/* The group SIDs of a PAC_LOGON_INFO buffer (NDR, MS-RPCE §2.2.6 type serialisation): the
 * GroupIds under LogonDomainId, the ExtraSids, the ResourceGroupIds under
 * ResourceGroupDomainSid, as "S-1-..." strings (ng_alloc'd array of ng_alloc'd strings).
 * NG_ERR_INVALID_TOKEN when malformed. */
ng_status ng_pac_group_sids(struct ng_slice logon_info, char ***sids, size_t *n);

/* Who a PAC_LOGON_INFO buffer says the client is: the account name (EffectiveName, the
 * sAMAccountName), its NetBIOS domain (LogonDomainName), the user's SID (LogonDomainId and
 * UserId) and its primary group's (LogonDomainId and PrimaryGroupId), as ng_alloc'd UTF-8
 * strings. NG_ERR_INVALID_TOKEN when malformed (the names must be valid UTF-16). */
struct ng_pac_logon {
    char *account, *domain, *user_sid, *primary_group_sid;
};
ng_status ng_pac_logon_identity(struct ng_slice logon_info, struct ng_pac_logon *out);
void ng_pac_logon_free(struct ng_pac_logon *l);

/* UTF-16LE text of a PAC (any length, any alignment) as ng_alloc'd UTF-8. NG_ERR_INVALID_TOKEN
 * for an odd length or invalid UTF-16. */
ng_status ng_pac_utf16_text(struct ng_slice text, char **out);

#endif
