/* MS-NLMP §2.2.1.2 CHALLENGE_MESSAGE (core/ntlm/ntlm_message.c) and its TargetInfo AV pairs
 * (core/ntlm/ntlm_av_pairs.c): what our initiator parses from a server. Fields must lie in the
 * message, and a parsed challenge written back parses to the same fields. */
#include <stdint.h>

#include "alloc.h"
#include "fuzz_check.h"
#include "ntlm_av_pairs.h"
#include "ntlm_message.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ng_ntlm_challenge c;
    ng_status st = ng_ntlm_parse_challenge(ng_slice_of(data, size), &c);
    FUZZ_CHECK(st == NG_OK || st == NG_ERR_INVALID_TOKEN);
    if (st != NG_OK)
        return 0;
    FUZZ_CHECK(fuzz_inside(c.target_name, data, size) && fuzz_inside(c.target_info, data, size));
    char *s = NULL;
    if (ng_ntlm_string_to_utf8(c.target_name, (c.flags & NG_NTLMSSP_NEGOTIATE_UNICODE) != 0, &s) ==
        NG_OK)
        ng_free(s);
    struct ng_av_pairs av;
    if (ng_av_pairs_parse(c.target_info, &av) == NG_OK) {
        FUZZ_CHECK(av.count <= NG_AV_MAX_PAIRS);
        for (size_t i = 0; i < NG_AV_ID_COUNT; i++)
            FUZZ_CHECK(fuzz_inside(av.value[i], data, size));
    }
    struct ng_writer w = ng_writer_growable();
    ng_ntlm_write_challenge(&w, &c);
    struct ng_ntlm_challenge back;
    FUZZ_CHECK(w.error == NG_OK && ng_ntlm_parse_challenge(ng_writer_slice(&w), &back) == NG_OK);
    FUZZ_CHECK(back.flags == c.flags);
    FUZZ_CHECK(memcmp(back.server_challenge, c.server_challenge, 8) == 0);
    FUZZ_CHECK(ng_slice_eq(back.target_name, c.target_name));
    FUZZ_CHECK(ng_slice_eq(back.target_info, c.target_info));
    ng_writer_free(&w);
    return 0;
}
