/* Kerberos SPNEGO tokens made before the timed phase: MIT gss_init_sec_context (SPNEGO, mutual
 * authentication) against the throwaway realm of tests/harness, alice -> HTTP@localhost. Each
 * token is an initial context token whose AP-REQ carries a fresh authenticator, so an acceptor
 * that honours replay detection accepts each token once. The pool only grows: every consumer
 * walks it with its own cursor, so two acceptors see the same tokens in the same order. */
#ifndef NEGRING_BENCH_TOKEN_POOL_H
#define NEGRING_BENCH_TOKEN_POOL_H

#include <stddef.h>
#include <stdint.h>

struct ng_test_realm;

struct bench_token {
    uint8_t *data;
    size_t len;
};

/* Starts the realm on first use (exporting KRB5_CONFIG, KRB5_KTNAME, KRB5CCNAME, ...); NULL
 * with a message on stderr when it cannot. */
struct ng_test_realm *bench_realm(void);

/* Makes tokens until the pool holds at least n; 0 on success. Not thread-safe (call from the
 * benchmark body before the timed loop, thread 0 only). */
int bench_pool_ensure(size_t n);
/* Token i (i below what bench_pool_ensure guaranteed). */
const struct bench_token *bench_pool_token(size_t i);

#endif
