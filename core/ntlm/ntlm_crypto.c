#include "ntlm_crypto.h"

#include <locale.h>
#include <nettle/md4.h>
#include <nettle/nettle-meta.h>
#include <pthread.h>
#include <string.h>
#include <wctype.h>

#include "alloc.h"
#include "utf16.h"

/* OpenSSL's MD5 as a nettle hash, for nettle's HMAC only (md5_end). OpenSSL's MD5 functions
 * fail only on a NULL context. */
static void md5_begin(void *ctx)
{
    MD5_Init(ctx);
}

static void md5_feed(void *ctx, size_t len, const uint8_t *data)
{
    MD5_Update(ctx, data, len);
}

/* The first `len` bytes of the digest. nettle's contract also has the context ready for a new
 * message; it is not made so, because this hash serves only nettle's HMAC, which overwrites the
 * state with a kept one after every digest (hmac_digest). The HMAC always asks for all 16. */
static void md5_end(void *ctx, size_t len, uint8_t *out)
{
    if (len == MD5_DIGEST_LENGTH) {
        MD5_Final(out, ctx);
        return;
    }
    uint8_t digest[MD5_DIGEST_LENGTH];
    MD5_Final(digest, ctx);
    memcpy(out, digest, len < sizeof(digest) ? len : sizeof(digest));
    explicit_bzero(digest, sizeof(digest));
}

static const struct nettle_hash openssl_md5 = {
    "md5", sizeof(MD5_CTX), MD5_DIGEST_LENGTH, MD5_CBLOCK, md5_begin, md5_feed, md5_end,
};

void ng_hmac_md5_init(struct ng_hmac_md5 *h, const uint8_t key[NG_NTLM_HASH_LEN])
{
    hmac_set_key(&h->outer, &h->inner, &h->state, &openssl_md5, NG_NTLM_HASH_LEN, key);
}

void ng_hmac_md5_update(struct ng_hmac_md5 *h, struct ng_slice data)
{
    if (data.len > 0)
        hmac_update(&h->state, &openssl_md5, data.len, data.ptr);
}

void ng_hmac_md5_final(struct ng_hmac_md5 *h, uint8_t out[NG_NTLM_HASH_LEN])
{
    hmac_digest(&h->outer, &h->inner, &h->state, &openssl_md5, NG_NTLM_HASH_LEN, out);
    explicit_bzero(h, sizeof(*h));
}

void ng_hmac_md5(const uint8_t key[NG_NTLM_HASH_LEN], struct ng_slice data,
                 uint8_t out[NG_NTLM_HASH_LEN])
{
    struct ng_hmac_md5 h;
    ng_hmac_md5_init(&h, key);
    ng_hmac_md5_update(&h, data);
    ng_hmac_md5_final(&h, out);
}

void ng_md5(struct ng_slice a, struct ng_slice b, uint8_t out[NG_NTLM_HASH_LEN])
{
    MD5_CTX md5;
    MD5_Init(&md5);
    if (a.len > 0)
        MD5_Update(&md5, a.ptr, a.len);
    if (b.len > 0)
        MD5_Update(&md5, b.ptr, b.len);
    MD5_Final(out, &md5);
    explicit_bzero(&md5, sizeof(md5));
}

/* RC4_KEY holds S as RC4_INT entries, except where libcrypto's x86-64 assembly chose a byte per
 * entry for the CPU (RC4_options() then says "char"); i and j are x and y either way. The choice
 * is libcrypto's for the life of the process: asked once. */
static bool schedule_bytewise;
static pthread_once_t schedule_layout_once = PTHREAD_ONCE_INIT;

static void read_schedule_layout(void)
{
    schedule_bytewise = sizeof(RC4_INT) == 1 || strstr(RC4_options(), "char") != NULL;
}

void ng_rc4_init(struct ng_rc4 *rc4, const uint8_t *key, size_t key_len)
{
    pthread_once(&schedule_layout_once, read_schedule_layout);
    RC4_KEY schedule;
    RC4_set_key(&schedule, (int)key_len, key);
    if (schedule_bytewise) {
        memcpy(rc4->ctx.S, schedule.data, 256);
    } else {
        /* A loop of one narrowing the compiler turns into vector packs. */
        for (size_t k = 0; k < 256; k++)
            rc4->ctx.S[k] = (uint8_t)schedule.data[k];
    }
    rc4->ctx.i = (uint8_t)schedule.x;
    rc4->ctx.j = (uint8_t)schedule.y;
    explicit_bzero(&schedule, sizeof(schedule));
}

void ng_rc4_once(const uint8_t *key, size_t key_len, uint8_t *dst, const uint8_t *src, size_t len)
{
    RC4_KEY schedule;
    RC4_set_key(&schedule, (int)key_len, key);
    if (len > 0)
        RC4(&schedule, len, src, dst);
    explicit_bzero(&schedule, sizeof(schedule));
}

void ng_rc4_crypt(struct ng_rc4 *rc4, uint8_t *dst, const uint8_t *src, size_t len)
{
    if (len > 0)
        arcfour_crypt(&rc4->ctx, len, dst, src);
}

ng_status ng_nt_hash(const char *password, size_t len, uint8_t out[NG_NTLM_HASH_LEN])
{
    SEC_WCHAR *wide = NULL;
    size_t units = 0;
    NG_GUARD(ng_utf8_to_utf16(password, len, &wide, &units));
    struct md4_ctx md4;
    md4_init(&md4);
    for (size_t i = 0; i < units; i++) { /* UTF-16LE whatever the host byte order */
        uint8_t le[2] = {(uint8_t)(wide[i] & 0xff), (uint8_t)(wide[i] >> 8)};
        md4_update(&md4, 2, le);
    }
    md4_digest(&md4, NG_NTLM_HASH_LEN, out);
    explicit_bzero(&md4, sizeof(md4));
    ng_free_secret(wide, units * sizeof(SEC_WCHAR));
    return NG_OK;
}

/* Windows uppercases user names per code unit with its Unicode case table; towupper in a
 * UTF-8 locale is the closest Linux has. Made once, never freed. */
static locale_t upper_locale;
static pthread_once_t upper_once = PTHREAD_ONCE_INIT;

static void make_upper_locale(void)
{
    upper_locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
}

static SEC_WCHAR upper_unit(SEC_WCHAR c)
{
    if (c >= 0xD800 && c <= 0xDFFF) /* half of a surrogate pair: no case */
        return c;
    if (upper_locale == (locale_t)0)
        return c >= 'a' && c <= 'z' ? (SEC_WCHAR)(c - 'a' + 'A') : c;
    wint_t u = towupper_l((wint_t)c, upper_locale);
    return u <= 0xFFFF ? (SEC_WCHAR)u : c;
}

static void hmac_utf16le(struct ng_hmac_md5 *h, const SEC_WCHAR *s, size_t units, bool upper)
{
    for (size_t i = 0; i < units; i++) {
        SEC_WCHAR c = upper ? upper_unit(s[i]) : s[i];
        uint8_t le[2] = {(uint8_t)(c & 0xff), (uint8_t)(c >> 8)};
        ng_hmac_md5_update(h, ng_slice_of(le, 2));
    }
}

ng_status ng_ntowfv2(const uint8_t nt_hash[NG_NTLM_HASH_LEN], const char *user, const char *domain,
                     uint8_t out[NG_NTLM_HASH_LEN])
{
    pthread_once(&upper_once, make_upper_locale);
    SEC_WCHAR *wuser = NULL, *wdomain = NULL;
    size_t nuser = 0, ndomain = 0;
    ng_status status = ng_utf8_to_utf16(user, strlen(user), &wuser, &nuser);
    if (status == NG_OK)
        status = ng_utf8_to_utf16(domain, strlen(domain), &wdomain, &ndomain);
    if (status == NG_OK) {
        struct ng_hmac_md5 h;
        ng_hmac_md5_init(&h, nt_hash);
        hmac_utf16le(&h, wuser, nuser, true);
        hmac_utf16le(&h, wdomain, ndomain, false);
        ng_hmac_md5_final(&h, out);
    }
    ng_free(wuser);
    ng_free(wdomain);
    return status;
}

ng_status ng_ntowfv2_keyed(const uint8_t nt_hash[NG_NTLM_HASH_LEN], const char *user,
                           const char *domain, struct ng_hmac_md5 *out)
{
    uint8_t key[NG_NTLM_HASH_LEN];
    ng_status status = ng_ntowfv2(nt_hash, user, domain, key);
    if (status == NG_OK)
        ng_hmac_md5_init(out, key);
    explicit_bzero(key, sizeof(key));
    return status;
}
