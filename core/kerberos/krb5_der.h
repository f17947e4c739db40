/* RFC 4120 §5.2 Kerberos ASN.1 building blocks over the bounded DER reader and writer (der.h):
 * Int32, PrincipalName, KerberosTime. Shared by the AP-REQ, Authenticator and AP-REP code.
 * Thread-safe (no state). */
#ifndef NEGRING_CORE_KRB5_DER_H
#define NEGRING_CORE_KRB5_DER_H

#include "der.h"
#include "keystore.h"

#define NG_DER_GENERALIZED_TIME 0x18
#define NG_KRB5_TIME_LEN        15 /* "YYYYMMDDHHMMSSZ" */

/* Int32 (RFC 4120 §5.2.4): a minimal DER INTEGER in int32 range (etypes may be negative). */
int32_t ng_krb5_read_int32(struct ng_reader *r);
/* An Int32 wrapped in [ctx_tag] EXPLICIT. */
int32_t ng_krb5_read_explicit_int32(struct ng_reader *r, uint8_t ctx_tag);
/* SEQUENCE { type [0] Int32, value [1] OCTET STRING }: the shape of EncryptionKey, Checksum,
 * TransitedEncoding and an AuthorizationData element. */
void ng_krb5_read_typed_octets(struct ng_reader *r, int32_t *type, struct ng_slice *value);
/* PrincipalName ::= SEQUENCE { name-type [0] Int32, name-string [1] SEQUENCE OF KerberosString }
 * into p's components (at most 8, at least 1); the name type is not kept. */
void ng_krb5_read_principal_name(struct ng_reader *r, struct ng_principal_ref *p);
/* The same, with the name type. */
void ng_krb5_read_principal_name_typed(struct ng_reader *r, struct ng_principal_ref *p,
                                       int32_t *name_type);

/* KerberosTime (RFC 4120 §5.2.3) contents: exactly "YYYYMMDDHHMMSSZ" with a valid date and time
 * (no leap second); seconds since the Unix epoch in *out. */
bool ng_krb5_time_parse(struct ng_slice s, int64_t *out);

/* [ctx_tag] EXPLICIT INTEGER v, and its encoded size. */
size_t ng_krb5_explicit_uint_size(uint32_t v);
void ng_krb5_write_explicit_uint(struct ng_writer *w, uint8_t ctx_tag, uint32_t v);
/* [ctx_tag] EXPLICIT around a primitive `tag` (OCTET STRING, GeneralizedTime), and its size. */
size_t ng_krb5_explicit_tlv_size(size_t content_len);
void ng_krb5_write_explicit_tlv(struct ng_writer *w, uint8_t ctx_tag, uint8_t tag,
                                struct ng_slice content);

#endif
