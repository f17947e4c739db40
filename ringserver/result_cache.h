/* Short-lived cache of final handshake answers, keyed on UMAC-128(client id, token) under a key
 * drawn when the cache is made: a keyed universal hash, so that nobody without the key can make
 * two tokens meet in the cache, and cheaper per byte than SHA-256, which was 9 % of ringserver's
 * time on keep-alive Kerberos (docs/benchmarks.md).
 *
 * Why: Kerberos replay detection stays on in libnegring, but real clients re-send a token they
 * already sent on the same connection (nginx auth_request subrequests, a browser retrying). Such
 * a re-send gets the answer already computed; the same token from any other client misses the
 * cache, reaches the library, and is refused as a replay. The client id is the TCP peer
 * (address:port, i.e. the connection) or, on auth_request listeners, the value of a header the
 * trusted front-end sets to name its client's connection.
 *
 * Thread safety: any number of workers at once; the table is split into independently locked
 * shards (no global lock), each critical section a few copies. */
#ifndef RINGSERVER_RESULT_CACHE_H
#define RINGSERVER_RESULT_CACHE_H

#include <negring/sspi.h>
#include <stddef.h>
#include <stdint.h>

struct rs_result_cache;

struct rs_cached_result {
    SECURITY_STATUS status;
    char user[256];
    char package[32];
    uint8_t token[512];
    size_t token_len;
};

/* entries: 0 disables the cache (create returns NULL and every call is a no-op). */
struct rs_result_cache *rs_result_cache_create(unsigned entries, unsigned ttl_s);
void rs_result_cache_free(struct rs_result_cache *c);

#define RS_RESULT_KEY_LEN 16

/* The key of `tok` from `client_id` in this cache (the cache must exist). */
void rs_result_cache_key(const struct rs_result_cache *c, const char *client_id, const uint8_t *tok,
                         size_t len, uint8_t key[RS_RESULT_KEY_LEN]);
/* 1 and *out filled on a live hit, else 0. */
int rs_result_cache_get(struct rs_result_cache *c, const uint8_t key[RS_RESULT_KEY_LEN],
                        struct rs_cached_result *out);
/* Empties the cache (SIGHUP: an account disabled since must not find its answers). Any thread;
 * a put racing with it may survive it. */
void rs_result_cache_clear(struct rs_result_cache *c);
/* Results whose token does not fit are not cached. */
void rs_result_cache_put(struct rs_result_cache *c, const uint8_t key[RS_RESULT_KEY_LEN],
                         const struct rs_cached_result *r);

#endif
