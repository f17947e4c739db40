/* Where negring-load's client tokens come from: libnegring's own initiator
 * (InitializeSecurityContextA), Kerberos from the default ccache or NTLM from an explicit
 * identity. A pool is made before the timed phase, each token used once so the server's replay
 * cache sees no repeats; live tokens are made by the worker threads during the run. */
#ifndef NEGRING_LOADGEN_TOKENS_H
#define NEGRING_LOADGEN_TOKENS_H

#include <negring/sspi.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "options.h"

/* One leg's output: base64 text for HTTP, the token bytes for the raw protocol (owned, freed by
 * lg_token_release). ctx is the initiator context when one is kept (live mode, --verify, or
 * multi-leg); it is deleted by lg_token_release. */
struct lg_token {
    uint8_t *data;
    uint32_t len;
    bool has_ctx;
    bool complete; /* the initiator returned SEC_E_OK: nothing left to verify */
    CtxtHandle ctx;
};

struct lg_auth {
    CredHandle cred;
    ULONG req;
    bool base64; /* HTTP wants base64, the raw protocol bytes */
    const char *service;
    const uint8_t *bindings; /* SEC_CHANNEL_BINDINGS for every leg (--channel-bindings), or NULL */
    size_t bindings_len;
};

/* Acquires OUTBOUND credentials for o's mechanism; prints the reason and returns false when
 * that fails (no ccache, wrong NTLM password, unknown package). */
bool lg_auth_init(struct lg_auth *a, const struct lg_options *o);
void lg_auth_free(struct lg_auth *a);

/* The first leg; keep_ctx false deletes the context at once (a pool token never continued). */
SECURITY_STATUS lg_auth_first(const struct lg_auth *a, bool keep_ctx, struct lg_token *out);
/* A further leg on t->ctx with the server's token (raw bytes); t->data is replaced by the next
 * token, or emptied (len 0) when there is nothing more to send. SEC_E_OK means the context is
 * complete (the server's mutual-auth token verified). */
SECURITY_STATUS lg_auth_next(const struct lg_auth *a, struct lg_token *t, const uint8_t *in,
                             size_t in_len);
void lg_token_release(struct lg_token *t);

struct lg_pool {
    struct lg_token *tokens;
    uint64_t size;
    _Atomic uint64_t next;
};

/* Makes `size` first-leg tokens with `threads` threads; false (with a message) if any failed. */
bool lg_pool_make(struct lg_pool *p, const struct lg_auth *a, uint64_t size, unsigned threads,
                  bool keep_ctx, bool progress);
/* The next unused token, or NULL once the pool is spent. Thread-safe. */
struct lg_token *lg_pool_take(struct lg_pool *p);
void lg_pool_free(struct lg_pool *p);

#endif
