/* RFC 4120 §5.5.1 KRB_AP_REQ, parsed zero-copy just far enough to pick the service key, to
 * find the ticket in the ticket cache and to fingerprint the authenticator. */
#ifndef NEGRING_CORE_KRB5_AP_REQ_H
#define NEGRING_CORE_KRB5_AP_REQ_H

#include <stdbool.h>

#include "keystore.h"
#include "slice.h"
#include "status.h"

struct ng_krb5_ap_req {
    uint32_t ap_options;            /* APOptions: bit n of this word is ASN.1 named bit n */
    struct ng_principal_ref server; /* ticket realm + sname */
    int32_t ticket_etype;
    bool ticket_has_kvno;
    uint32_t ticket_kvno;
    struct ng_slice ticket; /* the whole Ticket TLV: the ticket cache's key */
    struct ng_slice ticket_cipher;
    int32_t authenticator_etype;
    struct ng_slice authenticator_cipher;
};

#define NG_AP_OPTS_USE_SESSION_KEY (1u << 1)
#define NG_AP_OPTS_MUTUAL_REQUIRED (1u << 2)

/* Slices point into `msg`. NG_ERR_INVALID_TOKEN for anything malformed. */
ng_status ng_krb5_ap_req_parse(struct ng_slice msg, struct ng_krb5_ap_req *out);

/* The two halves of ng_krb5_ap_req_parse, for the acceptor: the AP-REQ around the ticket (the
 * options, the Ticket TLV as one slice, the authenticator) and then what is inside the ticket
 * (server, etype, kvno, cipher). A ticket found in the ticket cache is byte for byte one that
 * parsed and was accepted before, so the cached path reads only the first half. Each is
 * NG_ERR_INVALID_TOKEN for anything malformed in its part; the fields of the other half are left
 * zero by ng_krb5_ap_req_parse_outer. */
ng_status ng_krb5_ap_req_parse_outer(struct ng_slice msg, struct ng_krb5_ap_req *out);
ng_status ng_krb5_ap_req_parse_ticket(struct ng_krb5_ap_req *req);

#endif
