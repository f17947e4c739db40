/* SPNEGO (core/negotiate/spnego.c, RFC 4178 §4.2 and MS-SPNG §2.2.1) on arbitrary bytes. Whatever
 * parses must point only into the input and must survive a round trip through our encoder: a
 * NegTokenResp re-encodes to exactly the input octets, and a NegTokenInit written back from its
 * mechanisms, mechToken and mechListMIC parses to the same fields. */
#include <stdint.h>

#include "fuzz_check.h"
#include "spnego.h"

static void check_resp(const struct ng_spnego_resp *resp, const uint8_t *data, size_t size)
{
    FUZZ_CHECK(fuzz_inside(resp->supported_mech_oid, data, size));
    FUZZ_CHECK(fuzz_inside(resp->response_token, data, size));
    FUZZ_CHECK(fuzz_inside(resp->mech_list_mic, data, size));
    /* An unknown supportedMech cannot be written by us, and an empty OCTET STRING present on
     * the wire is written back as absent: only compare what the encoder can express. */
    if (resp->supported_mech == NG_MECH_UNKNOWN ||
        (resp->has_response_token && resp->response_token.len == 0) ||
        (resp->has_mech_list_mic && resp->mech_list_mic.len == 0))
        return;
    struct ng_writer w = ng_writer_growable();
    ng_status st = ng_spnego_write_resp(&w, resp->neg_state, resp->supported_mech,
                                        resp->response_token, resp->mech_list_mic);
    FUZZ_CHECK(st == NG_OK);
    FUZZ_CHECK(ng_slice_eq(ng_writer_slice(&w), ng_slice_of(data, size)));
    ng_writer_free(&w);
}

static void check_init(const struct ng_spnego_init *init, const uint8_t *data, size_t size)
{
    FUZZ_CHECK(init->nmechs >= 1 && init->nmechs <= NG_SPNEGO_MAX_MECHS);
    FUZZ_CHECK(fuzz_inside(init->mech_list, data, size));
    FUZZ_CHECK(fuzz_inside(init->mech_token, data, size));
    FUZZ_CHECK(fuzz_inside(init->mech_list_mic, data, size));
    FUZZ_CHECK(fuzz_inside(init->hint_name, data, size));
    FUZZ_CHECK(fuzz_inside(init->hint_address, data, size));
    for (size_t i = 0; i < init->nmechs; i++) {
        FUZZ_CHECK(fuzz_inside(init->mech_oids[i], data, size));
        if (init->mechs[i] == NG_MECH_UNKNOWN || init->mechs[i] == NG_MECH_NONE)
            return; /* our encoder only writes mechanisms it knows */
    }
    /* An empty OCTET STRING present on the wire is written back as absent. */
    if ((init->has_mech_token && init->mech_token.len == 0) ||
        (init->has_mech_list_mic && init->mech_list_mic.len == 0))
        return;
    struct ng_writer w = ng_writer_growable();
    FUZZ_CHECK(ng_spnego_write_init(&w, init->mechs, init->nmechs, init->mech_token,
                                    init->mech_list_mic) == NG_OK);
    struct ng_spnego_token back;
    FUZZ_CHECK(ng_spnego_parse(ng_writer_slice(&w), &back) == NG_OK);
    FUZZ_CHECK(back.kind == NG_SPNEGO_INIT && back.init.nmechs == init->nmechs);
    FUZZ_CHECK(memcmp(back.init.mechs, init->mechs, init->nmechs * sizeof(init->mechs[0])) == 0);
    FUZZ_CHECK(ng_slice_eq(back.init.mech_list, init->mech_list));
    FUZZ_CHECK(ng_slice_eq(back.init.mech_token, init->mech_token));
    FUZZ_CHECK(ng_slice_eq(back.init.mech_list_mic, init->mech_list_mic));
    ng_writer_free(&w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ng_spnego_token tok;
    ng_status st = ng_spnego_parse(ng_slice_of(data, size), &tok);
    FUZZ_CHECK(st == NG_OK || st == NG_ERR_INVALID_TOKEN);
    if (st != NG_OK) {
        FUZZ_CHECK(tok.kind == NG_SPNEGO_NONE);
        return 0;
    }
    if (tok.kind == NG_SPNEGO_RESP)
        check_resp(&tok.resp, data, size);
    else
        check_init(&tok.init, data, size);
    return 0;
}
