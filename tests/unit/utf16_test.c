/* utf16: strict UTF-8 <-> UTF-16 conversion, round trips and every rejection. */
#include "alloc.h"
#include "check.h"
#include "utf16.h"

static void round_trip(const char *utf8, const SEC_WCHAR *utf16, size_t units)
{
    SEC_WCHAR *w = NULL;
    char *back = NULL;
    size_t wlen = 99, blen = 99;

    CHECK_EQ(ng_utf8z_to_utf16(utf8, &w, &wlen), NG_OK);
    REQUIRE(w != NULL);
    CHECK_EQ(wlen, units);
    CHECK_MEM(w, utf16, units * sizeof(SEC_WCHAR));
    CHECK_EQ(w[units], 0);
    CHECK_EQ(ng_wcslen16(w), units);
    CHECK_EQ(ng_utf16z_to_utf8(w, &back, &blen), NG_OK);
    REQUIRE(back != NULL);
    CHECK_EQ(blen, strlen(utf8));
    CHECK(strcmp(back, utf8) == 0);
    ng_free(w);
    ng_free(back);
}

static void test_round_trips_ascii_bmp_and_non_bmp(void)
{
    round_trip("", (const SEC_WCHAR[]){0}, 0);
    round_trip("alice@EXAMPLE.COM",
               (const SEC_WCHAR[]){'a', 'l', 'i', 'c', 'e', '@', 'E', 'X', 'A', 'M', 'P', 'L', 'E',
                                   '.', 'C', 'O', 'M'},
               17);
    /* U+00E9 (2 bytes), U+20AC (3 bytes), U+FFFF (3 bytes, last BMP) */
    round_trip("\xC3\xA9\xE2\x82\xAC\xEF\xBF\xBF", (const SEC_WCHAR[]){0x00E9, 0x20AC, 0xFFFF}, 3);
    /* U+007F, U+0080, U+07FF, U+0800: the boundaries of each length */
    round_trip("\x7F\xC2\x80\xDF\xBF\xE0\xA0\x80", (const SEC_WCHAR[]){0x7F, 0x80, 0x7FF, 0x800},
               4);
    /* U+1F600 and U+10000 / U+10FFFF, the first and last surrogate pairs */
    round_trip("\xF0\x9F\x98\x80", (const SEC_WCHAR[]){0xD83D, 0xDE00}, 2);
    round_trip("\xF0\x90\x80\x80\xF4\x8F\xBF\xBF",
               (const SEC_WCHAR[]){0xD800, 0xDC00, 0xDBFF, 0xDFFF}, 4);
    /* U+D7FF and U+E000 neighbour the surrogate range and are fine */
    round_trip("\xED\x9F\xBF\xEE\x80\x80", (const SEC_WCHAR[]){0xD7FF, 0xE000}, 2);
}

static void test_counted_forms_stop_at_the_count(void)
{
    SEC_WCHAR *w = NULL;
    char *s = NULL;
    size_t len = 0;

    CHECK_EQ(ng_utf8_to_utf16("abcdef", 3, &w, &len), NG_OK);
    REQUIRE(w != NULL);
    CHECK_EQ(len, 3);
    CHECK_EQ(w[2], 'c');
    CHECK_EQ(w[3], 0);
    CHECK_EQ(ng_utf16_to_utf8(w, 2, &s, NULL), NG_OK);
    REQUIRE(s != NULL);
    CHECK(strcmp(s, "ab") == 0);
    ng_free(w);
    ng_free(s);
    CHECK_EQ(ng_utf8_to_utf16(NULL, 0, &w, &len), NG_OK);
    REQUIRE(w != NULL);
    CHECK_EQ(len, 0);
    CHECK_EQ(w[0], 0);
    ng_free(w);
}

static void reject8(const char *bytes, size_t len)
{
    SEC_WCHAR *w = (SEC_WCHAR *)1;
    CHECK_EQ(ng_utf8_to_utf16(bytes, len, &w, NULL), NG_ERR_INVALID_PARAM);
    CHECK(w == NULL);
}

static void test_utf8_rejections(void)
{
    reject8("\xC0\x80", 2);                 /* overlong NUL */
    reject8("\xC1\xBF", 2);                 /* overlong U+007F */
    reject8("\xE0\x9F\xBF", 3);             /* overlong U+07FF */
    reject8("\xF0\x8F\xBF\xBF", 4);         /* overlong U+FFFF */
    reject8("\xED\xA0\x80", 3);             /* encoded high surrogate U+D800 */
    reject8("\xED\xBF\xBF", 3);             /* encoded low surrogate U+DFFF */
    reject8("\xED\xA0\xBD\xED\xB8\x80", 6); /* CESU-8 pair */
    reject8("\xF4\x90\x80\x80", 4);         /* U+110000 */
    reject8("\xF5\x80\x80\x80", 4);         /* lead byte beyond U+10FFFF */
    reject8("\xF8\x88\x80\x80\x80", 5);     /* 5-byte form */
    reject8("\xFF", 1);
    reject8("\x80", 1); /* lone continuation byte */
    reject8("a\xBF", 2);
    reject8("\xC3", 1); /* truncated at the end */
    reject8("\xE2\x82", 2);
    reject8("\xF0\x9F\x98", 3);
    reject8("\xC3\x28", 2); /* continuation that is not one */
    reject8("\xE2\x28\xA1", 3);
    reject8("ab\0cd", 5); /* embedded NUL in a counted string */
}

static void reject16(const SEC_WCHAR *units, size_t len)
{
    char *s = (char *)1;
    CHECK_EQ(ng_utf16_to_utf8(units, len, &s, NULL), NG_ERR_INVALID_PARAM);
    CHECK(s == NULL);
}

static void test_utf16_rejections(void)
{
    reject16((const SEC_WCHAR[]){0xD800}, 1);                 /* high surrogate at the end */
    reject16((const SEC_WCHAR[]){0xD800, 'a'}, 2);            /* high surrogate, no low */
    reject16((const SEC_WCHAR[]){0xDC00, 0xD800}, 2);         /* reversed pair */
    reject16((const SEC_WCHAR[]){'a', 0xDFFF}, 2);            /* lone low surrogate */
    reject16((const SEC_WCHAR[]){0xD800, 0xD800, 0xDC00}, 3); /* two highs */
    reject16((const SEC_WCHAR[]){'a', 0, 'b'}, 3);            /* embedded NUL */
    /* the count ends between the two halves of a pair */
    reject16((const SEC_WCHAR[]){0xD83D, 0xDE00}, 1);
}

static void test_null_and_allocation_failure(void)
{
    SEC_WCHAR *w = NULL;
    char *s = NULL;

    CHECK_EQ(ng_utf8z_to_utf16(NULL, &w, NULL), NG_ERR_INVALID_PARAM);
    CHECK_EQ(ng_utf16z_to_utf8(NULL, &s, NULL), NG_ERR_INVALID_PARAM);
    CHECK_EQ(ng_utf8_to_utf16(NULL, 1, &w, NULL), NG_ERR_INVALID_PARAM);
    CHECK_EQ(ng_utf8_to_utf16("a", 1, NULL, NULL), NG_ERR_INVALID_PARAM);
    ng_alloc_fail_after(1);
    CHECK_EQ(ng_utf8z_to_utf16("abc", &w, NULL), NG_ERR_NOMEM);
    CHECK(w == NULL);
    CHECK_EQ(ng_utf16z_to_utf8((const SEC_WCHAR[]){'a', 0}, &s, NULL), NG_ERR_NOMEM);
    CHECK(s == NULL);
    ng_alloc_fail_after(0);
    /* invalid input is reported as such, not hidden behind an allocation failure */
    ng_alloc_fail_after(1);
    CHECK_EQ(ng_utf8_to_utf16("\xC0\x80", 2, &w, NULL), NG_ERR_INVALID_PARAM);
    ng_alloc_fail_after(0);
}

static void test_wcslen16(void)
{
    CHECK_EQ(ng_wcslen16((const SEC_WCHAR[]){0}), 0);
    CHECK_EQ(ng_wcslen16((const SEC_WCHAR[]){0xD83D, 0xDE00, 'x', 0, 'y', 0}), 3);
}

int main(void)
{
    RUN(test_round_trips_ascii_bmp_and_non_bmp);
    RUN(test_counted_forms_stop_at_the_count);
    RUN(test_utf8_rejections);
    RUN(test_utf16_rejections);
    RUN(test_null_and_allocation_failure);
    RUN(test_wcslen16);
    return check_report();
}
