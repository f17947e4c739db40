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

#include "class_stats.h"
#include "options.h"

/* One leg's output: base64 text for HTTP, the token bytes for the raw protocol (owned, freed by
 * lg_token_release). ctx is the initiator context when one is kept (live mode, --verify, or
 * multi-leg); it is deleted by lg_token_release. */
struct lg_token {
    uint8_t *data;
    uint32_t len;
    bool has_ctx;
    bool complete;       /* the initiator returned SEC_E_OK: nothing left to verify */
    enum lg_class klass; /* a population's first use or repeat (population.h); else repeat */
    CtxtHandle ctx;
};

struct lg_auth {
    CredHandle cred; /* none with --users: each user has its own (population.h) */
    bool has_cred;
    ULONG req;
    bool base64; /* HTTP wants base64, the raw protocol bytes */
    const char *service;
    const uint8_t *bindings; /* SEC_CHANNEL_BINDINGS for every leg (--channel-bindings), or NULL */
    size_t bindings_len;
};

/* Acquires OUTBOUND credentials for o's mechanism; prints the reason and returns false when
 * that fails (no ccache, wrong NTLM password, unknown package). With --users only the settings
 * are taken: a population's users bring their own credentials. */
bool lg_auth_init(struct lg_auth *a, const struct lg_options *o);
void lg_auth_free(struct lg_auth *a);

/* The first leg; keep_ctx false deletes the context at once (a pool token never continued). */
SECURITY_STATUS lg_auth_first(const struct lg_auth *a, bool keep_ctx, struct lg_token *out);
/* The same with other OUTBOUND credentials than a's (a population's user). */
SECURITY_STATUS lg_auth_first_as(const struct lg_auth *a, const CredHandle *cred, bool keep_ctx,
                                 struct lg_token *out);
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

/* Makes token i of a pool, on any thread and in any order; returns InitializeSecurityContext's
 * status (SEC_E_OK or SEC_I_CONTINUE_NEEDED: made). */
typedef SECURITY_STATUS lg_token_maker(void *arg, uint64_t i, struct lg_token *out);
struct lg_pool_failure {
    uint64_t index; /* the token that failed, or LG_POOL_NO_TOKEN */
    SECURITY_STATUS status;
};
#define LG_POOL_NO_TOKEN UINT64_MAX /* the pool itself could not be allocated (said on stderr) */
/* Makes `size` tokens with `threads` threads calling make; after the first failure no new token
 * is begun, the pool is freed and false returned with that failure. `label` names the work on
 * the progress line (NULL: no progress line). */
bool lg_pool_fill(struct lg_pool *p, uint64_t size, unsigned threads, lg_token_maker *make,
                  void *arg, const char *label, struct lg_pool_failure *failure);
/* The next unused token, or NULL once the pool is spent. Thread-safe. */
struct lg_token *lg_pool_take(struct lg_pool *p);
void lg_pool_free(struct lg_pool *p);

#endif
