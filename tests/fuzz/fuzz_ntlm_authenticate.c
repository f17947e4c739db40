/* MS-NLMP §2.2.1.3 AUTHENTICATE_MESSAGE (core/ntlm/ntlm_message.c) with the NTLMv2 response inside
 * it (§2.2.2.8, core/ntlm/ntlm_response.c) and the client's AV pairs: everything the acceptor reads
 * before it knows whether the client has the password. Fields must lie in the message, the MIC
 * is 16 bytes or absent, strings convert or are refused cleanly, and a parsed message written
 * back parses to the same fields. */
#include <stdint.h>

#include "alloc.h"
#include "fuzz_check.h"
#include "ntlm_message.h"
#include "ntlm_response.h"

static void strings(const struct ng_ntlm_authenticate *a)
{
    bool unicode = (a->flags & NG_NTLMSSP_NEGOTIATE_UNICODE) != 0;
    const struct ng_slice fields[3] = {a->domain, a->user, a->workstation};
    for (size_t i = 0; i < 3; i++) {
        char *s = NULL;
        if (ng_ntlm_string_to_utf8(fields[i], unicode, &s) == NG_OK) {
            FUZZ_CHECK(s != NULL);
            ng_free(s);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ng_ntlm_authenticate a;
    ng_status st = ng_ntlm_parse_authenticate(ng_slice_of(data, size), &a);
    FUZZ_CHECK(st == NG_OK || st == NG_ERR_INVALID_TOKEN);
    if (st != NG_OK)
        return 0;
    const struct ng_slice fields[7] = {a.lm_response, a.nt_response,           a.domain, a.user,
                                       a.workstation, a.encrypted_session_key, a.mic};
    for (size_t i = 0; i < 7; i++)
        FUZZ_CHECK(fuzz_inside(fields[i], data, size));
    FUZZ_CHECK(a.mic.len == 0 || a.mic.len == NG_NTLM_MIC_LEN);
    strings(&a);
    struct ng_ntlmv2_response v2;
    if (ng_ntlmv2_parse(a.nt_response, &v2) == NG_OK) {
        FUZZ_CHECK(v2.proof.len == 16 && fuzz_inside(v2.proof, data, size));
        FUZZ_CHECK(fuzz_inside(v2.blob, data, size) && fuzz_inside(v2.av_list, data, size));
        FUZZ_CHECK(v2.av.count <= NG_AV_MAX_PAIRS);
    }
    struct ng_writer w = ng_writer_growable();
    ng_ntlm_write_authenticate(&w, &a);
    struct ng_ntlm_authenticate back;
    FUZZ_CHECK(w.error == NG_OK && ng_ntlm_parse_authenticate(ng_writer_slice(&w), &back) == NG_OK);
    const struct ng_slice again[7] = {
        back.lm_response, back.nt_response,           back.domain, back.user,
        back.workstation, back.encrypted_session_key, back.mic};
    for (size_t i = 0; i < 6; i++)
        FUZZ_CHECK(ng_slice_eq(again[i], fields[i]));
    /* The writer always leaves room for a MIC, so one read back is the input's or zeros. */
    FUZZ_CHECK(back.mic.len == NG_NTLM_MIC_LEN);
    FUZZ_CHECK(a.mic.len == 0 || ng_slice_eq(back.mic, a.mic));
    FUZZ_CHECK(back.flags == a.flags);
    ng_writer_free(&w);
    return 0;
}
