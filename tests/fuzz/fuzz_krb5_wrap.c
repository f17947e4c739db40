/* RFC 4121 per-message tokens as DecryptMessage / VerifySignature receive them
 * (core/kerberos/krb5_wrap.c, core/kerberos/krb5_mic.c): header parsing, EC/RRC handling, the
 * in-place, scratch and stream layouts; with MODE_RC4 the RFC 4757 tokens of an RC4 session instead
 * (core/kerberos/krb5_rc4.c: framing, header, sequence number, padding; the last input byte is
 * the PADDING buffer of the TOKEN + DATA layout). A fixed session key stands in for a handshake,
 * so the checksums never verify: what is fuzzed is everything before and around the
 * cryptography, which runs on whatever bytes the layout picked. The first input byte chooses
 * the form, the second where a TOKEN + DATA split falls. */
#include <stdint.h>
#include <string.h>

#include "alloc.h"
#include "fuzz_check.h"
#include "krb5_cfx_keys.h"
#include "krb5_mic.h"
#include "krb5_wrap.h"

enum { MODE_STREAM = 1, MODE_MIC = 2, MODE_FROM_ACCEPTOR = 4, MODE_SUBKEY = 8, MODE_RC4 = 16 };

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
    bool rc4 = (mode & MODE_RC4) != 0;
    struct ng_krb5_session s = {.enctype =
                                    rc4 ? ENCTYPE_ARCFOUR_HMAC : ENCTYPE_AES256_CTS_HMAC_SHA1_96,
                                .key_len = rc4 ? 16 : 32};
    memset(s.key, 0x5a, s.key_len);
    s.acceptor_subkey = (mode & MODE_SUBKEY) != 0;
    bool from_acceptor = (mode & MODE_FROM_ACCEPTOR) != 0;
    struct ng_cfx_keys keys;
    if (ng_cfx_keys_make(&s, from_acceptor, &keys) != NG_OK) {
        ng_free(copy);
        return 0;
    }
    static const uint8_t header[] = "a signed-only header";
    struct ng_msg m = {.n_parts = 0};
    if (!rc4) /* an RFC 1964 Wrap token has no sign-only parts */
        m.parts[m.n_parts++] =
            (struct ng_msg_part){(uint8_t *)header, sizeof(header) - 1, NG_PART_SIGN_ONLY};
    ng_status st;
    if (mode & MODE_MIC) {
        uint64_t seq;
        m.parts[m.n_parts++] = (struct ng_msg_part){copy + split, body - split, NG_PART_PROTECT};
        st = ng_krb5_mic_check(&s, &keys, from_acceptor, m.parts, m.n_parts,
                               ng_slice_of(copy, split), &seq);
    } else if (mode & MODE_STREAM) {
        uint64_t seq;
        m.stream = true;
        m.token = copy;
        m.token_len = body;
        m.parts[m.n_parts++] = (struct ng_msg_part){NULL, 0, NG_PART_PROTECT};
        st = ng_krb5_unwrap(&s, &keys, from_acceptor, &m, &seq);
        if (st == NG_OK)
            FUZZ_CHECK(fuzz_inside(
                ng_slice_of(m.parts[m.n_parts - 1].ptr, m.parts[m.n_parts - 1].len), copy, body));
    } else {
        uint64_t seq;
        m.token = copy;
        m.token_len = split;
        size_t pad = rc4 && body > split ? 1 : 0;
        m.padding = copy + body - pad;
        m.padding_cap = pad;
        m.parts[m.n_parts++] =
            (struct ng_msg_part){copy + split, body - split - pad, NG_PART_PROTECT};
        st = ng_krb5_unwrap(&s, &keys, from_acceptor, &m, &seq);
    }
    FUZZ_CHECK(allowed(st));
    ng_cfx_keys_free(&keys);
    ng_free(copy);
    return 0;
}
