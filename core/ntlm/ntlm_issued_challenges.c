/* The outstanding server challenges: see ntlm_issued_challenges.h for the contract.
 *
 * Layout: a power-of-two array of 64-bit slots, 0 = free (a challenge is never 0). A challenge
 * c lives in one slot of its window, slots (c + i) & mask for i < WINDOW; nothing ever moves.
 * The slot holds c for an UNNAMED record and c ^ NAME_CHECKED_TAG for a NAME_CHECKED one (a
 * challenge is never the tag either, so no record is 0); another challenge whose record reads
 * as c's in c's window would have to be c ^ TAG and land there: 2^-64.
 * Insert CASes 0 -> c into the first free slot of the window; removal CASes c -> 0 where it
 * finds c; a look-up reads the whole window. So removal needs no tombstone: a present challenge
 * stays in its slot until its own acceptor removes it, and a look-up that overlaps that lifetime
 * finds it whatever else comes and goes around it. Two acceptors drawing one 64-bit value (odds
 * 2^-64) each insert and remove a record of their own. No other memory is published through the
 * slots: what matters is that the insert is sequenced before the CHALLENGE leaves, and anything
 * that hands its bytes to our initiator (another thread, the network) comes after that. */
#include "ntlm_issued_challenges.h"

#include <stdatomic.h>
#include <string.h>

#include "alloc.h"
#include "env_setting.h"
#include "random.h"
#include "table_pages.h"

/* 2^17 slots (1 MiB) hold ~65k handshakes in progress at half load. A full window makes the
 * acceptor draw a new challenge (a new window) up to ISSUE_ATTEMPTS times in all. */
enum { SET_LOG2 = 17, SET_MIN_LOG2 = 4, SET_MAX_LOG2 = 24, ISSUE_ATTEMPTS = 4 };

_Static_assert((1u << SET_MIN_LOG2) >= NG_NTLM_CHALLENGE_WINDOW, "a window fits any table");

struct challenge_set {
    _Atomic uint64_t *slots; /* table_pages.h, mask + 1 slots */
    size_t map_len;
    uint64_t mask;
};

static _Atomic(struct challenge_set *) the_set;

static void set_destroy(struct challenge_set *s)
{
    ng_table_pages_unmap((void *)s->slots, s->map_len);
    ng_free(s);
}

static ng_status set_create(struct challenge_set **out)
{
    struct challenge_set *s = ng_alloc(sizeof(*s));
    if (s == NULL)
        return NG_ERR_NOMEM;
    unsigned log2 =
        ng_env_log2("NEGRING_NTLM_CHALLENGE_SET_LOG2", SET_MIN_LOG2, SET_MAX_LOG2, SET_LOG2);
    s->map_len = sizeof(uint64_t) << log2;
    s->mask = (UINT64_C(1) << log2) - 1;
    /* Zero words are free slots; backed now, as a challenge lands on a random page. */
    void *map = ng_table_pages_map(s->map_len, true);
    if (map == NULL) {
        ng_free(s);
        return NG_ERR_NOMEM;
    }
    s->slots = map;
    *out = s;
    return NG_OK;
}

/* Made on first issue; a failed attempt (out of memory) is retried by the next one. */
static ng_status get_set(struct challenge_set **out)
{
    struct challenge_set *s = atomic_load(&the_set);
    if (s == NULL) {
        NG_GUARD(set_create(&s));
        struct challenge_set *winner = NULL;
        if (!atomic_compare_exchange_strong(&the_set, &winner, s)) {
            set_destroy(s); /* another thread was first */
            s = winner;
        }
    }
    *out = s;
    return NG_OK;
}

#define NAME_CHECKED_TAG UINT64_C(0x9e3779b97f4a7c15)

static _Atomic uint64_t *slot(struct challenge_set *s, uint64_t c, unsigned i)
{
    return &s->slots[(c + i) & s->mask];
}

static uint64_t record_of(uint64_t c, enum ng_ntlm_challenge_kind kind)
{
    return kind == NG_NTLM_CHALLENGE_NAME_CHECKED ? c ^ NAME_CHECKED_TAG : c;
}

static bool insert(struct challenge_set *s, uint64_t c, uint64_t record)
{
    for (unsigned i = 0; i < NG_NTLM_CHALLENGE_WINDOW; i++) {
        uint64_t seen = 0;
        if (atomic_load(slot(s, c, i)) == 0 &&
            atomic_compare_exchange_strong(slot(s, c, i), &seen, record))
            return true;
    }
    return false;
}

/* A random challenge that can be a record; its window's first slot starts on its way into the
 * cache (a random slot of a 1 MiB table is a miss: the caller's work meanwhile hides it). */
static ng_status draw(struct challenge_set *s, uint64_t *out)
{
    uint64_t c = 0;
    while (c == 0 || c == NAME_CHECKED_TAG) /* either would make a record of 0 */
        NG_GUARD(ng_random_bytes((uint8_t *)&c, sizeof(c)));
    __builtin_prefetch((const void *)slot(s, c, 0), 1);
    *out = c;
    return NG_OK;
}

ng_status ng_ntlm_challenge_draw(uint8_t challenge[8])
{
    struct challenge_set *s;
    uint64_t c;
    NG_GUARD(get_set(&s));
    NG_GUARD(draw(s, &c));
    memcpy(challenge, &c, sizeof(c));
    return NG_OK;
}

ng_status ng_ntlm_challenge_issue(uint8_t challenge[8], enum ng_ntlm_challenge_kind kind)
{
    struct challenge_set *s;
    uint64_t c;
    NG_GUARD(get_set(&s));
    memcpy(&c, challenge, sizeof(c));
    for (int attempt = 0; attempt < ISSUE_ATTEMPTS; attempt++) {
        if (attempt > 0 || c == 0 || c == NAME_CHECKED_TAG)
            NG_GUARD(draw(s, &c));
        if (insert(s, c, record_of(c, kind))) {
            memcpy(challenge, &c, sizeof(c));
            return NG_OK;
        }
    }
    return NG_ERR_FULL;
}

void ng_ntlm_challenge_withdraw(const uint8_t challenge[8], enum ng_ntlm_challenge_kind kind)
{
    struct challenge_set *s = atomic_load(&the_set);
    uint64_t c;
    memcpy(&c, challenge, sizeof(c));
    if (s == NULL || c == 0 || c == NAME_CHECKED_TAG)
        return;
    for (unsigned i = 0; i < NG_NTLM_CHALLENGE_WINDOW; i++) {
        uint64_t seen = record_of(c, kind);
        if (atomic_compare_exchange_strong(slot(s, c, i), &seen, 0))
            return;
    }
}

enum ng_ntlm_challenge_kind ng_ntlm_challenge_lookup(const uint8_t challenge[8])
{
    struct challenge_set *s = atomic_load(&the_set);
    uint64_t c;
    memcpy(&c, challenge, sizeof(c));
    if (s == NULL || c == 0 || c == NAME_CHECKED_TAG)
        return NG_NTLM_CHALLENGE_NOT_OURS;
    for (unsigned i = 0; i < NG_NTLM_CHALLENGE_WINDOW; i++) {
        uint64_t v = atomic_load(slot(s, c, i));
        if (v == c)
            return NG_NTLM_CHALLENGE_UNNAMED;
        if (v == (c ^ NAME_CHECKED_TAG))
            return NG_NTLM_CHALLENGE_NAME_CHECKED;
    }
    return NG_NTLM_CHALLENGE_NOT_OURS;
}

bool ng_ntlm_challenge_outstanding(const uint8_t challenge[8])
{
    return ng_ntlm_challenge_lookup(challenge) != NG_NTLM_CHALLENGE_NOT_OURS;
}
