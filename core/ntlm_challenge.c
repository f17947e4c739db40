#include "ntlm_challenge.h"

#include <pthread.h>
#include <stdbool.h>
#include <string.h>

#include "random.h"

struct pool {
    uint8_t bytes[NG_NTLM_CHALLENGE_POOL];
    size_t left; /* unused bytes, at the start of `bytes`; 0 in a new thread */
};

static _Thread_local struct pool pool;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;
static bool atfork_ready; /* else no pool: a fork child could repeat the parent's challenges */

/* Runs in a fork child, on the thread that forked (the only one the child has). */
static void empty_pool(void)
{
    explicit_bzero(&pool, sizeof(pool));
}

static void register_atfork(void)
{
    atfork_ready = pthread_atfork(NULL, NULL, empty_pool) == 0;
}

ng_status ng_ntlm_server_challenge(uint8_t out[8])
{
    pthread_once(&atfork_once, register_atfork);
    if (!atfork_ready)
        return ng_random_bytes(out, 8);
    if (pool.left < 8) {
        NG_GUARD(ng_random_bytes(pool.bytes, sizeof(pool.bytes)));
        pool.left = sizeof(pool.bytes);
    }
    pool.left -= 8;
    memcpy(out, pool.bytes + pool.left, 8);
    explicit_bzero(pool.bytes + pool.left, 8);
    return NG_OK;
}
