/* MS-NLMP §2.2.2.1 AV_PAIR lists (core/ntlm/ntlm_av_pairs.c), as in a CHALLENGE's TargetInfo and in
 * the NTLMv2 client challenge: loops, lengths past the end, missing MsvAvEOL, wrong sizes of
 * known ids. The pair-by-pair walk must agree with the parser, and a list rebuilt from the
 * walk parses to the same result. */
#include <stdint.h>

#include "fuzz_check.h"
#include "ntlm_av_pairs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ng_slice list = ng_slice_of(data, size);
    struct ng_av_pairs av;
    ng_status st = ng_av_pairs_parse(list, &av);
    FUZZ_CHECK(st == NG_OK || st == NG_ERR_INVALID_TOKEN);
    struct ng_reader r = ng_reader_of(list);
    struct ng_writer w = ng_writer_growable();
    uint16_t id;
    struct ng_slice value;
    size_t walked = 0;
    while (ng_av_pairs_next(&r, &id, &value)) {
        FUZZ_CHECK(fuzz_inside(value, data, size));
        FUZZ_CHECK(walked++ < size); /* every pair consumes bytes: no loop */
        ng_av_pair_write(&w, id, value);
    }
    if (st == NG_OK) {
        FUZZ_CHECK(!r.failed && walked == av.count);
        for (size_t i = 0; i < NG_AV_ID_COUNT; i++)
            FUZZ_CHECK(fuzz_inside(av.value[i], data, size));
        ng_av_pair_write_eol(&w);
        struct ng_av_pairs back;
        FUZZ_CHECK(ng_av_pairs_parse(ng_writer_slice(&w), &back) == NG_OK);
        FUZZ_CHECK(back.count == av.count && back.flags == av.flags &&
                   back.timestamp == av.timestamp);
        for (size_t i = 0; i < NG_AV_ID_COUNT; i++)
            FUZZ_CHECK(back.present[i] == av.present[i] && ng_slice_eq(back.value[i], av.value[i]));
    }
    ng_writer_free(&w);
    return 0;
}
