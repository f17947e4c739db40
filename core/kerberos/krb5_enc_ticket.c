#include "krb5_enc_ticket.h"

#include "krb5_der.h"

static int64_t read_time(struct ng_reader *seq, uint8_t ctx_tag)
{
    struct ng_reader f = ng_der_read_expect(seq, NG_DER_CONTEXT(ctx_tag));
    struct ng_slice value = ng_der_read_value(&f, NG_DER_GENERALIZED_TIME);
    ng_der_finish(seq, &f);
    int64_t t = 0;
    if (!seq->failed && !ng_krb5_time_parse(value, &t))
        seq->failed = true;
    return t;
}

/* AuthorizationData ::= SEQUENCE OF SEQUENCE { ad-type [0] Int32, ad-data [1] OCTET STRING } */
static void read_authdata(struct ng_reader *r, struct ng_krb5_authdata_ref *out, size_t max,
                          size_t *n)
{
    struct ng_reader seq = ng_der_read_expect(r, NG_DER_SEQUENCE);
    *n = 0;
    while (!seq.failed && seq.len > 0) {
        if (*n == max) {
            seq.failed = true;
            break;
        }
        struct ng_krb5_authdata_ref *ad = &out[(*n)++];
        ng_krb5_read_typed_octets(&seq, &ad->type, &ad->data);
    }
    ng_der_finish(r, &seq);
}

ng_status ng_krb5_authdata_parse(struct ng_slice der, struct ng_krb5_authdata_ref *out, size_t max,
                                 size_t *n)
{
    struct ng_reader r = ng_reader_of(der);
    read_authdata(&r, out, max, n);
    return r.failed || r.len != 0 ? NG_ERR_INVALID_TOKEN : NG_OK;
}

static void read_fields(struct ng_reader *seq, struct ng_krb5_enc_ticket *out)
{
    struct ng_reader f = ng_der_read_expect(seq, NG_DER_CONTEXT(0));
    out->flags = ng_der_read_bit_string_flags(&f);
    ng_der_finish(seq, &f);
    f = ng_der_read_expect(seq, NG_DER_CONTEXT(1));
    ng_krb5_read_typed_octets(&f, &out->key_type, &out->key);
    ng_der_finish(seq, &f);
    f = ng_der_read_expect(seq, NG_DER_CONTEXT(2));
    out->client.realm = ng_der_read_general_string(&f);
    ng_der_finish(seq, &f);
    f = ng_der_read_expect(seq, NG_DER_CONTEXT(3));
    ng_krb5_read_principal_name_typed(&f, &out->client, &out->client_name_type);
    ng_der_finish(seq, &f);
    f = ng_der_read_expect(seq, NG_DER_CONTEXT(4));
    ng_krb5_read_typed_octets(&f, &out->transited_type, &out->transited);
    ng_der_finish(seq, &f);
    out->auth_time = read_time(seq, 5);
    if ((out->has_start_time = ng_der_peek_tag(seq, NG_DER_CONTEXT(6))))
        out->start_time = read_time(seq, 6);
    out->end_time = read_time(seq, 7);
    if (ng_der_peek_tag(seq, NG_DER_CONTEXT(8)))
        (void)read_time(seq, 8); /* renew-till: what renewal allows, nothing an acceptor uses */
    if ((out->has_addresses = ng_der_read_optional(seq, NG_DER_CONTEXT(9), &f))) {
        (void)ng_der_read_expect(&f, NG_DER_SEQUENCE); /* the caller leaves these to libkrb5 */
        ng_der_finish(seq, &f);
    }
    if (ng_der_read_optional(seq, NG_DER_CONTEXT(10), &f)) {
        read_authdata(&f, out->authdata, NG_ENC_TICKET_MAX_AUTHDATA, &out->nauthdata);
        ng_der_finish(seq, &f);
    }
}

ng_status ng_krb5_enc_ticket_parse(struct ng_slice plain, struct ng_krb5_enc_ticket *out)
{
    *out = (struct ng_krb5_enc_ticket){0};
    struct ng_reader whole = ng_reader_of(plain);
    struct ng_reader app = ng_der_read_expect(&whole, NG_DER_APPLICATION(3));
    struct ng_reader seq = ng_der_read_expect(&app, NG_DER_SEQUENCE);
    read_fields(&seq, out);
    ng_der_finish(&app, &seq);
    return app.failed || seq.failed ? NG_ERR_INVALID_TOKEN : NG_OK;
}
