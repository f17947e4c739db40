/* SPNEGO (RFC 4178) parse and encode of the tokens an HTTP Negotiate exchange carries: the
 * client's NegTokenInit with a Kerberos AP-REQ inside, and the server's NegTokenResp with an
 * AP-REP. The mechanism tokens are filler of realistic size (parsing never looks inside). */
#include <string.h>

#include "benchmarks.h"
#include "spnego.h"

enum { AP_REQ_SIZE = 1400, AP_REP_SIZE = 160 };

static uint8_t ap_req[AP_REQ_SIZE], ap_rep[AP_REP_SIZE];
static const enum ng_mech client_mechs[] = {NG_MECH_KRB5, NG_MECH_KRB5_MS, NG_MECH_NTLM};

static void bench_parse_init(struct ng_bench_state *st, void *arg)
{
    uint8_t buf[2048];
    struct ng_writer w = ng_writer_fixed(buf, sizeof(buf));
    memset(ap_req, 0x5a, sizeof(ap_req));
    if (ng_spnego_write_init(&w, client_mechs, 3, ng_slice_of(ap_req, sizeof(ap_req)),
                             NG_SLICE_EMPTY) != NG_OK) {
        ng_bench_fail(st, "encoding the NegTokenInit failed");
        return;
    }
    struct ng_spnego_token tok;
    while (ng_bench_running(st)) {
        ng_status s = ng_spnego_parse(ng_writer_slice(&w), &tok);
        ng_bench_do_not_optimize(&tok);
        if (s != NG_OK) {
            ng_bench_fail(st, "parse failed");
            break;
        }
    }
}

static void bench_encode_resp(struct ng_bench_state *st, void *arg)
{
    uint8_t buf[512];
    memset(ap_rep, 0xa5, sizeof(ap_rep));
    while (ng_bench_running(st)) {
        struct ng_writer w = ng_writer_fixed(buf, sizeof(buf));
        ng_status s = ng_spnego_write_resp(&w, NG_NEG_STATE_ACCEPT_COMPLETED, NG_MECH_KRB5,
                                           ng_slice_of(ap_rep, sizeof(ap_rep)), NG_SLICE_EMPTY);
        ng_bench_do_not_optimize(buf);
        if (s != NG_OK) {
            ng_bench_fail(st, "encode failed");
            break;
        }
    }
}

void bench_register_spnego(void)
{
    ng_bench_register("spnego/parse_neg_token_init", bench_parse_init, NULL, NULL);
    ng_bench_register("spnego/encode_neg_token_resp", bench_encode_resp, NULL, NULL);
}
