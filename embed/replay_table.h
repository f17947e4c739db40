/* A replay table that several processes share: the Kerberos authenticators accepted by any of
 * them (nginx workers, Squid helper children), so an authenticator accepted by one is refused
 * by all. libnegring's own replay cache is per process; this one sits in memory the processes
 * map together (an nginx shared memory zone, a file under /dev/shm or /var/tmp), beside it.
 *
 * Open addressing over 2^slots_log2 64-bit words: 40 bits of a keyed fingerprint (HMAC-SHA256
 * under a random key kept in the region, so no client can aim keys at one probe window) and
 * 24 bits of expiry in 4-second ticks. A claim is one compare-and-swap; no lock, so a process
 * killed at any instant leaves the table consistent. Of concurrent inserts of one key at most
 * one is FRESH (each claims a slot, then looks for a twin; see replay_table.c).
 *
 * A full probe window (32 live entries) makes an insert NE_REPLAY_FULL: the caller fails closed
 * (no login is let through unchecked). Size the table at twice the Kerberos logins of one
 * lifetime: logins/s x 2 x clock skew; 2^22 slots (32 MiB) hold 3,500 logins/s at 300 s. */
#ifndef NEGRING_EMBED_REPLAY_TABLE_H
#define NEGRING_EMBED_REPLAY_TABLE_H

#include <nettle/hmac.h>
#include <stddef.h>
#include <stdint.h>

#define NE_REPLAY_WINDOW       32                     /* slots probed per key */
#define NE_REPLAY_TICK         4                      /* seconds per expiry tick */
#define NE_REPLAY_MAX_LIFETIME (NE_REPLAY_TICK << 20) /* 48 days: longer lifetimes are cut */

struct ne_replay_region; /* the shared bytes: a header, then the slots */

/* One process's (one thread's) view of a region: the region and its keyed hash. */
struct ne_replay_table {
    struct ne_replay_region *region;
    uint64_t mask;
    struct hmac_sha256_ctx keyed; /* state after the key: reused for every fingerprint */
};

enum ne_replay_verdict {
    NE_REPLAY_FRESH, /* first time seen: recorded */
    NE_REPLAY_SEEN,  /* recorded before and not expired: a replay */
    NE_REPLAY_FULL,  /* no room in the key's probe window: refuse the login */
};

/* Bytes a region of 2^slots_log2 slots takes. */
size_t ne_replay_region_size(unsigned slots_log2);
/* The most slots (as a log2, at least 5) whose region fits in `len` bytes; 0 when none does. */
unsigned ne_replay_slots_log2_for(size_t len);
/* Writes an empty table over `len` zeroed bytes at `region`, with a fresh random key. Done
 * once, by whoever creates the shared memory, before any process attaches. -1 when `len`
 * holds no table or no random bytes could be had. */
int ne_replay_region_format(void *region, size_t len);
/* Attaches to a formatted region of `len` bytes; -1 when it is not one (or does not fit). */
int ne_replay_table_attach(struct ne_replay_table *t, void *region, size_t len);

/* Records `key` (untrusted bytes, read only during the call) until `expires` (seconds, the
 * same clock as `now`; lifetimes past NE_REPLAY_MAX_LIFETIME are cut to it). Lock-free: any
 * number of processes may insert into one region at once, each through its own table. */
enum ne_replay_verdict ne_replay_insert(struct ne_replay_table *t, const uint8_t *key,
                                        size_t key_len, int64_t now, int64_t expires);

#endif
