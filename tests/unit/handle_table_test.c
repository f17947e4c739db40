/* core/context/handle_table.c: handle lifecycle, stale/forged/wrong-kind refusal, deferred destroy,
 * limits, lazy segment allocation and allocation failure. */
#include "alloc.h"
#include "check.h"
#include "handle_table.h"

#include <stdint.h>
#include <sys/random.h>

#define KIND_CONTEXT 0xC7
#define KIND_CRED    0xC3

/* An object records how often it was destroyed; the callback never frees it. */
struct obj {
    int id;
    int destroyed;
};

static int destroy_calls;

static void count_destroy(void *p)
{
    ((struct obj *)p)->destroyed++;
    destroy_calls++;
}

static struct ng_table *new_table(uint8_t kind, uint32_t max)
{
    struct ng_table *t = NULL;
    REQUIRE(ng_table_create(&t, kind, max, count_destroy) == NG_OK);
    return t;
}

static void insert_acquire_release_remove(void)
{
    struct ng_table *t = new_table(KIND_CONTEXT, 16);
    struct obj a = {1, 0};
    struct ng_handle h;
    void *got = NULL;

    REQUIRE(ng_table_insert(t, &a, &h) == NG_OK);
    CHECK_EQ(ng_table_live_count(t), 1);
    CHECK_EQ(ng_table_acquire(t, h, &got), NG_OK);
    CHECK(got == &a);
    ng_table_release(t, h);
    CHECK_EQ(a.destroyed, 0);
    CHECK_EQ(ng_table_remove(t, h), NG_OK);
    CHECK_EQ(a.destroyed, 1);
    CHECK_EQ(ng_table_live_count(t), 0);
    CHECK_EQ(ng_table_acquire(t, h, &got), NG_ERR_INVALID_HANDLE);
    CHECK(got == NULL);
    CHECK_EQ(ng_table_remove(t, h), NG_ERR_INVALID_HANDLE);
    ng_table_destroy(t);
    CHECK_EQ(a.destroyed, 1);
}

static void stale_handle_refused_after_slot_reuse(void)
{
    struct ng_table *t = new_table(KIND_CONTEXT, 1); /* one slot: B must reuse A's */
    struct obj a = {1, 0}, b = {2, 0};
    struct ng_handle ha, hb;
    void *got;

    REQUIRE(ng_table_insert(t, &a, &ha) == NG_OK);
    REQUIRE(ng_table_remove(t, ha) == NG_OK);
    REQUIRE(ng_table_insert(t, &b, &hb) == NG_OK);
    CHECK(ha.lower != hb.lower);
    CHECK_EQ(ng_table_acquire(t, ha, &got), NG_ERR_INVALID_HANDLE);
    CHECK_EQ(ng_table_remove(t, ha), NG_ERR_INVALID_HANDLE);
    ng_table_release(t, ha); /* holds no reference: must not touch B */
    CHECK_EQ(ng_table_acquire(t, hb, &got), NG_OK);
    CHECK(got == &b);
    ng_table_release(t, hb);
    CHECK_EQ(b.destroyed, 0);
    ng_table_destroy(t);
    CHECK_EQ(a.destroyed, 1);
    CHECK_EQ(b.destroyed, 1);
}

/* A forged handle is refused by acquire, remove and release alike, and leaves `victim` intact. */
static void check_forged(struct ng_table *t, struct ng_handle forged, struct ng_handle victim)
{
    void *got = (void *)1;
    CHECK_EQ(ng_table_acquire(t, forged, &got), NG_ERR_INVALID_HANDLE);
    CHECK(got == NULL);
    CHECK_EQ(ng_table_remove(t, forged), NG_ERR_INVALID_HANDLE);
    ng_table_release(t, forged);
    CHECK_EQ(ng_table_acquire(t, victim, &got), NG_OK);
    ng_table_release(t, victim);
}

static void forged_handles_refused(void)
{
    struct ng_table *t = new_table(KIND_CONTEXT, 64), *other = new_table(KIND_CONTEXT, 64);
    struct obj objs[8] = {{0, 0}};
    struct ng_handle h[8], foreign;
    struct obj stranger = {99, 0};
    uintptr_t rnd[2];

    for (int i = 0; i < 8; i++)
        REQUIRE(ng_table_insert(t, &objs[i], &h[i]) == NG_OK);
    REQUIRE(ng_table_insert(other, &stranger, &foreign) == NG_OK);

    check_forged(t, (struct ng_handle){0, 0}, h[0]);
    check_forged(t, (struct ng_handle){UINTPTR_MAX, UINTPTR_MAX}, h[0]);
    check_forged(t, (struct ng_handle){h[0].lower, 0}, h[0]);
    check_forged(t, (struct ng_handle){h[0].lower, h[0].upper ^ 1}, h[0]);
    check_forged(t, (struct ng_handle){h[0].lower, h[1].upper}, h[0]);
    check_forged(t, (struct ng_handle){h[0].lower + 1, h[0].upper}, h[0]); /* next generation */
    check_forged(t, (struct ng_handle){h[0].lower ^ (UINT64_C(1) << 32), h[0].upper}, h[0]);
    /* Index past max_entries, the top index bit, another kind tag. */
    check_forged(t, (struct ng_handle){h[0].lower | (UINT64_C(0xFFFF) << 32), h[0].upper}, h[0]);
    check_forged(t, (struct ng_handle){h[0].lower ^ (UINT64_C(1) << 55), h[0].upper}, h[0]);
    check_forged(t, (struct ng_handle){h[0].lower ^ (UINT64_C(1) << 56), h[0].upper}, h[0]);
    /* Same kind tag, another table: its secret differs. */
    check_forged(t, foreign, h[0]);
    for (int i = 0; i < 10000; i++) {
        REQUIRE(getrandom(rnd, sizeof rnd, 0) == sizeof rnd);
        check_forged(t, (struct ng_handle){rnd[0], rnd[1]}, h[i % 8]);
        /* A random dwUpper on a real dwLower. */
        check_forged(t, (struct ng_handle){h[i % 8].lower, rnd[1]}, h[i % 8]);
    }
    CHECK_EQ(ng_table_live_count(t), 8);
    CHECK_EQ(stranger.destroyed, 0);
    ng_table_destroy(other);
    ng_table_destroy(t);
    for (int i = 0; i < 8; i++)
        CHECK_EQ(objs[i].destroyed, 1);
}

static void wrong_kind_refused(void)
{
    struct ng_table *creds = new_table(KIND_CRED, 16), *contexts = new_table(KIND_CONTEXT, 16);
    struct obj cred = {1, 0}, ctx = {2, 0};
    struct ng_handle hcred, hctx;
    void *got;

    REQUIRE(ng_table_insert(creds, &cred, &hcred) == NG_OK);
    REQUIRE(ng_table_insert(contexts, &ctx, &hctx) == NG_OK);
    CHECK_EQ(ng_table_acquire(contexts, hcred, &got), NG_ERR_INVALID_HANDLE);
    CHECK_EQ(ng_table_remove(contexts, hcred), NG_ERR_INVALID_HANDLE);
    CHECK_EQ(ng_table_acquire(creds, hctx, &got), NG_ERR_INVALID_HANDLE);
    /* Relabelled with the right kind, the MAC no longer matches. */
    hcred.lower = (hcred.lower & ~(UINT64_C(0xFF) << 56)) | ((uint64_t)KIND_CONTEXT << 56);
    CHECK_EQ(ng_table_acquire(contexts, hcred, &got), NG_ERR_INVALID_HANDLE);
    ng_table_destroy(creds);
    ng_table_destroy(contexts);
    CHECK_EQ(cred.destroyed, 1);
    CHECK_EQ(ctx.destroyed, 1);
}

static void destroy_once_after_last_release(void)
{
    struct ng_table *t = new_table(KIND_CONTEXT, 4);
    struct obj a = {1, 0};
    struct ng_handle h;
    void *got;

    REQUIRE(ng_table_insert(t, &a, &h) == NG_OK);
    REQUIRE(ng_table_acquire(t, h, &got) == NG_OK);
    REQUIRE(ng_table_acquire(t, h, &got) == NG_OK);
    CHECK_EQ(ng_table_remove(t, h), NG_OK);
    CHECK_EQ(a.destroyed, 0);
    CHECK_EQ(ng_table_acquire(t, h, &got), NG_ERR_INVALID_HANDLE);
    CHECK_EQ(ng_table_remove(t, h), NG_ERR_INVALID_HANDLE);
    CHECK_EQ(ng_table_live_count(t), 1); /* still occupies its slot */
    ng_table_release(t, h);
    CHECK_EQ(a.destroyed, 0);
    ng_table_release(t, h);
    CHECK_EQ(a.destroyed, 1);
    CHECK_EQ(ng_table_live_count(t), 0);
    ng_table_release(t, h); /* one too many: ignored */
    CHECK_EQ(a.destroyed, 1);
    ng_table_destroy(t);
    CHECK_EQ(a.destroyed, 1);
}

static void table_destroy_destroys_remaining(void)
{
    struct ng_table *t = new_table(KIND_CONTEXT, 8);
    struct obj a = {1, 0}, b = {2, 0}, c = {3, 0};
    struct ng_handle ha, hb, hc;
    void *got;

    REQUIRE(ng_table_insert(t, &a, &ha) == NG_OK);
    REQUIRE(ng_table_insert(t, &b, &hb) == NG_OK);
    REQUIRE(ng_table_insert(t, &c, &hc) == NG_OK);
    REQUIRE(ng_table_acquire(t, hb, &got) == NG_OK);
    REQUIRE(ng_table_remove(t, hb) == NG_OK); /* removed, still referenced */
    REQUIRE(ng_table_remove(t, hc) == NG_OK); /* destroyed now */
    CHECK_EQ(c.destroyed, 1);
    ng_table_destroy(t);
    CHECK_EQ(a.destroyed, 1);
    CHECK_EQ(b.destroyed, 1);
    CHECK_EQ(c.destroyed, 1);
    ng_table_destroy(NULL);
}

static void fill_and_recover(uint32_t max)
{
    struct ng_table *t = new_table(KIND_CONTEXT, max);
    struct obj *objs = calloc(max + 1, sizeof *objs);
    struct ng_handle *h = calloc(max + 1, sizeof *h);
    void *got;
    int before = destroy_calls;

    REQUIRE(objs != NULL && h != NULL);
    for (uint32_t i = 0; i < max; i++)
        REQUIRE(ng_table_insert(t, &objs[i], &h[i]) == NG_OK);
    CHECK_EQ(ng_table_live_count(t), max);
    CHECK_EQ(ng_table_insert(t, &objs[max], &h[max]), NG_ERR_FULL);
    /* A removed entry still referenced keeps its slot. */
    REQUIRE(ng_table_acquire(t, h[max / 2], &got) == NG_OK);
    REQUIRE(ng_table_remove(t, h[max / 2]) == NG_OK);
    CHECK_EQ(ng_table_insert(t, &objs[max], &h[max]), NG_ERR_FULL);
    ng_table_release(t, h[max / 2]);
    CHECK_EQ(ng_table_insert(t, &objs[max], &h[max]), NG_OK);
    CHECK_EQ(ng_table_live_count(t), max);
    CHECK_EQ(ng_table_acquire(t, h[max], &got), NG_OK);
    CHECK(got == &objs[max]);
    ng_table_release(t, h[max]);
    CHECK_EQ(ng_table_acquire(t, h[max / 2], &got), NG_ERR_INVALID_HANDLE);
    ng_table_destroy(t);
    CHECK_EQ(destroy_calls - before, max + 1);
    free(objs);
    free(h);
}

static void full_at_limit_and_recovery_after_remove(void)
{
    fill_and_recover(3);
    fill_and_recover(4097); /* spans two segments */
}

static void invalid_parameters(void)
{
    struct ng_table *t = NULL;
    struct ng_handle h;

    CHECK_EQ(ng_table_create(&t, KIND_CONTEXT, 0, NULL), NG_ERR_INVALID_PARAM);
    CHECK_EQ(ng_table_create(&t, KIND_CONTEXT, NG_TABLE_MAX_ENTRIES + 1, NULL),
             NG_ERR_INVALID_PARAM);
    CHECK(t == NULL);
    t = new_table(KIND_CONTEXT, 4);
    CHECK_EQ(ng_table_insert(t, NULL, &h), NG_ERR_INVALID_PARAM);
    CHECK_EQ(ng_table_live_count(t), 0);
    ng_table_destroy(t);
}

/* A 4M-entry table allocates two blocks up front and one 4096-slot segment per 4096 slots used. */
static void segments_allocated_lazily(void)
{
    struct ng_table *t = NULL;
    struct obj objs[4097] = {{0, 0}};
    struct ng_handle h;

    ng_alloc_fail_after(0);
    REQUIRE(ng_table_create(&t, KIND_CONTEXT, UINT32_C(1) << 22, NULL) == NG_OK);
    CHECK_EQ(ng_alloc_fail_after(0), 2);
    for (int i = 0; i < 4096; i++)
        REQUIRE(ng_table_insert(t, &objs[i], &h) == NG_OK);
    CHECK_EQ(ng_alloc_fail_after(0), 1);
    REQUIRE(ng_table_insert(t, &objs[4096], &h) == NG_OK);
    CHECK_EQ(ng_alloc_fail_after(0), 1);
    ng_table_destroy(t);
}

static void allocation_failure_is_nomem(void)
{
    struct ng_table *t = NULL;
    struct obj objs[4097] = {{0, 0}};
    struct ng_handle h;
    int before = destroy_calls;

    for (unsigned long n = 1; n <= 2; n++) {
        ng_alloc_fail_after(n);
        CHECK_EQ(ng_table_create(&t, KIND_CONTEXT, 8192, count_destroy), NG_ERR_NOMEM);
        CHECK(t == NULL);
    }
    ng_alloc_fail_after(0);
    t = new_table(KIND_CONTEXT, 8192);
    ng_alloc_fail_after(1); /* the first segment */
    CHECK_EQ(ng_table_insert(t, &objs[0], &h), NG_ERR_NOMEM);
    CHECK_EQ(ng_table_live_count(t), 0);
    ng_alloc_fail_after(0);
    for (int i = 0; i < 4096; i++)
        REQUIRE(ng_table_insert(t, &objs[i], &h) == NG_OK);
    ng_alloc_fail_after(1); /* the second segment */
    CHECK_EQ(ng_table_insert(t, &objs[4096], &h), NG_ERR_NOMEM);
    CHECK_EQ(ng_table_live_count(t), 4096);
    ng_alloc_fail_after(0);
    CHECK_EQ(ng_table_insert(t, &objs[4096], &h), NG_OK);
    ng_table_destroy(t);
    CHECK_EQ(destroy_calls - before, 4097); /* the refused object was never taken */
}

int main(void)
{
    RUN(insert_acquire_release_remove);
    RUN(stale_handle_refused_after_slot_reuse);
    RUN(forged_handles_refused);
    RUN(wrong_kind_refused);
    RUN(destroy_once_after_last_release);
    RUN(table_destroy_destroys_remaining);
    RUN(full_at_limit_and_recovery_after_remove);
    RUN(invalid_parameters);
    RUN(segments_allocated_lazily);
    RUN(allocation_failure_is_nomem);
    return check_report();
}
