/* RFC 4120 §5.3 EncTicketPart, decoded from a decrypted Ticket with our bounded DER reader,
 * zero-copy: every slice points into the plaintext and lives as long as it does.
 *
 *   EncTicketPart ::= [APPLICATION 3] SEQUENCE {
 *       flags [0] TicketFlags, key [1] EncryptionKey, crealm [2] Realm, cname [3] PrincipalName,
 *       transited [4] TransitedEncoding, authtime [5] KerberosTime,
 *       starttime [6] KerberosTime OPTIONAL, endtime [7] KerberosTime,
 *       renew-till [8] KerberosTime OPTIONAL, caddr [9] HostAddresses OPTIONAL,
 *       authorization-data [10] AuthorizationData OPTIONAL }
 *
 * Strict DER only: anything else is NG_ERR_INVALID_TOKEN, and the caller then lets libkrb5
 * decide (its decoder is more lenient). */
#ifndef NEGRING_CORE_KRB5_ENC_TICKET_H
#define NEGRING_CORE_KRB5_ENC_TICKET_H

#include <stdbool.h>
#include <stdint.h>

#include "keystore.h"
#include "slice.h"
#include "status.h"

#define NG_TICKET_FLAG_INVALID                                                                     \
    7u /* RFC 4120 §5.3 TicketFlags: a postdated ticket not yet validated */
#define NG_ENC_TICKET_MAX_AUTHDATA 8

/* One top-level AuthorizationData element. */
struct ng_krb5_authdata_ref {
    int32_t type;
    struct ng_slice data;
};

struct ng_krb5_enc_ticket {
    uint32_t flags; /* bit n is TicketFlags named bit n */
    int32_t key_type;
    struct ng_slice key;
    struct ng_principal_ref client; /* crealm + cname */
    int32_t client_name_type;
    int32_t transited_type;
    struct ng_slice transited; /* contents: empty when no realm was crossed */
    int64_t auth_time;
    bool has_start_time;
    int64_t start_time;
    int64_t end_time;
    bool has_addresses;
    size_t nauthdata;
    struct ng_krb5_authdata_ref authdata[NG_ENC_TICKET_MAX_AUTHDATA];
};

/* Bytes after the message (encryption padding of some enctypes) are ignored, as libkrb5's
 * decoder does. More than NG_ENC_TICKET_MAX_AUTHDATA elements is NG_ERR_INVALID_TOKEN. */
ng_status ng_krb5_enc_ticket_parse(struct ng_slice plain, struct ng_krb5_enc_ticket *out);

/* AuthorizationData (RFC 4120 §5.2.6) as a whole, e.g. the contents of an AD-IF-RELEVANT: at
 * most `max` elements into `out`, their count in *n. */
ng_status ng_krb5_authdata_parse(struct ng_slice der, struct ng_krb5_authdata_ref *out, size_t max,
                                 size_t *n);

#endif
