/* SPNEGO (RFC 4178) parse and encode of the tokens an HTTP Negotiate exchange carries: the
 * client's NegTokenInit with a Kerberos AP-REQ inside, and the server's NegTokenResp with an
 * AP-REP. The mechanism tokens are filler of realistic size (parsing never looks inside). */
#include <string.h>

#include "benchmarks.h"
#include "negring_internal.h"

enum { AP_REQ_SIZE = 1400, AP_REP_SIZE = 160 };

static uint8_t ap_req[AP_REQ_SIZE], ap_rep[AP_REP_SIZE];

static void bench_parse_init(struct ng_bench_state *st, void *arg)
{
    uint8_t buf[2048];
    memset(ap_req, 0x5a, sizeof(ap_req));
    size_t len = negring_spnego_encode_init(buf, sizeof(buf), ap_req, sizeof(ap_req));
    if (len == 0) {
        ng_bench_fail(st, "encoding the NegTokenInit failed");
        return;
    }
    while (ng_bench_running(st)) {
        int s = negring_spnego_parse(buf, len);
        ng_bench_do_not_optimize(buf);
        if (s != 0) {
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
        size_t len = negring_spnego_encode_accept(buf, sizeof(buf), ap_rep, sizeof(ap_rep));
        ng_bench_do_not_optimize(buf);
        if (len == 0) {
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
