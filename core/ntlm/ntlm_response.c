#include "ntlm_response.h"

#include <time.h>

#include "ntlm_message.h"
#include "timestamp.h"

enum { PROOF_LEN = 16, BLOB_HEADER = 28 };

ng_status ng_ntlmv2_parse(struct ng_slice nt_response, struct ng_ntlmv2_response *out)
{
    *out = (struct ng_ntlmv2_response){0};
    struct ng_reader r = ng_reader_of(nt_response);
    out->proof = ng_read_slice(&r, PROOF_LEN);
    out->blob = ng_read_rest(&r);
    if (r.failed || out->blob.len < BLOB_HEADER + 4)
        return NG_ERR_INVALID_TOKEN;
    struct ng_reader b = ng_reader_of(out->blob);
    uint8_t resp_type = ng_read_u8(&b), hi_resp_type = ng_read_u8(&b);
    ng_read_skip(&b, 6);
    out->timestamp = ng_read_le64(&b);
    struct ng_slice cc = ng_read_slice(&b, 8);
    ng_read_skip(&b, 4);
    out->av_list = ng_read_rest(&b);
    if (b.failed || resp_type != 1 || hi_resp_type != 1)
        return NG_ERR_INVALID_TOKEN;
    memcpy(out->client_challenge, cc.ptr, 8);
    return ng_av_pairs_parse(out->av_list, &out->av);
}

void ng_ntlmv2_proof_keyed(const struct ng_hmac_md5 *response_key,
                           const uint8_t server_challenge[8], struct ng_slice blob,
                           uint8_t proof[16])
{
    struct ng_hmac_md5 h = *response_key;
    ng_hmac_md5_update(&h, ng_slice_of(server_challenge, 8));
    ng_hmac_md5_update(&h, blob);
    ng_hmac_md5_final(&h, proof);
}

void ng_ntlmv2_session_base_key_keyed(const struct ng_hmac_md5 *response_key,
                                      const uint8_t proof[16], uint8_t out[16])
{
    struct ng_hmac_md5 h = *response_key;
    ng_hmac_md5_update(&h, ng_slice_of(proof, 16));
    ng_hmac_md5_final(&h, out);
}

void ng_ntlmv2_proof(const uint8_t response_key[16], const uint8_t server_challenge[8],
                     struct ng_slice blob, uint8_t proof[16])
{
    struct ng_hmac_md5 keyed;
    ng_hmac_md5_init(&keyed, response_key);
    ng_ntlmv2_proof_keyed(&keyed, server_challenge, blob, proof);
    explicit_bzero(&keyed, sizeof(keyed));
}

void ng_ntlmv2_session_base_key(const uint8_t response_key[16], const uint8_t proof[16],
                                uint8_t out[16])
{
    ng_hmac_md5(response_key, ng_slice_of(proof, 16), out);
}

void ng_lmv2_response(const uint8_t response_key[16], const uint8_t server_challenge[8],
                      const uint8_t client_challenge[8], uint8_t out[24])
{
    struct ng_hmac_md5 h;
    ng_hmac_md5_init(&h, response_key);
    ng_hmac_md5_update(&h, ng_slice_of(server_challenge, 8));
    ng_hmac_md5_update(&h, ng_slice_of(client_challenge, 8));
    ng_hmac_md5_final(&h, out);
    memcpy(out + 16, client_challenge, 8);
}

void ng_ntlmv2_write_blob(struct ng_writer *w, uint64_t timestamp,
                          const uint8_t client_challenge[8], struct ng_slice av_list)
{
    ng_write_bytes(w, (uint8_t[8]){1, 1, 0, 0, 0, 0, 0, 0}, 8);
    ng_write_le64(w, timestamp);
    ng_write_bytes(w, client_challenge, 8);
    ng_write_le32(w, 0);
    ng_write_slice(w, av_list);
    ng_write_le32(w, 0);
}

void ng_ntlm_rc4_key(const uint8_t key_exchange_key[16], const uint8_t in[16], uint8_t out[16])
{
    ng_rc4_once(key_exchange_key, 16, out, in, 16);
}

void ng_ntlm_mic(const uint8_t exported_key[16], struct ng_slice negotiate,
                 struct ng_slice challenge, struct ng_slice authenticate, uint8_t mic[16])
{
    static const uint8_t zeros[NG_NTLM_MIC_LEN];
    struct ng_hmac_md5 h;
    ng_hmac_md5_init(&h, exported_key);
    ng_hmac_md5_update(&h, negotiate);
    ng_hmac_md5_update(&h, challenge);
    ng_hmac_md5_update(&h, ng_slice_of(authenticate.ptr, NG_NTLM_MIC_OFFSET));
    ng_hmac_md5_update(&h, ng_slice_of(zeros, sizeof(zeros)));
    size_t rest = NG_NTLM_MIC_OFFSET + NG_NTLM_MIC_LEN;
    ng_hmac_md5_update(&h, ng_slice_of(authenticate.ptr + rest, authenticate.len - rest));
    ng_hmac_md5_final(&h, mic);
}

/* The coarse clock (a tick of a few ms, read from the vDSO without the TSC): time stamps are
 * compared within a clock-skew window of minutes. */
uint64_t ng_ntlm_filetime_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME_COARSE, &ts);
    return ((uint64_t)ts.tv_sec + NG_EPOCH_DIFF_1601_1970) * 10000000u +
           (uint64_t)ts.tv_nsec / 100u;
}
