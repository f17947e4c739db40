#include "krb5_ap_rep.h"

#include "krb5_der.h"

enum { PVNO = 5, MSG_TYPE_AP_REP = 15, APP_AP_REP = 15, APP_ENC_AP_REP_PART = 27 };

/* EncryptionKey ::= SEQUENCE { keytype [0] Int32, keyvalue [1] OCTET STRING } */
static size_t encryption_key_content_size(uint32_t type, size_t key_len)
{
    return ng_krb5_explicit_uint_size(type) + ng_krb5_explicit_tlv_size(key_len);
}

ng_status ng_krb5_enc_ap_rep_part_write(struct ng_writer *w, struct ng_slice ctime_der,
                                        uint32_t cusec, uint32_t subkey_type,
                                        struct ng_slice subkey, uint32_t seq_number)
{
    size_t key_content = encryption_key_content_size(subkey_type, subkey.len);
    size_t seq = ng_krb5_explicit_tlv_size(ctime_der.len) + ng_krb5_explicit_uint_size(cusec) +
                 ng_der_tlv_size(ng_der_tlv_size(key_content)) +
                 ng_krb5_explicit_uint_size(seq_number);
    ng_der_write_header(w, NG_DER_APPLICATION(APP_ENC_AP_REP_PART), ng_der_tlv_size(seq));
    ng_der_write_header(w, NG_DER_SEQUENCE, seq);
    ng_krb5_write_explicit_tlv(w, 0, NG_DER_GENERALIZED_TIME, ctime_der);
    ng_krb5_write_explicit_uint(w, 1, cusec);
    ng_der_write_header(w, NG_DER_CONTEXT(2), ng_der_tlv_size(key_content));
    ng_der_write_header(w, NG_DER_SEQUENCE, key_content);
    ng_krb5_write_explicit_uint(w, 0, subkey_type);
    ng_krb5_write_explicit_tlv(w, 1, NG_DER_OCTET_STRING, subkey);
    ng_krb5_write_explicit_uint(w, 3, seq_number);
    return ng_writer_status(w);
}

/* The EncryptedData's contents and the AP-REP SEQUENCE's, for a cipher of cipher_len octets. */
static size_t enc_part_content_size(uint32_t etype, size_t cipher_len)
{
    return ng_krb5_explicit_uint_size(etype) + ng_krb5_explicit_tlv_size(cipher_len);
}

static size_t ap_rep_content_size(uint32_t etype, size_t cipher_len)
{
    return ng_krb5_explicit_uint_size(PVNO) + ng_krb5_explicit_uint_size(MSG_TYPE_AP_REP) +
           ng_der_tlv_size(ng_der_tlv_size(enc_part_content_size(etype, cipher_len)));
}

size_t ng_krb5_ap_rep_size(uint32_t etype, size_t cipher_len)
{
    return ng_der_tlv_size(ng_der_tlv_size(ap_rep_content_size(etype, cipher_len)));
}

void ng_krb5_ap_rep_write_header(struct ng_writer *w, uint32_t etype, size_t cipher_len)
{
    size_t enc = enc_part_content_size(etype, cipher_len);
    size_t seq = ap_rep_content_size(etype, cipher_len);
    ng_der_write_header(w, NG_DER_APPLICATION(APP_AP_REP), ng_der_tlv_size(seq));
    ng_der_write_header(w, NG_DER_SEQUENCE, seq);
    ng_krb5_write_explicit_uint(w, 0, PVNO);
    ng_krb5_write_explicit_uint(w, 1, MSG_TYPE_AP_REP);
    ng_der_write_header(w, NG_DER_CONTEXT(2), ng_der_tlv_size(enc));
    ng_der_write_header(w, NG_DER_SEQUENCE, enc);
    ng_krb5_write_explicit_uint(w, 0, etype);
    ng_der_write_header(w, NG_DER_CONTEXT(2), ng_der_tlv_size(cipher_len));
    ng_der_write_header(w, NG_DER_OCTET_STRING, cipher_len);
}
