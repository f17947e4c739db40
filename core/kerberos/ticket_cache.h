/* A cache of decrypted service tickets, so that a client reusing its ticket (for hours, as every
 * HTTP client does) costs one authenticator decryption per handshake instead of a ticket
 * decryption, a PAC verification and fresh key derivations (RFC 4120 §3.2.3 lets a server keep
 * what a ticket told it for the ticket's lifetime).
 *
 * Keyed on the whole Ticket as received (realm, sname, etype, kvno and ciphertext): a hit
 * compares every byte, so a ticket differing in any bit is a miss and is decrypted again. Only
 * tickets that decrypted with our key and were accepted (by krb5_rd_req, or by the first-use
 * path's same checks, krb5_first_use.h) are ever inserted. The bucket index comes from the
 * last 16 bytes of the ticket, the MAC of its encryption (RFC 3961 §5.3): for a real ticket
 * they are a keyed hash the client cannot steer, mixed with a per-cache random seed.
 *
 * Bounded: 2^slots_log2 entries (NEGRING_TICKET_CACHE_LOG2 for a keystore's cache: 16,384 by
 * default, so that a population of ten thousand users' tickets is held); an entry is dropped when
 * its ticket expires (endtime plus the clock skew libkrb5 allows, `skew` below) or when a newer
 * ticket needs its slot. One cache hangs off each keystore, so a key reload starts an empty one and
 * clears the old.
 *
 * Thread safety: every function but create/destroy may be called from any number of threads at
 * once, with no lock. A slot is one 64-bit word: the entry pointer and a count of readers
 * pinning it; a lookup pins the slot (fetch-add), takes a reference on a matching entry and
 * unpins, and a slot is only replaced by a CAS that finds no reader, so an entry is never freed
 * under a reader (the 16-bit count assumes fewer than 65536 threads). Entries are
 * reference-counted and freed (key wiped) by the last user. */
#ifndef NEGRING_CORE_TICKET_CACHE_H
#define NEGRING_CORE_TICKET_CACHE_H

#include <krb5/krb5.h>
#include <stdatomic.h>
#include <stdint.h>

#include "krb5_aes.h"
#include "slice.h"
#include "status.h"

/* Slots probed per ticket: at 60 % of the capacity (10,000 users in 16,384 slots) a window of 8
 * overflows for one ticket in a hundred, whose user then pays a first use at every login; 16
 * holds all but one in a thousand. Probing a slot of another ticket costs one load (the tag,
 * ticket_cache.c). */
#define NG_TICKET_CACHE_WINDOW 16u
/* NEGRING_TICKET_CACHE_LOG2's range and default (keystore.c). */
#define NG_TICKET_CACHE_MIN_LOG2     4u
#define NG_TICKET_CACHE_MAX_LOG2     24u
#define NG_TICKET_CACHE_DEFAULT_LOG2 14u

/* What decrypting a ticket gave. Read-only once inserted. */
/* The keys the session key derives for what the cached accept path encrypts: the authenticator
 * (RFC 4120 key usage 11) and the AP-REP's encrypted part (usage 12). Read-only once made. */
struct ng_ticket_keys {
    struct ng_krb5_aes_keys authenticator;
    struct ng_krb5_aes_keys ap_rep;
};

struct ng_ticket_entry {
    atomic_uint refs;
    uint64_t id; /* unique in the process */
    uint64_t hash;
    uint8_t *ticket; /* copy of the Ticket TLV */
    size_t ticket_len;
    krb5_keyblock session; /* contents owned, wiped on free */
    krb5_principal client; /* from the ticket's encrypted part */
    char *client_name;     /* "user@REALM" */
    char *server_name;     /* "service/host@REALM" */
    uint8_t *pac;          /* the ticket's PAC once verified (pac_verify.h), or NULL */
    size_t pac_len;
    int64_t auth_time, start_time, end_time; /* seconds since the Unix epoch */
    struct ng_ticket_keys *keys; /* AES session keys (krb5_aes.h); NULL for other enctypes */
    /* The client's owner class in the process's replay cache plus one, 0 until an accept first
     * needed it (krb5_accept_checks.c): a keyed hash of the client's name, the same for every
     * accept of the ticket, so made once. Written by any thread, the same value by each. */
    atomic_uint replay_class;
};

struct ng_ticket_cache;

/* A cache of 2^slots_log2 entries (NG_TICKET_CACHE_MIN_LOG2..MAX_LOG2); its slot words, 8 bytes
 * each, are allocated now (backed as they are touched, or by ng_ticket_cache_back), the entries
 * made as tickets come. */
ng_status ng_ticket_cache_create(unsigned slots_log2, struct ng_ticket_cache **out);
/* Backs every slot page now (ng_pages_touch; SECPKG_CRED_ATTR_NEGRING_PREPARE_THREAD), so a fresh
 * process's first accepts take no page fault on the cache. Not done at creation: a key reload
 * makes a new cache and keeps the old one until the credentials go, and only the caches in use
 * should hold memory. Idempotent; may run beside lookups and inserts. */
void ng_ticket_cache_back(struct ng_ticket_cache *tc);
/* Drops every entry (entries in use live on until released). Must not race with anything. */
void ng_ticket_cache_destroy(struct ng_ticket_cache *tc);
/* Drops every entry; may run beside lookups and inserts (an insert racing with it may
 * survive it). */
void ng_ticket_cache_clear(struct ng_ticket_cache *tc);

/* The entry for exactly these Ticket bytes, with a reference the caller drops with
 * ng_ticket_entry_release; NULL when absent or when the ticket has expired at `now` (later than
 * its end time plus `skew` seconds). */
struct ng_ticket_entry *ng_ticket_cache_get(struct ng_ticket_cache *tc, struct ng_slice ticket,
                                            int64_t now, int64_t skew);

/* Makes an entry from a ticket just decrypted (`ticket` as libkrb5 decodes it, or a view of the
 * first-use path's decoding; `ticket_der` the Ticket TLV it came from; `pac` its PAC once
 * verified, pac_verify.h / pac_signature.h, or
 * empty: copied). The caller owns *out (ng_ticket_entry_release). */
ng_status ng_ticket_entry_new(krb5_context kctx, struct ng_slice ticket_der,
                              const krb5_ticket *ticket, struct ng_slice pac,
                              struct ng_ticket_entry **out);

/* Inserts `e` (the cache takes its own reference; the caller keeps its one). Best effort: when
 * the ticket is already cached, or every slot of its window is busy with a live entry being
 * read right now, nothing happens. Expired entries and, failing those, the one expiring first
 * make room. */
void ng_ticket_cache_put(struct ng_ticket_cache *tc, struct ng_ticket_entry *e, int64_t now,
                         int64_t skew);

/* Another reference on an entry the caller holds one on, dropped with ng_ticket_entry_release. */
void ng_ticket_entry_hold(struct ng_ticket_entry *e);
void ng_ticket_entry_release(struct ng_ticket_entry *e);

/* Entries currently in the cache (a snapshot under concurrency). */
size_t ng_ticket_cache_count(struct ng_ticket_cache *tc);
/* How many entries it can hold. */
size_t ng_ticket_cache_capacity(const struct ng_ticket_cache *tc);

#endif
