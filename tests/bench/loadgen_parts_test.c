/* The load generator's own parsers and statistics (bench/loadgen): the latency histogram
 * against exact quantiles of the same data, base64 both ways with bad input refused, and the
 * HTTP response head parser and chunked decoder fed complete, split and malformed input. */
#include <stdbool.h>
#include <stdint.h>

#include "base64.h"
#include "check.h"
#include "histogram.h"
#include "http_response.h"

static uint64_t rng_state = 0x9E3779B97F4A7C15u;

static uint64_t next_random(void)
{
    rng_state ^= rng_state << 13; /* xorshift64: reproducible test data */
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void histogram_quantiles_match_sorted_data(void)
{
    enum { N = 200000 };
    static uint64_t values[N];
    static struct lg_histogram h;
    lg_hist_init(&h);
    CHECK_EQ(lg_hist_quantile(&h, 0.99), 0);
    for (int i = 0; i < N; i++) {
        /* Spread over six decades, like latencies from 50 µs to seconds (in ns). */
        uint64_t v = 1000 + next_random() % (1u << (10 + next_random() % 20));
        values[i] = v;
        lg_hist_record(&h, v);
    }
    qsort(values, N, sizeof(values[0]), cmp_u64);
    const double qs[] = {0.5, 0.9, 0.99, 0.999, 1.0};
    for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++) {
        size_t rank = (size_t)(qs[i] * N + 0.999999);
        uint64_t exact = values[rank - 1];
        uint64_t got = lg_hist_quantile(&h, qs[i]);
        /* The reported value is the bucket's upper edge: never below, at most 1/64 above. */
        CHECK(got >= exact);
        CHECK(got - exact <= exact / 64 + 1);
    }
    CHECK_EQ(lg_hist_quantile(&h, 1.0), values[N - 1]);
    CHECK_EQ(h.min, values[0]);
    CHECK_EQ(h.count, N);
}

static void histogram_small_values_are_exact_and_merge_adds(void)
{
    struct lg_histogram *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
    REQUIRE(a && b);
    lg_hist_init(a);
    lg_hist_init(b);
    for (uint64_t v = 0; v < 100; v++)
        lg_hist_record(v < 50 ? a : b, v);
    lg_hist_merge(a, b);
    CHECK_EQ(a->count, 100);
    CHECK_EQ(lg_hist_quantile(a, 0.5), 49);
    CHECK_EQ(lg_hist_quantile(a, 0.01), 0);
    CHECK_EQ(a->max, 99);
    CHECK(lg_hist_mean(a) > 49.49 && lg_hist_mean(a) < 49.51);
    lg_hist_record(a, UINT64_MAX / 2); /* the largest bucket holds huge values without overflow */
    CHECK_EQ(lg_hist_quantile(a, 1.0), UINT64_MAX / 2);
    free(a);
    free(b);
}

static void base64_round_trips_and_refuses_bad_input(void)
{
    uint8_t in[100], back[100];
    char text[140];
    for (size_t n = 0; n < sizeof(in); n++) {
        for (size_t i = 0; i < n; i++)
            in[i] = (uint8_t)next_random();
        size_t len = ne_b64_encoded_len(n), got = 999;
        CHECK_EQ(ne_b64_encode(in, n, false, text), len);
        REQUIRE(ne_b64_decode(text, len, false, back, sizeof(back), &got) == NE_B64_OK);
        CHECK_EQ(got, n);
        CHECK_MEM(back, in, n);
    }
    size_t got;
    ne_b64_encode((const uint8_t *)"any", 3, false, text);
    CHECK_MEM(text, "YW55", 4);
    enum { CAP = sizeof(back) };
    CHECK_EQ(ne_b64_decode("YW5", 3, false, back, CAP, &got), NE_B64_BAD); /* not a multiple of 4 */
    CHECK_EQ(ne_b64_decode("YW*5", 4, false, back, CAP, &got),
             NE_B64_BAD); /* outside the alphabet */
    CHECK_EQ(ne_b64_decode("Y=55", 4, false, back, CAP, &got),
             NE_B64_BAD); /* padding in the middle */
    CHECK_EQ(ne_b64_decode("YQ==YW55", 8, false, back, CAP, &got), NE_B64_BAD); /* padding early */
    CHECK(ne_b64_decode("YQ==", 4, false, back, CAP, &got) == NE_B64_OK && got == 1 &&
          back[0] == 'a');
}

static const char challenge_401[] = "HTTP/1.1 401 Unauthorized\r\n"
                                    "Date: Wed, 25 Nov 2026 12:00:00 GMT\r\n"
                                    "WWW-Authenticate: NTLM, Negotiate  oYGg+/8=\r\n"
                                    "Content-Length: 5\r\n"
                                    "\r\n"
                                    "nope!";

static void http_head_of_a_challenge(void)
{
    struct lg_http_head h;
    size_t head = sizeof(challenge_401) - 1 - 5;
    CHECK_EQ(lg_http_parse_head(challenge_401, sizeof(challenge_401) - 1, "Negotiate", &h), head);
    CHECK_EQ(h.status, 401);
    CHECK(h.keep_alive);
    CHECK(h.offered);
    CHECK_EQ(h.body, LG_BODY_LENGTH);
    CHECK_EQ(h.content_length, 5);
    CHECK_EQ(h.token_len, 8);
    CHECK_MEM(challenge_401 + h.token_off, "oYGg+/8=", 8);
    /* Every strict prefix of the head is incomplete, never an error or a wrong answer. */
    for (size_t n = 0; n < head; n++)
        CHECK_EQ(lg_http_parse_head(challenge_401, n, "Negotiate", &h), 0);
    /* NTLM is offered there too, without a token. */
    CHECK(lg_http_parse_head(challenge_401, sizeof(challenge_401) - 1, "NTLM", &h) > 0);
    CHECK(h.offered);
    CHECK_EQ(h.token_len, 0);
    CHECK(lg_http_parse_head(challenge_401, sizeof(challenge_401) - 1, "Basic", &h) > 0);
    CHECK(!h.offered);
}

static long parse(const char *text, struct lg_http_head *h)
{
    return lg_http_parse_head(text, strlen(text), "Negotiate", h);
}

static void http_head_framing_and_persistence(void)
{
    struct lg_http_head h;
    CHECK(parse("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", &h) > 0);
    CHECK(!h.keep_alive); /* HTTP/1.0 closes unless asked */
    CHECK(parse("HTTP/1.1 200 OK\r\nConnection: keep-alive, close\r\nContent-Length: 0\r\n\r\n",
                &h) > 0);
    CHECK(!h.keep_alive);
    CHECK(parse("HTTP/1.1 200 OK\r\n\r\n", &h) > 0); /* no length: body until close */
    CHECK_EQ(h.body, LG_BODY_UNTIL_CLOSE);
    CHECK(!h.keep_alive);
    CHECK(parse("HTTP/1.1 204 No Content\r\n\r\n", &h) > 0);
    CHECK_EQ(h.body, LG_BODY_NONE);
    CHECK(h.keep_alive);
    CHECK(parse("HTTP/1.1 200 OK\nTransfer-Encoding: chunked\nContent-Length: 3\n\n", &h) > 0);
    CHECK_EQ(h.body, LG_BODY_CHUNKED); /* chunked wins over a length (RFC 9112 §6.3) */
}

static void http_head_malformed_is_refused(void)
{
    struct lg_http_head h;
    CHECK_EQ(parse("HTTP/2 200 OK\r\n\r\n", &h), -1);
    CHECK_EQ(parse("HTTP/1.1 20x OK\r\n\r\n", &h), -1);
    CHECK_EQ(parse("HTTP/1.1 200OK\r\n\r\n", &h), -1);
    CHECK_EQ(parse("HTTP/1.1 200 OK\r\nX-A: 1\r\n folded\r\n\r\n", &h), -1);
    CHECK_EQ(parse("HTTP/1.1 200 OK\r\nContent-Length : 1\r\n\r\n", &h), -1);
    CHECK_EQ(parse("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", &h), -1);
    CHECK_EQ(parse("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", &h), -1);
    CHECK_EQ(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", &h), -1);
    CHECK_EQ(parse("HTTP/1.1 200 OK\r\nNoColon\r\n\r\n", &h), -1);
    size_t big = 70 * 1024;
    char *huge = malloc(big);
    REQUIRE(huge);
    memcpy(huge, "HTTP/1.1 200 OK\r\nX: ", 20);
    memset(huge + 20, 'a', big - 20);
    CHECK_EQ(lg_http_parse_head(huge, big, "Negotiate", &h), -1); /* past 64 KiB: refused */
    free(huge);
}

/* Feeds a chunked body in pieces of every size from 1 up; the end must be found exactly. */
static void chunked_body_in_any_split(void)
{
    static const char body[] = "5;ext=1\r\nhello\r\n1A\r\nabcdefghijklmnopqrstuvwxyz\r\n"
                               "0\r\nTrailer: x\r\n\r\nNEXT";
    size_t end = sizeof(body) - 1 - 4;
    for (size_t step = 1; step <= sizeof(body); step++) {
        struct lg_chunked c;
        lg_chunked_init(&c);
        size_t pos = 0;
        bool done = false;
        while (!done && pos < sizeof(body) - 1) {
            size_t n = sizeof(body) - 1 - pos < step ? sizeof(body) - 1 - pos : step;
            long used = lg_chunked_feed(&c, (const uint8_t *)body + pos, n, &done);
            REQUIRE(used >= 0);
            pos += (size_t)used;
        }
        CHECK(done);
        CHECK_EQ(pos, end);
    }
    struct lg_chunked c;
    bool done;
    lg_chunked_init(&c);
    CHECK_EQ(lg_chunked_feed(&c, (const uint8_t *)"zz\r\n", 4, &done), -1);
    lg_chunked_init(&c);
    CHECK_EQ(lg_chunked_feed(&c, (const uint8_t *)"1\r\nab\r\n", 7, &done), -1);
    lg_chunked_init(&c);
    CHECK_EQ(lg_chunked_feed(&c, (const uint8_t *)"1234567890ABCDEF0\r\n", 19, &done), -1);
}

int main(void)
{
    RUN(histogram_quantiles_match_sorted_data);
    RUN(histogram_small_values_are_exact_and_merge_adds);
    RUN(base64_round_trips_and_refuses_bad_input);
    RUN(http_head_of_a_challenge);
    RUN(http_head_framing_and_persistence);
    RUN(http_head_malformed_is_refused);
    RUN(chunked_body_in_any_split);
    return check_report();
}
