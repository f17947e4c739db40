/* MS-NLMP §2.2.1.1 NEGOTIATE_MESSAGE (core/ntlm/ntlm_message.c): the first bytes an NTLM client
 * sends, before any authentication. Fields must lie in the message; the OEM strings convert or
 * are refused cleanly; what parses, written back with its flags, parses to the same flags. */
#include <stdint.h>

#include "alloc.h"
#include "fuzz_check.h"
#include "ntlm_message.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ng_slice msg = ng_slice_of(data, size);
    uint32_t type;
    if (ng_ntlm_message_type(msg, &type) == NG_OK)
        FUZZ_CHECK(size >= 12 && size <= NG_NTLM_MAX_MESSAGE);
    struct ng_ntlm_negotiate neg;
    ng_status st = ng_ntlm_parse_negotiate(msg, &neg);
    FUZZ_CHECK(st == NG_OK || st == NG_ERR_INVALID_TOKEN);
    if (st != NG_OK)
        return 0;
    FUZZ_CHECK(type == NG_NTLM_NEGOTIATE);
    FUZZ_CHECK(fuzz_inside(neg.domain, data, size) && fuzz_inside(neg.workstation, data, size));
    char *s = NULL;
    if (ng_ntlm_string_to_utf8(neg.workstation, false, &s) == NG_OK)
        ng_free(s);
    struct ng_writer w = ng_writer_growable();
    ng_ntlm_write_negotiate(&w, neg.flags);
    struct ng_ntlm_negotiate back;
    FUZZ_CHECK(ng_ntlm_parse_negotiate(ng_writer_slice(&w), &back) == NG_OK);
    FUZZ_CHECK(back.flags == neg.flags);
    ng_writer_free(&w);
    return 0;
}
