/* negring-squid-auth's request line parser (squid/helper_line.c), which reads what Squid copies
 * from clients. The input's first byte picks the token buffer's size, the rest is the line.
 * Besides no crash:
 *   - an accepted line names YR, KK or QQ; QQ has no token, the others a non-empty one that
 *     fits the buffer;
 *   - the accepted line written back canonically ([channel SP] command [SP base64]) parses to
 *     the same request and token, and equals the input when its channel-ID has no leading 0;
 *   - a refusal names its reason, and a channel-ID read before it has at most 9 digits. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "base64.h"
#include "fuzz_check.h"
#include "helper_line.h"

static const size_t caps[] = {0, 1, 16, 4096, 96 * 1024};
static uint8_t token[96 * 1024], token2[96 * 1024];
static char line2[16 + 128 * 1024 + 8];

static size_t write_back(const struct ne_helper_request *req, const uint8_t *tok)
{
    static const char *const names[] = {"YR", "KK", "QQ"};
    size_t n = 0;
    if (req->has_channel)
        n = (size_t)snprintf(line2, sizeof(line2), "%u ", req->channel);
    memcpy(line2 + n, names[req->command], 2);
    n += 2;
    if (req->command != NE_HELPER_QQ) {
        line2[n++] = ' ';
        n += ne_b64_encode(tok, req->token_len, false, line2 + n);
    }
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 128 * 1024)
        return 0;
    size_t cap = caps[data[0] % (sizeof(caps) / sizeof(caps[0]))];
    const char *line = (const char *)data + 1;
    size_t len = size - 1;
    struct ne_helper_request req, req2;
    const char *why = ne_helper_parse(line, len, token, cap, &req);
    if (why != NULL) {
        FUZZ_CHECK(*why != '\0');
        FUZZ_CHECK(!req.has_channel || req.channel < 1000000000u);
        return 0;
    }
    FUZZ_CHECK(req.command == NE_HELPER_YR || req.command == NE_HELPER_KK ||
               req.command == NE_HELPER_QQ);
    if (req.command == NE_HELPER_QQ)
        FUZZ_CHECK(req.token_len == 0);
    else
        FUZZ_CHECK(req.token_len > 0 && req.token_len <= cap);
    size_t n = write_back(&req, token);
    FUZZ_CHECK(ne_helper_parse(line2, n, token2, cap, &req2) == NULL);
    FUZZ_CHECK(req2.has_channel == req.has_channel && req2.channel == req.channel &&
               req2.command == req.command && req2.token_len == req.token_len &&
               memcmp(token2, token, req.token_len) == 0);
    bool leading_zero = req.has_channel && line[0] == '0' && line[1] != ' ';
    if (!leading_zero)
        FUZZ_CHECK(n == len && memcmp(line2, line, n) == 0);
    return 0;
}
