/* ringserver/resp.c: RESP2 replies as Redis 7 writes them for the commands ringserver sends,
 * every truncation of each, and what the codec must refuse (RESP3 types, nested arrays, bad
 * lengths and integers, lines and bulk strings over their limits, CR or LF inside a line). */
#include <string.h>

#include "check.h"
#include "resp.h"

static enum rs_resp_result parse(const char *s, struct rs_resp_value *v, size_t *used)
{
    return rs_resp_parse((const uint8_t *)s, strlen(s), &rs_resp_default_limits, v, used);
}

static bool str_is(struct rs_slice s, const char *lit)
{
    return s.len == strlen(lit) && memcmp(s.ptr, lit, s.len) == 0;
}

static void test_replies(void)
{
    struct rs_resp_value v;
    size_t used = 0;
    CHECK_EQ(parse("+OK\r\n", &v, &used), RS_RESP_DONE);
    CHECK(v.type == RS_RESP_SIMPLE && str_is(v.str, "OK") && used == 5);
    CHECK_EQ(parse("$-1\r\n", &v, &used), RS_RESP_DONE);
    CHECK(v.type == RS_RESP_NIL && used == 5);
    CHECK_EQ(parse("-NOAUTH Authentication required.\r\n", &v, &used), RS_RESP_DONE);
    CHECK(v.type == RS_RESP_ERROR && str_is(v.str, "NOAUTH Authentication required."));
    CHECK_EQ(parse(":-42\r\n", &v, &used), RS_RESP_DONE);
    CHECK(v.type == RS_RESP_INTEGER && v.integer == -42);
    CHECK_EQ(parse("$5\r\na\r\nbc\r\n+OK\r\n", &v, &used), RS_RESP_DONE);
    CHECK(v.type == RS_RESP_BULK && str_is(v.str, "a\r\nbc") && used == 11); /* binary-safe */
    CHECK_EQ(parse("*3\r\n$5\r\nalice\r\n$-1\r\n:7\r\n", &v, &used), RS_RESP_DONE);
    CHECK(v.type == RS_RESP_ARRAY && v.count == 3);
    struct rs_slice it = v.body;
    struct rs_resp_value e;
    CHECK(rs_resp_array_next(&it, &e) && e.type == RS_RESP_BULK && str_is(e.str, "alice"));
    CHECK(rs_resp_array_next(&it, &e) && e.type == RS_RESP_NIL);
    CHECK(rs_resp_array_next(&it, &e) && e.type == RS_RESP_INTEGER && e.integer == 7);
    CHECK(!rs_resp_array_next(&it, &e));
    CHECK_EQ(parse("*0\r\n", &v, &used), RS_RESP_DONE);
    CHECK(v.type == RS_RESP_ARRAY && v.count == 0);
    CHECK_EQ(parse("*-1\r\n", &v, &used), RS_RESP_DONE);
    CHECK(v.type == RS_RESP_NIL);
    CHECK_EQ(parse(":9223372036854775807\r\n", &v, &used), RS_RESP_DONE);
    CHECK(v.integer == INT64_MAX);
    CHECK_EQ(parse(":-9223372036854775808\r\n", &v, &used), RS_RESP_DONE);
    CHECK(v.integer == INT64_MIN);
}

static void test_truncations(void)
{
    static const char *const whole[] = {
        "+OK\r\n",   "$-1\r\n", ":12345\r\n", "$3\r\nabc\r\n", "*2\r\n$1\r\na\r\n:1\r\n",
        "-ERR x\r\n"};
    for (size_t i = 0; i < sizeof(whole) / sizeof(whole[0]); i++) {
        size_t n = strlen(whole[i]), used;
        struct rs_resp_value v;
        for (size_t k = 0; k < n; k++)
            CHECK_EQ(
                rs_resp_parse((const uint8_t *)whole[i], k, &rs_resp_default_limits, &v, &used),
                RS_RESP_NEED_MORE);
        CHECK_EQ(rs_resp_parse((const uint8_t *)whole[i], n, &rs_resp_default_limits, &v, &used),
                 RS_RESP_DONE);
        CHECK_EQ(used, n);
    }
}

static void test_refusals(void)
{
    struct rs_resp_value v;
    size_t used;
    static const char *const malformed[] = {
        "%1\r\n",                    /* RESP3 map */
        "_\r\n",                     /* RESP3 null */
        "#t\r\n",                    /* RESP3 boolean */
        ">1\r\n+x\r\n",              /* RESP3 push */
        "*1\r\n*0\r\n",              /* nested array */
        "$-2\r\n",                   /* length below -1 */
        "$abc\r\n",                  /* length not a number */
        "$3\r\nabcXY",               /* bulk without its CRLF */
        ":12a\r\n",                  /* integer with a letter */
        ":\r\n",                     /* empty integer */
        ":99999999999999999999\r\n", /* 20 digits */
        ":9223372036854775808\r\n",  /* INT64_MAX + 1 */
        "+O\nK\r\n",                 /* LF inside a line */
        "+O\rK\r\n",                 /* CR inside a line */
        "GET / HTTP/1.1\r\n",        /* not a reply at all */
    };
    for (size_t i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++) {
        enum rs_resp_result r = parse(malformed[i], &v, &used);
        CHECK(r == RS_RESP_MALFORMED || r == RS_RESP_TOO_LARGE);
    }
    struct rs_resp_limits small = {8, 4, 2};
    CHECK_EQ(rs_resp_parse((const uint8_t *)"+123456789\r\n", 12, &small, &v, &used),
             RS_RESP_TOO_LARGE);
    CHECK_EQ(rs_resp_parse((const uint8_t *)"+123456789", 10, &small, &v, &used),
             RS_RESP_TOO_LARGE); /* decided before the line ends */
    CHECK_EQ(rs_resp_parse((const uint8_t *)"$5\r\n", 4, &small, &v, &used), RS_RESP_TOO_LARGE);
    CHECK_EQ(rs_resp_parse((const uint8_t *)"*3\r\n", 4, &small, &v, &used), RS_RESP_TOO_LARGE);
    CHECK_EQ(rs_resp_parse((const uint8_t *)"+12345678\r\n", 11, &small, &v, &used),
             RS_RESP_DONE); /* exactly the limit */
}

static void test_command(void)
{
    struct rs_out o = {0};
    struct rs_slice argv[] = {{(const uint8_t *)"SET", 3}, {(const uint8_t *)"k\r\n", 3}};
    rs_resp_command(&o, 2, argv);
    const char want[] = "*2\r\n$3\r\nSET\r\n$3\r\nk\r\n\r\n";
    CHECK(!o.failed && o.len == sizeof(want) - 1 && memcmp(o.data, want, o.len) == 0);
    rs_out_free(&o);
}

int main(void)
{
    test_replies();
    test_truncations();
    test_refusals();
    test_command();
    return check_report();
}
