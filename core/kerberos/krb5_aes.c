#include "krb5_aes.h"

#include <nettle/cbc.h>
#include <nettle/hmac.h>
#include <nettle/memxor.h>
#include <string.h>

#include "alloc.h"
#include "constant_time.h"

enum { BLOCK = AES_BLOCK_SIZE, MAX_KEY = 32 };

/* RFC 3961 §5.3 key usage constants' last byte: which key of the usage. */
enum { KC = 0x99, KE = 0xAA, KI = 0x55 };

/* The decryption schedule from the encryption one (nettle's aes*_invert_key): cheaper than
 * expanding the key a second time. */
typedef void invert_fn(void *decrypt, const void *encrypt);

static void invert128(void *decrypt, const void *encrypt)
{
    aes128_invert_key(decrypt, encrypt);
}

static void invert256(void *decrypt, const void *encrypt)
{
    aes256_invert_key(decrypt, encrypt);
}

struct profile {
    krb5_enctype enctype;
    const struct nettle_cipher *aes;
    invert_fn *invert;
    const struct nettle_hash *hash;
    size_t mac_len;
    bool rfc8009;
};

static const struct profile profiles[] = {
    {ENCTYPE_AES128_CTS_HMAC_SHA1_96, &nettle_aes128, invert128, &nettle_sha1, 12, false},
    {ENCTYPE_AES256_CTS_HMAC_SHA1_96, &nettle_aes256, invert256, &nettle_sha1, 12, false},
    {ENCTYPE_AES128_CTS_HMAC_SHA256_128, &nettle_aes128, invert128, &nettle_sha256, 16, true},
    {ENCTYPE_AES256_CTS_HMAC_SHA384_192, &nettle_aes256, invert256, &nettle_sha384, 24, true},
};

static const struct profile *profile_of(krb5_enctype enctype)
{
    for (size_t i = 0; i < sizeof profiles / sizeof profiles[0]; i++) {
        if (profiles[i].enctype == enctype)
            return &profiles[i];
    }
    return NULL;
}

size_t ng_krb5_aes_mac_len(krb5_enctype enctype)
{
    const struct profile *p = profile_of(enctype);
    return p != NULL ? p->mac_len : 0;
}

bool ng_krb5_aes_supported(krb5_enctype enctype)
{
    return profile_of(enctype) != NULL;
}

void ng_krb5_aes_wipe(void *keys, size_t size)
{
    explicit_bzero(keys, size);
}

/* ---- HMAC with a keyed state ---------------------------------------------------------------- */

static void hmac_key(struct ng_krb5_hmac_key *k, const struct nettle_hash *hash, size_t mac_len,
                     struct ng_slice key)
{
    union ng_krb5_hash_state state;
    k->hash = hash;
    k->mac_len = mac_len;
    hmac_set_key(&k->outer, &k->inner, &state, hash, key.len, key.ptr);
    explicit_bzero(&state, sizeof state);
}

/* A computation starts from a copy of the inner state, so the key itself is only read. */
static void hmac_full(const struct ng_krb5_hmac_key *k, const struct ng_slice *parts, size_t n,
                      uint8_t *digest)
{
    union ng_krb5_hash_state state = k->inner;
    for (size_t i = 0; i < n; i++)
        hmac_update(&state, k->hash, parts[i].len, parts[i].ptr);
    hmac_digest(&k->outer, &k->inner, &state, k->hash, k->hash->digest_size, digest);
    explicit_bzero(&state, sizeof state);
}

void ng_krb5_aes_checksum(const struct ng_krb5_hmac_key *kc, struct ng_slice message,
                          uint8_t out[NG_KRB5_AES_MAX_MAC])
{
    uint8_t digest[SHA512_DIGEST_SIZE];
    hmac_full(kc, &message, 1, digest);
    memcpy(out, digest, kc->mac_len);
    explicit_bzero(digest, sizeof digest);
}

/* ---- key derivation ------------------------------------------------------------------------- */

enum { NFOLD_MAX = 32 }; /* bytes out: a block here; more for the tests' vectors */

/* Byte m of the input rotated right by r bits (the input seen as one big-endian bit string). */
static size_t gcd(size_t a, size_t b)
{
    while (b != 0) {
        size_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

static uint8_t rotated_byte(const uint8_t *in, size_t len, size_t r, size_t m)
{
    size_t bits = len * 8, from = (m * 8 + bits - r % bits) % bits;
    size_t q = from / 8, shift = from % 8;
    if (shift == 0)
        return in[q];
    return (uint8_t)(in[q] << shift | in[(q + 1) % len] >> (8 - shift));
}

/* acc += x, both big-endian, with end-around carry (one's-complement addition). */
static void add_ones_complement(uint8_t *acc, const uint8_t *x, size_t n)
{
    unsigned carry = 0;
    for (size_t i = n; i-- > 0;) {
        unsigned sum = acc[i] + x[i] + carry;
        acc[i] = (uint8_t)sum;
        carry = sum >> 8;
    }
    for (size_t i = n; carry != 0 && i-- > 0;) {
        unsigned sum = acc[i] + carry;
        acc[i] = (uint8_t)sum;
        carry = sum >> 8;
    }
}

/* RFC 3961 §5.1 n-fold: the input repeated to the least common multiple of both lengths, each
 * copy rotated 13 bits further right than the one before, then cut in out_len-byte chunks that
 * are added with one's-complement addition. */
void ng_krb5_nfold(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_len)
{
    size_t chunks = in_len / gcd(in_len, out_len); /* lcm / out_len */
    memset(out, 0, out_len);
    for (size_t c = 0; c < chunks; c++) {
        uint8_t chunk[NFOLD_MAX];
        for (size_t i = 0; i < out_len; i++) {
            size_t pos = c * out_len + i; /* byte of the repeated input */
            chunk[i] = rotated_byte(in, in_len, 13 * (pos / in_len), pos % in_len);
        }
        add_ones_complement(out, chunk, out_len);
    }
}

static void usage_constant(uint32_t usage, uint8_t which, uint8_t out[5])
{
    out[0] = (uint8_t)(usage >> 24);
    out[1] = (uint8_t)(usage >> 16);
    out[2] = (uint8_t)(usage >> 8);
    out[3] = (uint8_t)usage;
    out[4] = which;
}

/* The n-folded constant depends on the usage alone, not on the key, and n-fold is slow (a
 * rotation per byte of 80): each thread folds a usage's constants once. */
enum { FOLDED_CACHE = 16 };

struct folded_constant {
    uint32_t usage;
    uint8_t which; /* 0: the slot is empty */
    uint8_t block[BLOCK];
};

static _Thread_local struct folded_constant folded[FOLDED_CACHE];
static _Thread_local unsigned folded_next;

static void fold_usage(uint32_t usage, uint8_t which, uint8_t block[BLOCK])
{
    for (size_t i = 0; i < FOLDED_CACHE; i++)
        if (folded[i].which == which && folded[i].usage == usage) {
            memcpy(block, folded[i].block, BLOCK);
            return;
        }
    uint8_t constant[5];
    usage_constant(usage, which, constant);
    ng_krb5_nfold(constant, sizeof constant, block, BLOCK);
    struct folded_constant *slot = &folded[folded_next++ % FOLDED_CACHE];
    *slot = (struct folded_constant){usage, which, {0}};
    memcpy(slot->block, block, BLOCK);
}

/* A base key made ready once for the keys a usage derives from it: its AES schedule (DK) or
 * its HMAC key (KDF-HMAC-SHA2). */
struct base_key {
    const struct profile *p;
    size_t len;
    union {
        struct aes128_ctx aes128;
        struct aes256_ctx aes256;
    } aes;
    struct ng_krb5_hmac_key hmac;
};

static void base_key_init(struct base_key *b, const struct profile *p, struct ng_slice base)
{
    b->p = p;
    b->len = base.len;
    if (p->rfc8009)
        hmac_key(&b->hmac, p->hash, 0, base);
    else
        p->aes->set_encrypt_key(&b->aes, base.ptr);
}

/* RFC 3961 §5.1 DK = random-to-key(DR(base, constant)), random-to-key being the identity for
 * AES: the n-folded constant encrypted again and again with the base key until enough bytes. */
static void derive_dk(const struct base_key *b, uint32_t usage, uint8_t which, uint8_t *out)
{
    uint8_t block[BLOCK];
    fold_usage(usage, which, block);
    for (size_t done = 0; done < b->len; done += BLOCK) {
        b->p->aes->encrypt(&b->aes, BLOCK, block, block);
        memcpy(out + done, block, b->len - done < BLOCK ? b->len - done : BLOCK);
    }
    explicit_bzero(block, sizeof block);
}

/* RFC 8009 §3 KDF-HMAC-SHA2(base, label, k) = the first k bits of
 * HMAC(base, 0x00000001 | label | 0x00 | k), label = usage | which, k in bits. */
static void derive_kdf(const struct base_key *b, uint32_t usage, uint8_t which, size_t out_len,
                       uint8_t *out)
{
    static const uint8_t counter[4] = {0, 0, 0, 1}, separator = 0;
    uint8_t label[5], bits[4], digest[SHA512_DIGEST_SIZE];
    uint32_t k = (uint32_t)out_len * 8;
    usage_constant(usage, which, label);
    bits[0] = (uint8_t)(k >> 24), bits[1] = (uint8_t)(k >> 16), bits[2] = (uint8_t)(k >> 8);
    bits[3] = (uint8_t)k;
    struct ng_slice parts[] = {ng_slice_of(counter, 4), ng_slice_of(label, 5),
                               ng_slice_of(&separator, 1), ng_slice_of(bits, 4)};
    hmac_full(&b->hmac, parts, 4, digest);
    memcpy(out, digest, out_len);
    explicit_bzero(digest, sizeof digest);
}

/* The usage's key of kind `which`: Ke (the AES key length), Ki and Kc (RFC 3962: the AES key
 * length; RFC 8009: the MAC length). */
static size_t derive(const struct base_key *b, uint32_t usage, uint8_t which, uint8_t out[MAX_KEY])
{
    if (!b->p->rfc8009) {
        derive_dk(b, usage, which, out);
        return b->len;
    }
    size_t len = which == KE ? b->len : b->p->mac_len;
    derive_kdf(b, usage, which, len, out);
    return len;
}

static ng_status check_base(const struct profile *p, struct ng_slice base)
{
    if (p == NULL)
        return NG_ERR_UNSUPPORTED;
    return base.len == p->aes->key_size ? NG_OK : NG_ERR_INVALID_PARAM;
}

ng_status ng_krb5_aes_set_cipher_key(struct ng_krb5_aes_keys *k, krb5_enctype enctype,
                                     struct ng_slice ke)
{
    const struct profile *p = profile_of(enctype);
    NG_GUARD(check_base(p, ke));
    k->enctype = enctype;
    k->aes = p->aes;
    k->mac_over_ciphertext = p->rfc8009;
    p->aes->set_encrypt_key(&k->encrypt, ke.ptr);
    p->invert(&k->decrypt, &k->encrypt);
    return NG_OK;
}

ng_status ng_krb5_aes_derive(krb5_enctype enctype, struct ng_slice base, uint32_t usage,
                             struct ng_krb5_aes_keys *out)
{
    const struct profile *p = profile_of(enctype);
    uint8_t key[MAX_KEY];
    struct base_key b;
    NG_GUARD(check_base(p, base));
    base_key_init(&b, p, base);
    size_t len = derive(&b, usage, KE, key);
    ng_krb5_aes_set_cipher_key(out, enctype, ng_slice_of(key, len));
    len = derive(&b, usage, KI, key);
    hmac_key(&out->integrity, p->hash, p->mac_len, ng_slice_of(key, len));
    explicit_bzero(key, sizeof key);
    explicit_bzero(&b, sizeof b);
    return NG_OK;
}

ng_status ng_krb5_aes_derive_checksum(krb5_enctype enctype, struct ng_slice base, uint32_t usage,
                                      struct ng_krb5_hmac_key *out)
{
    const struct profile *p = profile_of(enctype);
    uint8_t key[MAX_KEY];
    struct base_key b;
    NG_GUARD(check_base(p, base));
    base_key_init(&b, p, base);
    size_t len = derive(&b, usage, KC, key);
    hmac_key(out, p->hash, p->mac_len, ng_slice_of(key, len));
    explicit_bzero(key, sizeof key);
    explicit_bzero(&b, sizeof b);
    return NG_OK;
}

/* ---- CTS ------------------------------------------------------------------------------------ */

/* CBC over the padded message, then the last two blocks swapped and the last one cut to the
 * message's length (RFC 3962 §5). */
void ng_krb5_aes_cts_encrypt(const struct ng_krb5_aes_keys *k, const uint8_t *in, size_t len,
                             uint8_t *out)
{
    uint8_t iv[BLOCK] = {0}, last[BLOCK] = {0}, prev[BLOCK];
    if (len == BLOCK) {
        cbc_encrypt(&k->encrypt, k->aes->encrypt, BLOCK, iv, BLOCK, out, in);
        return;
    }
    size_t tail = len % BLOCK ? len % BLOCK : BLOCK; /* bytes in the last block */
    size_t head = len - tail;                        /* whole blocks before it */
    cbc_encrypt(&k->encrypt, k->aes->encrypt, BLOCK, iv, head, out, in);
    memcpy(prev, out + head - BLOCK, BLOCK); /* C(n-1) = iv now */
    memcpy(last, in + head, tail);
    cbc_encrypt(&k->encrypt, k->aes->encrypt, BLOCK, iv, BLOCK, last, last); /* C(n) */
    memcpy(out + head - BLOCK, last, BLOCK);
    memcpy(out + head, prev, tail);
    explicit_bzero(last, sizeof last);
}

/* C(n) (stored second to last) decrypts to P(n) ^ C(n-1); C(n-1)'s stolen bytes are the tail of
 * that, its first bytes are the message's last ones. */
void ng_krb5_aes_cts_decrypt(const struct ng_krb5_aes_keys *k, const uint8_t *in, size_t len,
                             uint8_t *out)
{
    uint8_t iv[BLOCK] = {0}, d[BLOCK], cprev[BLOCK];
    if (len == BLOCK) {
        cbc_decrypt(&k->decrypt, k->aes->decrypt, BLOCK, iv, BLOCK, out, in);
        return;
    }
    size_t tail = len % BLOCK ? len % BLOCK : BLOCK;
    size_t head = len - tail; /* C(1) .. C(n-2), then C(n) */
    const uint8_t *cn = in + head - BLOCK;
    k->aes->decrypt(&k->decrypt, BLOCK, d, cn);
    memcpy(cprev, in + head, tail);
    memcpy(cprev + tail, d + tail, BLOCK - tail);
    uint8_t last[BLOCK];
    memxor3(last, d, cprev, BLOCK); /* P(n), padded */
    if (head > BLOCK)
        cbc_decrypt(&k->decrypt, k->aes->decrypt, BLOCK, iv, head - BLOCK, out, in);
    /* P(n-1) = D(C(n-1)) ^ C(n-2) (or the zero IV); iv holds C(n-2) now */
    cbc_decrypt(&k->decrypt, k->aes->decrypt, BLOCK, iv, BLOCK, out + head - BLOCK, cprev);
    memcpy(out + head, last, tail);
    explicit_bzero(d, sizeof d);
    explicit_bzero(last, sizeof last);
}

/* ---- encryption ----------------------------------------------------------------------------- */

size_t ng_krb5_aes_overhead(const struct ng_krb5_aes_keys *k)
{
    return NG_KRB5_AES_CONFOUNDER + k->integrity.mac_len;
}

/* RFC 3962: the MAC covers confounder | plaintext; RFC 8009: the zero IV | ciphertext. */
static void mac(const struct ng_krb5_aes_keys *k, struct ng_slice confounded_plain,
                struct ng_slice cipher, uint8_t digest[SHA512_DIGEST_SIZE])
{
    static const uint8_t zero_iv[BLOCK];
    struct ng_slice over_cipher[] = {ng_slice_of(zero_iv, BLOCK), cipher};
    if (k->mac_over_ciphertext)
        hmac_full(&k->integrity, over_cipher, 2, digest);
    else
        hmac_full(&k->integrity, &confounded_plain, 1, digest);
}

void ng_krb5_aes_encrypt(const struct ng_krb5_aes_keys *k,
                         const uint8_t confounder[NG_KRB5_AES_CONFOUNDER], struct ng_slice plain,
                         uint8_t *out)
{
    size_t len = NG_KRB5_AES_CONFOUNDER + plain.len;
    uint8_t digest[SHA512_DIGEST_SIZE];
    memcpy(out, confounder, NG_KRB5_AES_CONFOUNDER);
    memcpy(out + NG_KRB5_AES_CONFOUNDER, plain.ptr, plain.len);
    if (!k->mac_over_ciphertext)
        mac(k, ng_slice_of(out, len), NG_SLICE_EMPTY, digest);
    ng_krb5_aes_cts_encrypt(k, out, len, out);
    if (k->mac_over_ciphertext)
        mac(k, NG_SLICE_EMPTY, ng_slice_of(out, len), digest);
    memcpy(out + len, digest, k->integrity.mac_len);
    explicit_bzero(digest, sizeof digest);
}

ng_status ng_krb5_aes_decrypt(const struct ng_krb5_aes_keys *k, struct ng_slice cipher,
                              uint8_t *out)
{
    size_t mac_len = k->integrity.mac_len;
    if (cipher.len < NG_KRB5_AES_CONFOUNDER + mac_len)
        return NG_ERR_INVALID_TOKEN;
    size_t len = cipher.len - mac_len;
    uint8_t digest[SHA512_DIGEST_SIZE];
    ng_krb5_aes_cts_decrypt(k, cipher.ptr, len, out);
    mac(k, ng_slice_of(out, len), ng_slice_of(cipher.ptr, len), digest);
    bool same = ng_ct_equal(digest, cipher.ptr + len, mac_len);
    explicit_bzero(digest, sizeof digest);
    if (!same) {
        explicit_bzero(out, len);
        return NG_ERR_MESSAGE_ALTERED;
    }
    memmove(out, out + NG_KRB5_AES_CONFOUNDER, len - NG_KRB5_AES_CONFOUNDER);
    return NG_OK;
}

/* ---- a message in pieces (RFC 3961's IOV interface, as MIT's krb5_k_encrypt_iov has it) ----- */

enum { MAX_IOV_SLICES = NG_KRB5_AES_MAX_IOV + 2 };

/* The pieces that are encrypted (the confounder, then every piece not sign-only), in order. */
static size_t encrypted_len(const struct ng_krb5_iov *v, size_t n)
{
    size_t len = NG_KRB5_AES_CONFOUNDER;
    for (size_t i = 0; i < n; i++)
        len += v[i].sign_only ? 0 : v[i].len;
    return len;
}

static void gather(uint8_t *buf, const uint8_t *confounder, const struct ng_krb5_iov *v, size_t n)
{
    memcpy(buf, confounder, NG_KRB5_AES_CONFOUNDER);
    size_t at = NG_KRB5_AES_CONFOUNDER;
    for (size_t i = 0; i < n; i++)
        if (!v[i].sign_only && v[i].len > 0) {
            memcpy(buf + at, v[i].ptr, v[i].len);
            at += v[i].len;
        }
}

static void scatter(const uint8_t *buf, uint8_t *confounder, const struct ng_krb5_iov *v, size_t n)
{
    memcpy(confounder, buf, NG_KRB5_AES_CONFOUNDER);
    size_t at = NG_KRB5_AES_CONFOUNDER;
    for (size_t i = 0; i < n; i++)
        if (!v[i].sign_only && v[i].len > 0) {
            memcpy(v[i].ptr, buf + at, v[i].len);
            at += v[i].len;
        }
}

/* The MAC over the pieces in order, sign-only ones included (RFC 8009: after the zero IV, and
 * over the ciphertext; RFC 3962: over the plaintext). */
static void mac_iov(const struct ng_krb5_aes_keys *k, const uint8_t *confounder,
                    const struct ng_krb5_iov *v, size_t n, uint8_t digest[SHA512_DIGEST_SIZE])
{
    static const uint8_t zero_iv[BLOCK];
    struct ng_slice parts[MAX_IOV_SLICES];
    size_t m = 0;
    if (k->mac_over_ciphertext)
        parts[m++] = ng_slice_of(zero_iv, BLOCK);
    parts[m++] = ng_slice_of(confounder, NG_KRB5_AES_CONFOUNDER);
    for (size_t i = 0; i < n; i++)
        parts[m++] = ng_slice_of(v[i].ptr, v[i].len);
    hmac_full(&k->integrity, parts, m, digest);
}

/* CTS over the encrypted pieces as one message: gathered, run, scattered back. */
static ng_status cts_iov(const struct ng_krb5_aes_keys *k, uint8_t *confounder,
                         const struct ng_krb5_iov *v, size_t n, bool encrypt)
{
    size_t len = encrypted_len(v, n);
    uint8_t *buf = ng_alloc(len);
    if (buf == NULL)
        return NG_ERR_NOMEM;
    gather(buf, confounder, v, n);
    if (encrypt)
        ng_krb5_aes_cts_encrypt(k, buf, len, buf);
    else
        ng_krb5_aes_cts_decrypt(k, buf, len, buf);
    scatter(buf, confounder, v, n);
    ng_free_secret(buf, len);
    return NG_OK;
}

ng_status ng_krb5_aes_encrypt_iov(const struct ng_krb5_aes_keys *k,
                                  uint8_t confounder[NG_KRB5_AES_CONFOUNDER],
                                  const struct ng_krb5_iov *v, size_t n, uint8_t *mac)
{
    uint8_t digest[SHA512_DIGEST_SIZE];
    if (n > NG_KRB5_AES_MAX_IOV)
        return NG_ERR_INVALID_PARAM;
    if (!k->mac_over_ciphertext)
        mac_iov(k, confounder, v, n, digest);
    NG_GUARD(cts_iov(k, confounder, v, n, true));
    if (k->mac_over_ciphertext)
        mac_iov(k, confounder, v, n, digest);
    memcpy(mac, digest, k->integrity.mac_len);
    explicit_bzero(digest, sizeof digest);
    return NG_OK;
}

ng_status ng_krb5_aes_decrypt_iov(const struct ng_krb5_aes_keys *k,
                                  uint8_t confounder[NG_KRB5_AES_CONFOUNDER],
                                  const struct ng_krb5_iov *v, size_t n, const uint8_t *mac)
{
    uint8_t digest[SHA512_DIGEST_SIZE];
    bool same = true;
    if (n > NG_KRB5_AES_MAX_IOV)
        return NG_ERR_INVALID_PARAM;
    if (k->mac_over_ciphertext) {
        mac_iov(k, confounder, v, n, digest);
        same = ng_ct_equal(digest, mac, k->integrity.mac_len);
    }
    ng_status status = same ? cts_iov(k, confounder, v, n, false) : NG_OK;
    if (status == NG_OK && same && !k->mac_over_ciphertext) {
        mac_iov(k, confounder, v, n, digest);
        same = ng_ct_equal(digest, mac, k->integrity.mac_len);
    }
    explicit_bzero(digest, sizeof digest);
    NG_GUARD(status);
    return same ? NG_OK : NG_ERR_MESSAGE_ALTERED;
}

void ng_krb5_aes_checksum_parts(const struct ng_krb5_hmac_key *kc, const struct ng_slice *parts,
                                size_t n, uint8_t out[NG_KRB5_AES_MAX_MAC])
{
    uint8_t digest[SHA512_DIGEST_SIZE];
    hmac_full(kc, parts, n, digest);
    memcpy(out, digest, kc->mac_len);
    explicit_bzero(digest, sizeof digest);
}
