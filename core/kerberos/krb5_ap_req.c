#include "krb5_ap_req.h"

#include "krb5_der.h"

enum { PROTOCOL_VERSION = 5, MSG_TYPE_AP_REQ = 14 };

/* kvno is a UInt32 (RFC 4120 §5.2.9), so 2^31 and above arrive as 5 octets (00 80 00 00 00).
 * Some encoders write those kvnos as negative 32-bit INTEGERs instead (RFC 4120 §5.2.4 notes
 * such Int32/UInt32 confusion; MIT accepts both), so a minimal negative Int32 is read as the
 * same 32 bits. */
static uint32_t read_kvno(struct ng_reader *r)
{
    struct ng_reader as_uint = *r;
    uint32_t v = ng_der_read_uint(&as_uint);
    if (!as_uint.failed) {
        *r = as_uint;
        return v;
    }
    return (uint32_t)ng_krb5_read_int32(r);
}

/* EncryptedData ::= SEQUENCE { etype [0] Int32, kvno [1] UInt32 OPTIONAL, cipher [2] OCTET STRING }
 */
static void read_encrypted_data(struct ng_reader *r, int32_t *etype, bool *has_kvno, uint32_t *kvno,
                                struct ng_slice *cipher)
{
    struct ng_reader seq = ng_der_read_expect(r, NG_DER_SEQUENCE);
    *etype = ng_krb5_read_explicit_int32(&seq, 0);
    struct ng_reader kvno_field;
    *has_kvno = ng_der_read_optional(&seq, NG_DER_CONTEXT(1), &kvno_field);
    if (*has_kvno) {
        *kvno = read_kvno(&kvno_field);
        ng_der_finish(&seq, &kvno_field);
    }
    struct ng_reader cipher_field = ng_der_read_expect(&seq, NG_DER_CONTEXT(2));
    *cipher = ng_der_read_octet_string(&cipher_field);
    ng_der_finish(&seq, &cipher_field);
    ng_der_finish(r, &seq);
}

/* Ticket ::= [APPLICATION 1] SEQUENCE { tkt-vno [0], realm [1], sname [2], enc-part [3] } */
ng_status ng_krb5_ap_req_parse_ticket(struct ng_krb5_ap_req *req)
{
    struct ng_reader r = ng_reader_of(req->ticket);
    struct ng_reader app = ng_der_read_expect(&r, NG_DER_APPLICATION(1));
    struct ng_reader seq = ng_der_read_expect(&app, NG_DER_SEQUENCE);
    if (ng_krb5_read_explicit_int32(&seq, 0) != PROTOCOL_VERSION)
        seq.failed = true;
    struct ng_reader realm = ng_der_read_expect(&seq, NG_DER_CONTEXT(1));
    req->server.realm = ng_der_read_general_string(&realm);
    ng_der_finish(&seq, &realm);
    struct ng_reader sname = ng_der_read_expect(&seq, NG_DER_CONTEXT(2));
    ng_krb5_read_principal_name(&sname, &req->server);
    ng_der_finish(&seq, &sname);
    struct ng_reader enc = ng_der_read_expect(&seq, NG_DER_CONTEXT(3));
    read_encrypted_data(&enc, &req->ticket_etype, &req->ticket_has_kvno, &req->ticket_kvno,
                        &req->ticket_cipher);
    ng_der_finish(&seq, &enc);
    ng_der_finish(&app, &seq);
    ng_der_finish(&r, &app);
    return ng_reader_done(&r) ? NG_OK : NG_ERR_INVALID_TOKEN;
}

ng_status ng_krb5_ap_req_parse_outer(struct ng_slice msg, struct ng_krb5_ap_req *out)
{
    *out = (struct ng_krb5_ap_req){0};
    struct ng_reader whole = ng_reader_of(msg);
    struct ng_reader app = ng_der_read_expect(&whole, NG_DER_APPLICATION(14));
    struct ng_reader seq = ng_der_read_expect(&app, NG_DER_SEQUENCE);
    if (ng_krb5_read_explicit_int32(&seq, 0) != PROTOCOL_VERSION ||
        ng_krb5_read_explicit_int32(&seq, 1) != MSG_TYPE_AP_REQ)
        seq.failed = true;
    struct ng_reader options = ng_der_read_expect(&seq, NG_DER_CONTEXT(2));
    out->ap_options = ng_der_read_bit_string_flags(&options);
    ng_der_finish(&seq, &options);
    struct ng_reader ticket = ng_der_read_expect(&seq, NG_DER_CONTEXT(3));
    out->ticket = ng_read_rest(&ticket);
    ng_der_finish(&seq, &ticket);
    struct ng_reader auth = ng_der_read_expect(&seq, NG_DER_CONTEXT(4));
    bool auth_has_kvno;
    uint32_t auth_kvno;
    read_encrypted_data(&auth, &out->authenticator_etype, &auth_has_kvno, &auth_kvno,
                        &out->authenticator_cipher);
    ng_der_finish(&seq, &auth);
    ng_der_finish(&app, &seq);
    ng_der_finish(&whole, &app);
    if (whole.failed || whole.len != 0 || out->authenticator_cipher.len == 0)
        return NG_ERR_INVALID_TOKEN;
    return NG_OK;
}

ng_status ng_krb5_ap_req_parse(struct ng_slice msg, struct ng_krb5_ap_req *out)
{
    NG_GUARD(ng_krb5_ap_req_parse_outer(msg, out));
    return ng_krb5_ap_req_parse_ticket(out);
}
