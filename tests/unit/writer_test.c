/* core/base/writer.c: making room ahead of an encoder (ng_writer_expect), for growable and
 * fixed writers, and its allocation failure. */
#include "alloc.h"
#include "check.h"
#include "writer.h"

/* Room made ahead is room the writes then use: the buffer does not move while they fill it. */
static void test_expect_grows_a_growable_writer_once(void)
{
    struct ng_writer w = ng_writer_growable();
    ng_write_u8(&w, 0x30);
    ng_writer_expect(&w, 300);
    CHECK_EQ(ng_writer_status(&w), NG_OK);
    CHECK(w.cap >= 301);
    const uint8_t *buf = w.buf;
    for (unsigned i = 0; i < 300; i++)
        ng_write_u8(&w, (uint8_t)i);
    CHECK(w.buf == buf);
    CHECK_EQ(w.len, 301);
    CHECK_EQ(w.buf[300], (uint8_t)299);
    ng_writer_expect(&w, 0); /* nothing more wanted: nothing changes */
    CHECK(w.buf == buf);
    ng_writer_free(&w);
}

/* A fixed buffer cannot grow: its writes report what does not fit, as without the call. */
static void test_expect_leaves_a_fixed_writer_alone(void)
{
    uint8_t small[4];
    struct ng_writer w = ng_writer_fixed(small, sizeof small);
    ng_writer_expect(&w, 100);
    CHECK_EQ(ng_writer_status(&w), NG_OK);
    CHECK_EQ(w.len, 0);
    ng_write_bytes(&w, "abcdef", 6);
    CHECK_EQ(ng_writer_status(&w), NG_ERR_BUFFER_TOO_SMALL);
    CHECK_EQ(w.len, 6);
}

static void test_expect_failing_to_allocate_is_nomem(void)
{
    struct ng_writer w = ng_writer_growable();
    ng_alloc_fail_after(1);
    ng_writer_expect(&w, 100);
    ng_alloc_fail_after(0);
    CHECK_EQ(ng_writer_status(&w), NG_ERR_NOMEM);
    ng_write_u8(&w, 1);
    CHECK_EQ(ng_writer_status(&w), NG_ERR_NOMEM);
    ng_writer_free(&w);
    ng_writer_expect(&w, SIZE_MAX);
    CHECK_EQ(ng_writer_status(&w), NG_ERR_NOMEM);
    ng_writer_free(&w);
}

int main(void)
{
    RUN(test_expect_grows_a_growable_writer_once);
    RUN(test_expect_leaves_a_fixed_writer_alone);
    RUN(test_expect_failing_to_allocate_is_nomem);
    return check_report();
}
