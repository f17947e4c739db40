/* RFC 4121 per-message tokens as DecryptMessage / VerifySignature receive them
 * (core/kerberos/krb5_wrap.c, core/kerberos/krb5_mic.c): header parsing, EC/RRC handling, the in-place, scratch
 * and stream layouts. A fixed AES256 session key stands in for a handshake, so the checksums
 * never verify: what is fuzzed is everything before and around the cryptography, which runs on
 * whatever bytes the layout picked. The first input byte chooses the form, the second where a
 * TOKEN + DATA split falls. */
#include <stdint.h>
#include <string.h>

#include "alloc.h"
#include "fuzz_check.h"
#include "krb5_mic.h"
#include "krb5_thread.h"
#include "krb5_wrap.h"

enum { MODE_STREAM = 1, MODE_MIC = 2, MODE_FROM_ACCEPTOR = 4, MODE_SUBKEY = 8 };

static bool allowed(ng_status st)
{
    return st == NG_OK || st == NG_ERR_INVALID_TOKEN || st == NG_ERR_MESSAGE_ALTERED ||
           st == NG_ERR_NOMEM;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    uint8_t mode = data[0];
    size_t body = size - 2;
    size_t split = body ? data[1] % (body + 1) : 0;
    uint8_t *copy = ng_alloc(body ? body : 1); /* writable: tokens are opened in place */
    if (copy == NULL)
        return 0;
    if (body > 0)
        memcpy(copy, data + 2, body);
    struct ng_krb5_session s = {.enctype = ENCTYPE_AES256_CTS_HMAC_SHA1_96, .key_len = 32};
    memset(s.key, 0x5a, 32);
    s.acceptor_subkey = (mode & MODE_SUBKEY) != 0;
    bool from_acceptor = (mode & MODE_FROM_ACCEPTOR) != 0;
    krb5_key key;
    if (ng_krb5_session_key(&s, &key) != NG_OK) {
        ng_free(copy);
        return 0;
    }
    static const uint8_t header[] = "a signed-only header";
    struct ng_msg m = {.n_parts = 0};
    m.parts[m.n_parts++] =
        (struct ng_msg_part){(uint8_t *)header, sizeof(header) - 1, NG_PART_SIGN_ONLY};
    ng_status st;
    if (mode & MODE_MIC) {
        uint64_t seq;
        m.parts[m.n_parts++] = (struct ng_msg_part){copy + split, body - split, NG_PART_PROTECT};
        st = ng_krb5_mic_check(&s, key, from_acceptor, m.parts, m.n_parts, ng_slice_of(copy, split),
                               &seq);
    } else if (mode & MODE_STREAM) {
        uint64_t seq;
        m.stream = true;
        m.token = copy;
        m.token_len = body;
        m.parts[m.n_parts++] = (struct ng_msg_part){NULL, 0, NG_PART_PROTECT};
        st = ng_krb5_unwrap(&s, key, from_acceptor, &m, &seq);
        if (st == NG_OK)
            FUZZ_CHECK(fuzz_inside(ng_slice_of(m.parts[1].ptr, m.parts[1].len), copy, body));
    } else {
        uint64_t seq;
        m.token = copy;
        m.token_len = split;
        m.parts[m.n_parts++] = (struct ng_msg_part){copy + split, body - split, NG_PART_PROTECT};
        st = ng_krb5_unwrap(&s, key, from_acceptor, &m, &seq);
    }
    FUZZ_CHECK(allowed(st));
    krb5_context kctx;
    if (ng_krb5_thread_context(&kctx) == NG_OK)
        krb5_k_free_key(kctx, key);
    ng_free(copy);
    return 0;
}
