#include "random.h"

#include <errno.h>
#include <nettle/aes.h>
#include <nettle/ctr.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>

/* One page per thread, wiped by the kernel in a fork child (MADV_WIPEONFORK, Linux 4.14):
 * `left` then reads 0 and the child refills from its own getrandom. */
struct pool {
    size_t left; /* unused bytes, at the start of `bytes` */
    uint8_t bytes[NG_RANDOM_POOL_SIZE];
};

static _Thread_local struct pool *thread_pool;
static _Thread_local bool thread_pool_unavailable;
static pthread_key_t pool_key;
static pthread_once_t pool_key_once = PTHREAD_ONCE_INIT;
static bool pool_key_ready;

static ng_status kernel_random(uint8_t *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = getrandom(buf, len, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return NG_ERR_INTERNAL;
        buf += n;
        len -= (size_t)n;
    }
    return NG_OK;
}

/* Runs in the ending thread, so later destructors there go straight to the kernel. */
static void free_pool(void *page)
{
    thread_pool = NULL;
    thread_pool_unavailable = true;
    explicit_bzero(page, sizeof(struct pool));
    munmap(page, sizeof(struct pool));
}

static void make_pool_key(void)
{
    pool_key_ready = pthread_key_create(&pool_key, free_pool) == 0;
}

/* The calling thread's pool, made on first use; NULL when none can be had. */
static struct pool *own_pool(void)
{
    if (thread_pool != NULL || thread_pool_unavailable)
        return thread_pool;
    thread_pool_unavailable = true;
    pthread_once(&pool_key_once, make_pool_key);
    if (!pool_key_ready)
        return NULL;
    void *page =
        mmap(NULL, sizeof(struct pool), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (page == MAP_FAILED)
        return NULL;
    if (madvise(page, sizeof(struct pool), MADV_WIPEONFORK) != 0 ||
        pthread_setspecific(pool_key, page) != 0) {
        munmap(page, sizeof(struct pool));
        return NULL;
    }
    thread_pool = page;
    thread_pool_unavailable = false;
    return thread_pool;
}

/* Fills the pool with the keystream of AES-256 in counter mode (nettle's, on AES-NI) under a key
 * fresh from the kernel, used for this one refill and wiped: the pool is as unpredictable as
 * that key (2 KiB is 128 blocks, far inside what AES as a pseudorandom permutation allows), and
 * every refill, in a fork child too, starts from new kernel bytes. Filling all 2 KiB with
 * getrandom ran the kernel's ChaCha20 in plain C over every byte: a twentieth of a cached
 * Kerberos accept in a perf profile of negring-bench (docs/benchmarks.md); 32 bytes of it and
 * the AES-NI keystream are a small part of that. */
static ng_status refill(struct pool *pool)
{
    uint8_t key[AES256_KEY_SIZE], counter[AES_BLOCK_SIZE] = {0};
    struct aes256_ctx aes;
    NG_GUARD(kernel_random(key, sizeof key));
    aes256_set_encrypt_key(&aes, key);
    explicit_bzero(key, sizeof key);
    memset(pool->bytes, 0, sizeof pool->bytes);
    ctr_crypt(&aes, (nettle_cipher_func *)aes256_encrypt, AES_BLOCK_SIZE, counter,
              sizeof pool->bytes, pool->bytes, pool->bytes);
    explicit_bzero(&aes, sizeof aes);
    pool->left = sizeof pool->bytes;
    return NG_OK;
}

ng_status ng_random_bytes(uint8_t *buf, size_t len)
{
    struct pool *pool = len <= NG_RANDOM_POOLED ? own_pool() : NULL;
    if (pool == NULL)
        return kernel_random(buf, len);
    if (pool->left < len)
        NG_GUARD(refill(pool));
    pool->left -= len;
    memcpy(buf, pool->bytes + pool->left, len);
    explicit_bzero(pool->bytes + pool->left, len);
    return NG_OK;
}
