#include "krb5_authenticator.h"

#include "krb5_der.h"

enum {
    AUTHENTICATOR_VNO = 5,
    AD_IF_RELEVANT = 1,         /* RFC 4120 §5.2.6.1 */
    AD_CAMMAC = 96,             /* RFC 7751: verified by MIT's authdata plugins */
    AD_WIN2K_PAC = 128,         /* MS-PAC: likewise */
    AD_ETYPE_NEGOTIATION = 129, /* RFC 4537 */
    MAX_MICROSECONDS = 999999,
};

static uint32_t read_explicit_uint(struct ng_reader *r, uint8_t ctx_tag)
{
    struct ng_reader field = ng_der_read_expect(r, NG_DER_CONTEXT(ctx_tag));
    uint32_t v = ng_der_read_uint(&field);
    ng_der_finish(r, &field);
    return v;
}

/* RFC 4537 EtypeList ::= SEQUENCE OF Int32 */
static void read_etype_list(struct ng_reader *r, struct ng_krb5_authenticator *out)
{
    struct ng_reader seq = ng_der_read_expect(r, NG_DER_SEQUENCE);
    while (!seq.failed && seq.len > 0) {
        if (out->netypes == NG_AUTHENTICATOR_MAX_ETYPES) {
            seq.failed = true;
            break;
        }
        out->etypes[out->netypes++] = ng_krb5_read_int32(&seq);
    }
    ng_der_finish(r, &seq);
}

/* AuthorizationData ::= SEQUENCE OF SEQUENCE { ad-type [0] Int32, ad-data [1] OCTET STRING }.
 * Records the first etype list (bare or in AD-IF-RELEVANT, one level deep) and notes any
 * element libkrb5's authdata plugins would act on, or that is mandatory and not ours. */
static void read_authdata(struct ng_reader *r, struct ng_krb5_authenticator *out, bool relevant)
{
    struct ng_reader seq = ng_der_read_expect(r, NG_DER_SEQUENCE);
    while (!seq.failed && seq.len > 0) {
        int32_t type;
        struct ng_slice data;
        ng_krb5_read_typed_octets(&seq, &type, &data);
        struct ng_reader inner = ng_reader_of(data);
        if (type == AD_ETYPE_NEGOTIATION && out->netypes == 0) {
            read_etype_list(&inner, out);
            seq.failed = seq.failed || inner.failed || inner.len != 0;
        } else if (type == AD_IF_RELEVANT && !relevant) {
            read_authdata(&inner, out, true);
            seq.failed = seq.failed || inner.failed || inner.len != 0;
        } else if (!relevant || type == AD_WIN2K_PAC || type == AD_CAMMAC ||
                   type == AD_IF_RELEVANT) {
            out->other_authdata = true;
        }
    }
    ng_der_finish(r, &seq);
}

static void read_fields(struct ng_reader *seq, struct ng_krb5_authenticator *out)
{
    struct ng_reader f;
    if (ng_krb5_read_explicit_int32(seq, 0) != AUTHENTICATOR_VNO)
        seq->failed = true;
    f = ng_der_read_expect(seq, NG_DER_CONTEXT(1));
    out->client.realm = ng_der_read_general_string(&f);
    ng_der_finish(seq, &f);
    f = ng_der_read_expect(seq, NG_DER_CONTEXT(2));
    ng_krb5_read_principal_name(&f, &out->client);
    ng_der_finish(seq, &f);
    if ((out->has_checksum = ng_der_read_optional(seq, NG_DER_CONTEXT(3), &f))) {
        ng_krb5_read_typed_octets(&f, &out->checksum_type, &out->checksum);
        ng_der_finish(seq, &f);
    }
    out->cusec = read_explicit_uint(seq, 4);
    f = ng_der_read_expect(seq, NG_DER_CONTEXT(5));
    out->ctime_der = ng_der_read_value(&f, NG_DER_GENERALIZED_TIME);
    ng_der_finish(seq, &f);
    if ((out->has_subkey = ng_der_read_optional(seq, NG_DER_CONTEXT(6), &f))) {
        ng_krb5_read_typed_octets(&f, &out->subkey_type, &out->subkey);
        ng_der_finish(seq, &f);
    }
    if ((out->has_seq_number = ng_der_peek_tag(seq, NG_DER_CONTEXT(7))))
        out->seq_number = read_explicit_uint(seq, 7);
    if (ng_der_read_optional(seq, NG_DER_CONTEXT(8), &f)) {
        read_authdata(&f, out, false);
        ng_der_finish(seq, &f);
    }
}

ng_status ng_krb5_authenticator_parse(struct ng_slice plain, struct ng_krb5_authenticator *out)
{
    *out = (struct ng_krb5_authenticator){0};
    struct ng_reader whole = ng_reader_of(plain);
    struct ng_reader app = ng_der_read_expect(&whole, NG_DER_APPLICATION(2));
    struct ng_reader seq = ng_der_read_expect(&app, NG_DER_SEQUENCE);
    read_fields(&seq, out);
    ng_der_finish(&app, &seq);
    ng_der_finish(&whole, &app);
    /* Encryption pads the plaintext for some enctypes: bytes after the message are ignored,
     * as libkrb5's decoder does. */
    if (app.failed || whole.failed || out->cusec > MAX_MICROSECONDS ||
        !ng_krb5_time_parse(out->ctime_der, &out->ctime))
        return NG_ERR_INVALID_TOKEN;
    return NG_OK;
}
