/* RFC 4120 §5.5.1 the Authenticator, decoded from its decrypted octets with our bounded DER
 * reader, zero-copy: every slice points into the plaintext and lives as long as it does.
 *
 *   Authenticator ::= [APPLICATION 2] SEQUENCE {
 *       authenticator-vno [0] INTEGER (5), crealm [1] Realm, cname [2] PrincipalName,
 *       cksum [3] Checksum OPTIONAL, cusec [4] Microseconds, ctime [5] KerberosTime,
 *       subkey [6] EncryptionKey OPTIONAL, seq-number [7] UInt32 OPTIONAL,
 *       authorization-data [8] AuthorizationData OPTIONAL }
 *
 * Strict DER only: anything else is NG_ERR_INVALID_TOKEN, and the caller then lets libkrb5
 * decide (it is more lenient). */
#ifndef NEGRING_CORE_KRB5_AUTHENTICATOR_H
#define NEGRING_CORE_KRB5_AUTHENTICATOR_H

#include <stdbool.h>
#include <stdint.h>

#include "keystore.h"
#include "slice.h"
#include "status.h"

#define NG_AUTHENTICATOR_MAX_ETYPES 16

struct ng_krb5_authenticator {
    struct ng_principal_ref client; /* crealm + cname */
    bool has_checksum;
    int32_t checksum_type;
    struct ng_slice checksum;
    uint32_t cusec;
    struct ng_slice ctime_der; /* the KerberosTime contents, "YYYYMMDDHHMMSSZ" */
    int64_t ctime;             /* the same, in seconds since the Unix epoch */
    bool has_subkey;
    int32_t subkey_type;
    struct ng_slice subkey;
    bool has_seq_number;
    uint32_t seq_number;
    /* RFC 4537 AD-ETYPE-NEGOTIATION, found bare or inside AD-IF-RELEVANT (as MIT does) */
    size_t netypes;
    int32_t etypes[NG_AUTHENTICATOR_MAX_ETYPES];
    /* authorization data other than AD-IF-RELEVANT / AD-ETYPE-NEGOTIATION was present */
    bool other_authdata;
};

ng_status ng_krb5_authenticator_parse(struct ng_slice plain, struct ng_krb5_authenticator *out);

#endif
