/* The farm's revocations and reloads (docs/farm.md): `ringserver --revoke USER` on any node, with
 * shared-store, adds USER to the sorted set prefix+"revoked" (score: the second up to which the
 * user's sessions are refused; ZADD GT keeps the latest) and bumps prefix+"revoked:generation".
 * Every node's main thread reads the generation every shared-store-poll and, when it moved,
 * the whole set, and publishes a revocation snapshot holding the file's entries and the
 * farm's (revocation.h: workers switch to it within one turn of their loop). A revocation thus
 * holds on every node within shared-store-poll + shared-store-timeout + one worker turn (50 ms).
 *
 * `ringserver --reload-farm` bumps prefix+"reload:generation"; a node that sees it move reloads
 * as on SIGHUP (keytab, NTLM accounts, cookie key, secrets, revocations), within the same bound:
 * the second step of a rolling key rotation once the new files are on every node.
 *
 * The main thread, not a ring thread: the snapshot is published there (the epochs of
 * server.h), a poll is one small round trip a second, and blocking I/O bounded by
 * shared-store-timeout is allowed there (store_sync.h). While the store cannot be read the
 * last snapshot stays and the failure is logged once. What a node has read it keeps (the later
 * time per user wins), so a store restarted empty lifts no revocation.
 *
 * Memory: the entries are kept in an array searched linearly on each merge (a merge happens
 * when the generation moves, i.e. per revocation): O(n^2) for n revocations, fine for the
 * thousands an operator makes by hand. */
#ifndef RINGSERVER_SHARED_REVOCATIONS_H
#define RINGSERVER_SHARED_REVOCATIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "revocation.h"
#include "secret.h"

struct rs_shared_revoked {
    char *user;
    uint64_t before;
};

/* What the main thread last read from the store. */
struct rs_shared_revocations {
    bool known;                /* read at least once */
    int64_t generation;        /* the store's revocation generation when read */
    int64_t reload_generation; /* the store's reload generation when read */
    struct rs_shared_revoked *entries;
    size_t n;
    bool failing; /* the last poll failed (logged once) */
};

/* What a poll found (bits). */
enum { RS_FARM_REVOKED = 1, RS_FARM_RELOAD = 2 };

/* Reads both generations and, when the revocations' moved, the set. RS_FARM_REVOKED: the entries
 * changed (publish a new snapshot); RS_FARM_RELOAD: reload as on SIGHUP (never on the first
 * read); 0: nothing new, or the store could not be read (logged once). */
int rs_shared_revocations_poll(struct rs_shared_revocations *s, const struct rs_config *cfg,
                               const struct rs_secret *password);
/* Adds the farm's entries to a snapshot (then sealed). 0, or -1 (no memory). */
int rs_shared_revocations_apply(const struct rs_shared_revocations *s, struct rs_revocation *r);
void rs_shared_revocations_free(struct rs_shared_revocations *s);
/* `ringserver --reload-farm`. 0, or -1 with a message. */
int rs_shared_reload_farm(const struct rs_config *cfg, const struct rs_secret *password, char *err,
                          size_t errlen);
/* `ringserver --revoke USER` with shared-store. 0, or -1 with a message. */
int rs_shared_revoke(const struct rs_config *cfg, const struct rs_secret *password,
                     const char *user, uint64_t now, char *err, size_t errlen);

#endif
