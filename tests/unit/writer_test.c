/* core/base/writer.c: making room ahead of an encoder (ng_writer_expect), for growable and
 * fixed writers, and its allocation failure; spilling writers. */
#include <string.h>

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

/* A spilling writer: output that fits stays in the caller's buffer (taken as a heap copy);
 * output that does not moves whole to the heap, the caller's buffer left as it was. */
static void test_spilling_writer_moves_to_the_heap_only_when_full(void)
{
    uint8_t room[8], body[100];
    for (size_t i = 0; i < sizeof(body); i++)
        body[i] = (uint8_t)i;
    struct ng_writer w = ng_writer_spilling(room, sizeof(room));
    ng_write_bytes(&w, body, 6);
    CHECK(w.buf == room && !w.owned && ng_writer_status(&w) == NG_OK);
    size_t len = 0;
    uint8_t *taken = ng_writer_take(&w, &len);
    REQUIRE(taken != NULL && taken != room);
    CHECK(len == 6 && memcmp(taken, body, 6) == 0);
    ng_free(taken);

    w = ng_writer_spilling(room, sizeof(room));
    ng_write_bytes(&w, body, 6);
    ng_write_bytes(&w, body + 6, sizeof(body) - 6);
    REQUIRE(ng_writer_status(&w) == NG_OK);
    CHECK(w.buf != room && w.owned && w.len == sizeof(body));
    CHECK(memcmp(w.buf, body, sizeof(body)) == 0);
    CHECK(memcmp(room, body, 6) == 0); /* what was written there before the move */
    taken = ng_writer_take(&w, &len);
    CHECK(len == sizeof(body) && memcmp(taken, body, sizeof(body)) == 0);
    ng_free(taken);
    w = ng_writer_spilling(room, sizeof(room));
    ng_write_bytes(&w, body, sizeof(body));
    ng_writer_free(&w); /* frees the heap buffer, never the caller's */
    CHECK(w.buf == NULL && w.len == 0);
}

int main(void)
{
    RUN(test_expect_grows_a_growable_writer_once);
    RUN(test_expect_leaves_a_fixed_writer_alone);
    RUN(test_expect_failing_to_allocate_is_nomem);
    RUN(test_spilling_writer_moves_to_the_heap_only_when_full);
    return check_report();
}
