#include "krb5_ap_req.h"

#include "der.h"

enum { PROTOCOL_VERSION = 5, MSG_TYPE_AP_REQ = 14 };

/* A DER INTEGER that fits in int32 (etypes may be negative). */
static int32_t read_int32(struct ng_reader *r)
{
    struct ng_slice v = ng_der_read_value(r, NG_DER_INTEGER);
    if (v.len == 0 || v.len > 4 ||
        (v.len > 1 &&
         ((v.ptr[0] == 0 && !(v.ptr[1] & 0x80)) || (v.ptr[0] == 0xff && (v.ptr[1] & 0x80))))) {
        r->failed = true;
        return 0;
    }
    uint32_t u = (v.ptr[0] & 0x80) ? UINT32_MAX : 0;
    for (size_t i = 0; i < v.len; i++)
        u = (u << 8) | v.ptr[i];
    return (int32_t)u;
}

static int32_t read_explicit_int32(struct ng_reader *r, uint8_t ctx_tag)
{
    struct ng_reader field = ng_der_read_expect(r, NG_DER_CONTEXT(ctx_tag));
    int32_t v = read_int32(&field);
    ng_der_finish(r, &field);
    return v;
}

/* PrincipalName ::= SEQUENCE { name-type [0] Int32, name-string [1] SEQUENCE OF KerberosString } */
static void read_principal_name(struct ng_reader *r, struct ng_principal_ref *p)
{
    struct ng_reader seq = ng_der_read_expect(r, NG_DER_SEQUENCE);
    (void)read_explicit_int32(&seq, 0);
    struct ng_reader names_field = ng_der_read_expect(&seq, NG_DER_CONTEXT(1));
    struct ng_reader names = ng_der_read_expect(&names_field, NG_DER_SEQUENCE);
    p->ncomponents = 0;
    while (!names.failed && names.len > 0) {
        if (p->ncomponents == sizeof(p->components) / sizeof(p->components[0])) {
            names.failed = true;
            break;
        }
        p->components[p->ncomponents++] = ng_der_read_general_string(&names);
    }
    if (p->ncomponents == 0)
        names.failed = true;
    ng_der_finish(&names_field, &names);
    ng_der_finish(&seq, &names_field);
    ng_der_finish(r, &seq);
}

/* EncryptedData ::= SEQUENCE { etype [0] Int32, kvno [1] UInt32 OPTIONAL, cipher [2] OCTET STRING }
 */
static void read_encrypted_data(struct ng_reader *r, int32_t *etype, bool *has_kvno, uint32_t *kvno,
                                struct ng_slice *cipher)
{
    struct ng_reader seq = ng_der_read_expect(r, NG_DER_SEQUENCE);
    *etype = read_explicit_int32(&seq, 0);
    struct ng_reader kvno_field;
    *has_kvno = ng_der_read_optional(&seq, NG_DER_CONTEXT(1), &kvno_field);
    if (*has_kvno) {
        *kvno = (uint32_t)read_int32(&kvno_field);
        ng_der_finish(&seq, &kvno_field);
    }
    struct ng_reader cipher_field = ng_der_read_expect(&seq, NG_DER_CONTEXT(2));
    *cipher = ng_der_read_octet_string(&cipher_field);
    ng_der_finish(&seq, &cipher_field);
    ng_der_finish(r, &seq);
}

/* Ticket ::= [APPLICATION 1] SEQUENCE { tkt-vno [0], realm [1], sname [2], enc-part [3] } */
static void read_ticket(struct ng_reader *r, struct ng_krb5_ap_req *out)
{
    struct ng_reader app = ng_der_read_expect(r, NG_DER_APPLICATION(1));
    struct ng_reader seq = ng_der_read_expect(&app, NG_DER_SEQUENCE);
    if (read_explicit_int32(&seq, 0) != PROTOCOL_VERSION)
        seq.failed = true;
    struct ng_reader realm = ng_der_read_expect(&seq, NG_DER_CONTEXT(1));
    out->server.realm = ng_der_read_general_string(&realm);
    ng_der_finish(&seq, &realm);
    struct ng_reader sname = ng_der_read_expect(&seq, NG_DER_CONTEXT(2));
    read_principal_name(&sname, &out->server);
    ng_der_finish(&seq, &sname);
    struct ng_reader enc = ng_der_read_expect(&seq, NG_DER_CONTEXT(3));
    read_encrypted_data(&enc, &out->ticket_etype, &out->ticket_has_kvno, &out->ticket_kvno,
                        &out->ticket_cipher);
    ng_der_finish(&seq, &enc);
    ng_der_finish(&app, &seq);
    ng_der_finish(r, &app);
}

ng_status ng_krb5_ap_req_parse(struct ng_slice msg, struct ng_krb5_ap_req *out)
{
    struct ng_reader whole = ng_reader_of(msg);
    struct ng_reader app = ng_der_read_expect(&whole, NG_DER_APPLICATION(14));
    struct ng_reader seq = ng_der_read_expect(&app, NG_DER_SEQUENCE);
    if (read_explicit_int32(&seq, 0) != PROTOCOL_VERSION ||
        read_explicit_int32(&seq, 1) != MSG_TYPE_AP_REQ)
        seq.failed = true;
    struct ng_reader options = ng_der_read_expect(&seq, NG_DER_CONTEXT(2));
    out->ap_options = ng_der_read_bit_string_flags(&options);
    ng_der_finish(&seq, &options);
    struct ng_reader ticket = ng_der_read_expect(&seq, NG_DER_CONTEXT(3));
    read_ticket(&ticket, out);
    ng_der_finish(&seq, &ticket);
    struct ng_reader auth = ng_der_read_expect(&seq, NG_DER_CONTEXT(4));
    int32_t auth_etype;
    bool auth_has_kvno;
    uint32_t auth_kvno;
    read_encrypted_data(&auth, &auth_etype, &auth_has_kvno, &auth_kvno, &out->authenticator_cipher);
    ng_der_finish(&seq, &auth);
    ng_der_finish(&app, &seq);
    ng_der_finish(&whole, &app);
    if (whole.failed || whole.len != 0 || out->authenticator_cipher.len == 0)
        return NG_ERR_INVALID_TOKEN;
    return NG_OK;
}
