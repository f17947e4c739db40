/* squid/helper_line.c and embed/base64.c: the request grammar of Squid's helper protocol, exactly;
 * canonical base64 only; bounds on the token and the channel-ID; a refusal keeps the channel.
 * Regression: "QQ " (a trailing space) was accepted (fuzz_squid_helper_line). */
#include "base64.h"
#include "check.h"
#include "helper_line.h"

static uint8_t tok[64];

static const char *parse(const char *line, size_t cap, struct ne_helper_request *req)
{
    return ne_helper_parse(line, strlen(line), tok, cap, req);
}

static void test_requests(void)
{
    struct ne_helper_request r;
    CHECK(parse("YR YWJj", sizeof(tok), &r) == NULL);
    CHECK(!r.has_channel && r.command == NE_HELPER_YR && r.token_len == 3);
    CHECK(memcmp(tok, "abc", 3) == 0);
    CHECK(parse("17 KK YWI=", sizeof(tok), &r) == NULL);
    CHECK(r.has_channel && r.channel == 17 && r.command == NE_HELPER_KK && r.token_len == 2);
    CHECK(parse("0 YR YQ==", sizeof(tok), &r) == NULL);
    CHECK(r.has_channel && r.channel == 0 && r.token_len == 1);
    CHECK(parse("QQ", sizeof(tok), &r) == NULL && r.command == NE_HELPER_QQ);
    CHECK(parse("3 QQ", sizeof(tok), &r) == NULL && r.channel == 3);
}

static void test_refusals(void)
{
    static const char *const bad[] = {
        "",        "YR",       "YR ",        "YR  YWJj", "YR YWJj ", "YR YWJj YWJj",
        "yr YWJj", "YRX YWJj", " YR YWJj",   "KK",       "QQ ",      "QQ YWJj",
        "12",      "1 ",       "1  YR YWJj", "YR YWJ",   "YR YWJj=", "YR YW=j",
        "YR YR==", "YR YWI",   "YR Y===",    "YR ====",  "YR YWJj\r"};
    struct ne_helper_request r;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const char *why = parse(bad[i], sizeof(tok), &r);
        if (why == NULL)
            fprintf(stderr, "accepted: \"%s\"\n", bad[i]);
        CHECK(why != NULL);
    }
    /* a NUL inside the line is a byte like any other, not an end */
    CHECK(ne_helper_parse("YR YW\0j", 7, tok, sizeof(tok), &r) != NULL);
}

static void test_bounds_and_channel_on_refusal(void)
{
    struct ne_helper_request r;
    CHECK(parse("YR YWJjZA==", 3, &r) != NULL); /* 4 bytes into a 3-byte buffer */
    CHECK(parse("YR YWJj", 3, &r) == NULL && r.token_len == 3);
    CHECK(parse("123456789 YR YWJj", sizeof(tok), &r) == NULL && r.channel == 123456789);
    const char *why = parse("1234567890 YR YWJj", sizeof(tok), &r);
    CHECK(why != NULL && strstr(why, "channel") != NULL);
    why = parse("42 XX YWJj", sizeof(tok), &r);
    CHECK(why != NULL && r.has_channel && r.channel == 42); /* BH goes back on channel 42 */
}

static void test_base64_round_trip(void)
{
    uint8_t in[300], out[300];
    char b64[ne_b64_encoded_len(sizeof(in))];
    for (size_t i = 0; i < sizeof(in); i++)
        in[i] = (uint8_t)(i * 37 + 11);
    for (size_t n = 0; n <= sizeof(in); n++) {
        size_t len = ne_b64_encode(in, n, false, b64), got = 0;
        CHECK_EQ(len, ne_b64_encoded_len(n));
        CHECK(ne_b64_decode(b64, len, false, out, sizeof(out), &got) == NE_B64_OK && got == n &&
              memcmp(in, out, n) == 0);
    }
    size_t got;
    CHECK_EQ(ne_b64_decode("YWJj", 4, false, out, 2, &got), NE_B64_TOO_LONG); /* does not fit */
}

int main(void)
{
    RUN(test_requests);
    RUN(test_refusals);
    RUN(test_bounds_and_channel_on_refusal);
    RUN(test_base64_round_trip);
    return check_report();
}
