/* What negring's own programs use of the core beyond the SSPI API (include/negring/): the NTLM
 * account file's lines and NT hash for tools/negring-user, and the core's lock-free tables,
 * the acceptor's ticket cache and the SPNEGO codec for the micro-benchmarks in bench/micro. Not
 * installed and not for embedders: no ABI promise. Each function wraps a core module
 * (negring_internal.c) without copying its logic. Integer results: 0 on success, -1 on failure.
 * Thread safety is the wrapped module's, stated beside each group. */
#ifndef NEGRING_INTERNAL_H
#define NEGRING_INTERNAL_H

#include <negring/sspi.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- The NTLM account file (docs/ntlm.md): pure functions ------------------------------ */

enum { NEGRING_ACCOUNT_LINE_MAX = 1024, NEGRING_ACCOUNT_NAME_MAX = 256 };

struct negring_account {
    char domain[NEGRING_ACCOUNT_NAME_MAX];
    char user[NEGRING_ACCOUNT_NAME_MAX];
    uint8_t nt_hash[16];
    bool disabled;
};

/* One "DOMAIN:user:NTHASH:flags" line: -1 when malformed; *is_entry false for comments and
 * blank lines. */
int negring_account_parse(const char *line, struct negring_account *out, bool *is_entry);
/* The line for `a` (no newline), cut to `size` bytes with its terminator. */
void negring_account_format(const struct negring_account *a, char *out, size_t size);
/* MD4 of the UTF-16LE password (MS-NLMP §3.3.1); -1 when it is not valid UTF-8 or too long. */
int negring_nt_hash(const char *password, size_t len, uint8_t hash[16]);

/* ---- The handle table (any number of threads, no lock; create and destroy alone) ----- */

struct negring_handle_table;
struct negring_handle {
    uintptr_t lower, upper;
};
/* A table of up to 2^24 handles whose objects need no destructor. */
int negring_handle_table_create(struct negring_handle_table **out);
void negring_handle_table_destroy(struct negring_handle_table *t);
int negring_handle_insert(struct negring_handle_table *t, void *obj, struct negring_handle *out);
int negring_handle_acquire(struct negring_handle_table *t, struct negring_handle h, void **obj);
void negring_handle_release(struct negring_handle_table *t, struct negring_handle h);
int negring_handle_remove(struct negring_handle_table *t, struct negring_handle h);

/* ---- The replay cache (any number of threads, no lock) ------------------------------- */

struct negring_replay_cache;
/* 2^log2_slots slots; lives until the process exits, as the acceptor's does. */
int negring_replay_cache_create(struct negring_replay_cache **out, unsigned log2_slots);
/* Records a 16-byte key seen at Unix time `now`, kept until `expires_at`: -1 when it was there
 * already (a replay) or could not be recorded. */
int negring_replay_check_and_insert(struct negring_replay_cache *c, const uint8_t key[16],
                                    int64_t now, int64_t expires_at);

/* ---- Acceptor credentials' ticket cache (any thread, beside accepts) ------------------ */

/* Empties the Kerberos ticket cache of the credentials' current keys, as a key reload would but
 * keeping the keys and the cache's table: each ticket's next accept is its first use in a warm
 * server. -1 for a handle of no credentials, or of credentials with no Kerberos keys. */
int negring_forget_tickets(const CredHandle *cred);

/* ---- The SPNEGO codec (RFC 4178): pure functions -------------------------------------- */

/* A NegTokenInit offering Kerberos (both OIDs) and NTLM, with `mech_token` as the optimistic
 * token, into out[0..cap): its length, or 0 when it does not fit. */
size_t negring_spnego_encode_init(uint8_t *out, size_t cap, const uint8_t *mech_token,
                                  size_t token_len);
/* An accept-completed NegTokenResp naming Kerberos with `response` (an AP-REP): as above. */
size_t negring_spnego_encode_accept(uint8_t *out, size_t cap, const uint8_t *response,
                                    size_t response_len);
/* Parses any SPNEGO token: -1 when malformed. */
int negring_spnego_parse(const uint8_t *token, size_t len);

#endif
