/* The farm's replay check (docs/farm.md): a Kerberos authenticator one node accepted must be
 * refused by every other node within the clock skew, so after libnegring's own replay cache
 * accepted a login (local replays never cost a round trip) the node claims the authenticator in
 * the shared store with an atomic SET key 1 NX PX (2 x clock skew): the first claim wins, a key
 * that existed is a replay. The key is shared-store-prefix + "replay:" + hex(SHA-256(the
 * authenticator's ciphertext)), the bytes libnegring's cache and MIT's key on (embed's
 * authenticator_key.h finds them in a Negotiate or Kerberos token).
 *
 * The answer the protocol built for the login is held (not sent) until the store's verdict:
 * fresh, or store unavailable under local-only: sent as built; a replay, no authenticator found,
 * or store unavailable under fail-closed: replaced by the protocol's refusal (refuse_held), and
 * the connection closes after it. A result-cache entry for the answer is kept back with it.
 *
 * Worker thread only (the connection's). */
#ifndef RINGSERVER_SHARED_STATE_H
#define RINGSERVER_SHARED_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "result_cache.h"

struct rs_conn;

/* Where the farm's check of a connection's login stands. */
enum rs_claim {
    RS_CLAIM_NONE,        /* no check under way, nothing held */
    RS_CLAIM_PENDING,     /* asked, no answer yet: the answer waits */
    RS_CLAIM_ACCEPTED,    /* fresh, or local-only without a store */
    RS_CLAIM_REPLAY,      /* another node accepted it first, or no authenticator was found */
    RS_CLAIM_UNAVAILABLE, /* no store, fail-closed */
};

/* A result-cache entry kept back until the verdict accepts the login (its own allocation:
 * most connections never have one). */
struct rs_kept_result {
    struct rs_result_cache *cache;
    uint8_t key[RS_RESULT_KEY_LEN];
    struct rs_cached_result result;
};

/* A connection's part of the check, inline in the connection (no allocation that could fail
 * between a login and its check). */
struct rs_conn_claim {
    uint8_t authenticator[32]; /* SHA-256 of the last authenticator ciphertext seen */
    bool has_authenticator;
    bool held; /* the answer waits in c->out */
    enum rs_claim verdict;
    uint64_t ticket;             /* the store request waited on, 0: none */
    struct rs_kept_result *kept; /* owned; NULL: nothing kept back */
};

/* A leg's token, before libnegring sees it: notes the authenticator it carries (a login may
 * complete on a later leg than the one carrying it). A new handshake forgets the last one. */
void rs_shared_note_token(struct rs_conn *c, bool new_handshake, const uint8_t *tok, size_t len);
/* The login completed in Kerberos: starts the farm's check (a no-op without shared-store). */
void rs_shared_claim(struct rs_conn *c);
/* From rs_conn_send: true when the answer in c->out must wait for the verdict (it is held and
 * sent when the verdict comes); otherwise applies a verdict that came: a refusal replaces
 * c->out. */
bool rs_shared_hold(struct rs_conn *c);
/* An answer waits in c->out for the verdict (or, with it, for a TLS flight to be sent). */
bool rs_shared_held(const struct rs_conn *c);
/* Sends the held answer once its verdict has come and nothing else is being sent (a TLS
 * connection may be sending its session tickets when the store answers): from the store's
 * callback and from rs_conn_sent. true: rs_conn_send was called. */
bool rs_shared_resume(struct rs_conn *c);
/* A result-cache entry of the connection's answer: put now, or kept back until the verdict
 * accepts the login (not cached at all when there is no memory to keep it). */
void rs_shared_cache_put(struct rs_conn *c, struct rs_result_cache *cache,
                         const uint8_t key[RS_RESULT_KEY_LEN],
                         const struct rs_cached_result *result);
/* The connection closes: its check's answer is no longer waited for; what was kept back goes. */
void rs_shared_forget(struct rs_conn *c);

#endif
