#include "krb5_cfx_keys.h"

#include "alloc.h"
#include "constant_time.h"
#include "krb5_thread.h"
#include "random.h"

enum {
    USAGE_ACCEPTOR_SEAL = 22, /* RFC 4121 §2 */
    USAGE_ACCEPTOR_SIGN = 23,
    USAGE_INITIATOR_SEAL = 24,
    USAGE_INITIATOR_SIGN = 25,
    MAX_K5_IOV = NG_KRB5_AES_MAX_IOV + 2,
};

struct ng_cfx_aes {
    struct ng_krb5_aes_keys seal;
    struct ng_krb5_hmac_key seal_checksum, sign_checksum;
};

static ng_status make_aes(const struct ng_krb5_session *s, struct ng_cfx_keys *k)
{
    struct ng_slice base = ng_slice_of(s->key, s->key_len);
    k->aes = ng_alloc(sizeof(*k->aes));
    if (k->aes == NULL)
        return NG_ERR_NOMEM;
    ng_status status = ng_krb5_aes_derive(s->enctype, base, k->seal_usage, &k->aes->seal);
    if (status == NG_OK)
        status =
            ng_krb5_aes_derive_checksum(s->enctype, base, k->seal_usage, &k->aes->seal_checksum);
    if (status == NG_OK)
        status =
            ng_krb5_aes_derive_checksum(s->enctype, base, k->sign_usage, &k->aes->sign_checksum);
    return status;
}

static ng_status make_k5(const struct ng_krb5_session *s, struct ng_cfx_keys *k)
{
    krb5_context kctx;
    krb5_keyblock block = {KV5M_KEYBLOCK, s->enctype, (unsigned int)s->key_len,
                           (krb5_octet *)s->key};
    NG_GUARD(ng_krb5_thread_context(&kctx));
    return ng_krb5_status(krb5_k_create_key(kctx, &block, &k->k5));
}

ng_status ng_cfx_keys_make(const struct ng_krb5_session *s, bool from_acceptor,
                           struct ng_cfx_keys *out)
{
    *out = (struct ng_cfx_keys){
        .enctype = s->enctype,
        .seal_usage = from_acceptor ? USAGE_ACCEPTOR_SEAL : USAGE_INITIATOR_SEAL,
        .sign_usage = from_acceptor ? USAGE_ACCEPTOR_SIGN : USAGE_INITIATOR_SIGN,
    };
    ng_status status = NG_OK;
    if (ng_krb5_aes_supported(s->enctype))
        status = make_aes(s, out);
    else if (ng_krb5_enctype_is_cfx(s->enctype))
        status = make_k5(s, out);
    if (status != NG_OK) {
        ng_cfx_keys_free(out);
        return status;
    }
    out->made = true;
    return NG_OK;
}

void ng_cfx_keys_free(struct ng_cfx_keys *k)
{
    krb5_context kctx;
    if (k->aes != NULL)
        ng_free_secret(k->aes, sizeof(*k->aes));
    if (k->k5 != NULL && ng_krb5_thread_context(&kctx) == NG_OK)
        krb5_k_free_key(kctx, k->k5); /* libkrb5 wipes the key material */
    *k = (struct ng_cfx_keys){0};
}

ng_status ng_cfx_sizes(krb5_enctype enctype, struct ng_cfx_sizes *out)
{
    if (!ng_krb5_enctype_is_cfx(enctype))
        return NG_ERR_UNSUPPORTED;
    size_t mac_len = ng_krb5_aes_mac_len(enctype);
    if (mac_len > 0) {
        *out = (struct ng_cfx_sizes){NG_KRB5_AES_CONFOUNDER, mac_len, mac_len};
        return NG_OK;
    }
    krb5_context kctx;
    unsigned int confounder = 0, trailer = 0, checksum = 0;
    NG_GUARD(ng_krb5_thread_context(&kctx));
    krb5_error_code code =
        krb5_c_crypto_length(kctx, enctype, KRB5_CRYPTO_TYPE_HEADER, &confounder);
    if (code == 0)
        code = krb5_c_crypto_length(kctx, enctype, KRB5_CRYPTO_TYPE_TRAILER, &trailer);
    if (code == 0)
        code = krb5_c_crypto_length(kctx, enctype, KRB5_CRYPTO_TYPE_CHECKSUM, &checksum);
    *out = (struct ng_cfx_sizes){confounder, trailer, checksum};
    return ng_krb5_status(code);
}

/* ---- libkrb5's IOV calls, for the enctypes nettle does not cover -------------------------- */

struct k5_iov {
    krb5_crypto_iov v[MAX_K5_IOV];
    size_t n;
};

static void k5_add(struct k5_iov *l, krb5_cryptotype type, const uint8_t *p, size_t len)
{
    l->v[l->n].flags = type;
    l->v[l->n++].data = (krb5_data){KV5M_DATA, (unsigned int)len, (char *)p};
}

/* What every libk5crypto call below needs: room for the pieces, the thread's context, the
 * enctype's sizes. */
static ng_status k5_prepare(const struct ng_cfx_keys *k, size_t n, krb5_context *kctx,
                            struct ng_cfx_sizes *sz)
{
    if (n > NG_KRB5_AES_MAX_IOV)
        return NG_ERR_INVALID_PARAM;
    NG_GUARD(ng_krb5_thread_context(kctx));
    return ng_cfx_sizes(k->enctype, sz);
}

static ng_status k5_sealing(const struct ng_cfx_keys *k, uint8_t *confounder,
                            const struct ng_krb5_iov *v, size_t n, uint8_t *trailer, bool seal)
{
    krb5_context kctx;
    struct ng_cfx_sizes sz;
    struct k5_iov l = {.n = 0};
    NG_GUARD(k5_prepare(k, n, &kctx, &sz));
    k5_add(&l, KRB5_CRYPTO_TYPE_HEADER, confounder, sz.confounder);
    for (size_t i = 0; i < n; i++)
        k5_add(&l, v[i].sign_only ? KRB5_CRYPTO_TYPE_SIGN_ONLY : KRB5_CRYPTO_TYPE_DATA, v[i].ptr,
               v[i].len);
    k5_add(&l, KRB5_CRYPTO_TYPE_TRAILER, trailer, sz.trailer);
    krb5_error_code code = seal ? krb5_k_encrypt_iov(kctx, k->k5, k->seal_usage, NULL, l.v, l.n)
                                : krb5_k_decrypt_iov(kctx, k->k5, k->seal_usage, NULL, l.v, l.n);
    if (code == KRB5KRB_AP_ERR_BAD_INTEGRITY)
        return NG_ERR_MESSAGE_ALTERED;
    return ng_krb5_status(code);
}

static ng_status k5_checksum(const struct ng_cfx_keys *k, uint32_t usage,
                             const struct ng_slice *parts, size_t n, uint8_t *sum, bool verify)
{
    krb5_context kctx;
    struct ng_cfx_sizes sz;
    struct k5_iov l = {.n = 0};
    NG_GUARD(k5_prepare(k, n, &kctx, &sz));
    for (size_t i = 0; i < n; i++)
        k5_add(&l, KRB5_CRYPTO_TYPE_DATA, parts[i].ptr, parts[i].len);
    k5_add(&l, KRB5_CRYPTO_TYPE_CHECKSUM, sum, sz.checksum);
    if (!verify)
        return ng_krb5_status(krb5_k_make_checksum_iov(kctx, 0, k->k5, usage, l.v, l.n));
    krb5_boolean valid = FALSE;
    NG_GUARD(ng_krb5_status(krb5_k_verify_checksum_iov(kctx, 0, k->k5, usage, l.v, l.n, &valid)));
    return valid ? NG_OK : NG_ERR_MESSAGE_ALTERED;
}

/* ---- the operations ----------------------------------------------------------------------- */

ng_status ng_cfx_seal(const struct ng_cfx_keys *k, uint8_t *confounder, const struct ng_krb5_iov *v,
                      size_t n, uint8_t *trailer)
{
    if (k->aes == NULL)
        return k->k5 != NULL ? k5_sealing(k, confounder, v, n, trailer, true) : NG_ERR_UNSUPPORTED;
    NG_GUARD(ng_random_bytes(confounder, NG_KRB5_AES_CONFOUNDER));
    return ng_krb5_aes_encrypt_iov(&k->aes->seal, confounder, v, n, trailer);
}

ng_status ng_cfx_unseal(const struct ng_cfx_keys *k, uint8_t *confounder,
                        const struct ng_krb5_iov *v, size_t n, const uint8_t *trailer)
{
    if (k->aes == NULL)
        return k->k5 != NULL ? k5_sealing(k, confounder, v, n, (uint8_t *)trailer, false)
                             : NG_ERR_UNSUPPORTED;
    return ng_krb5_aes_decrypt_iov(&k->aes->seal, confounder, v, n, trailer);
}

static const struct ng_krb5_hmac_key *checksum_key(const struct ng_cfx_keys *k, bool seal_usage)
{
    return seal_usage ? &k->aes->seal_checksum : &k->aes->sign_checksum;
}

ng_status ng_cfx_checksum(const struct ng_cfx_keys *k, bool seal_usage,
                          const struct ng_slice *parts, size_t n, uint8_t *out)
{
    if (k->aes == NULL)
        return k->k5 != NULL ? k5_checksum(k, seal_usage ? k->seal_usage : k->sign_usage, parts, n,
                                           out, false)
                             : NG_ERR_UNSUPPORTED;
    const struct ng_krb5_hmac_key *kc = checksum_key(k, seal_usage);
    uint8_t sum[NG_KRB5_AES_MAX_MAC];
    ng_krb5_aes_checksum_parts(kc, parts, n, sum);
    memcpy(out, sum, kc->mac_len);
    return NG_OK;
}

ng_status ng_cfx_verify(const struct ng_cfx_keys *k, bool seal_usage, const struct ng_slice *parts,
                        size_t n, const uint8_t *sum)
{
    if (k->aes == NULL)
        return k->k5 != NULL ? k5_checksum(k, seal_usage ? k->seal_usage : k->sign_usage, parts, n,
                                           (uint8_t *)sum, true)
                             : NG_ERR_UNSUPPORTED;
    const struct ng_krb5_hmac_key *kc = checksum_key(k, seal_usage);
    uint8_t expected[NG_KRB5_AES_MAX_MAC];
    ng_krb5_aes_checksum_parts(kc, parts, n, expected);
    bool same = ng_ct_equal(expected, sum, kc->mac_len);
    explicit_bzero(expected, sizeof(expected));
    return same ? NG_OK : NG_ERR_MESSAGE_ALTERED;
}

size_t ng_cfx_checksum_input(struct ng_slice *out, const struct ng_msg_part *parts, size_t n,
                             const uint8_t *header)
{
    for (size_t i = 0; i < n; i++)
        out[i] = ng_slice_of(parts[i].ptr, parts[i].len);
    out[n] = ng_slice_of(header, NG_CFX_HEADER_LEN);
    return n + 1;
}
