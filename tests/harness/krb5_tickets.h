/* Service tickets and AP-REQs made with libkrb5 itself (not through GSSAPI), for tests that take
 * a ticket apart, remake it with the service key, or build the AP-REQ around it. */
#ifndef NEGRING_TESTS_HARNESS_KRB5_TICKETS_H
#define NEGRING_TESTS_HARNESS_KRB5_TICKETS_H

#include <krb5/krb5.h>
#include <stdbool.h>

#include "realm.h"
#include "writer.h"

/* The realm's user's service ticket for the realm's service, from the user's ccache; NULL on
 * failure. The caller frees it with krb5_free_creds. */
krb5_creds *ng_test_service_ticket(krb5_context k, const struct ng_test_realm *realm);

/* A GSS-framed AP-REQ for `creds` (RFC 4121 §4.1.1 checksum, no channel bindings), with mutual
 * authentication asked for or not, into `out`. 0 on success. */
int ng_test_ap_req(krb5_context k, krb5_creds *creds, bool mutual, struct ng_writer *out);

#endif
