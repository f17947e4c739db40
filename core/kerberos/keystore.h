/* Service keys held in memory: read once from a keytab when credentials are acquired (or
 * reloaded), then looked up per AP-REQ with no file I/O and no lock. The keys are immutable
 * once built; the ticket cache of tickets decrypted with them (ticket_cache.h) hangs off the
 * keystore, so a reload, which replaces the keystore, starts with an empty cache. */
#ifndef NEGRING_CORE_KEYSTORE_H
#define NEGRING_CORE_KEYSTORE_H

#include <krb5/krb5.h>
#include <stdbool.h>

#include "krb5_aes.h"
#include "slice.h"
#include "status.h"

struct ng_keystore;

/* A service principal as it appears in a ticket: realm and name components (slices into the
 * AP-REQ being processed). */
struct ng_principal_ref {
    struct ng_slice realm;
    struct ng_slice components[8];
    size_t ncomponents;
};

/* Loads every key of `keytab_name` (NULL: KRB5_KTNAME or the default keytab). When `only` is
 * not NULL ("HTTP/host" or "HTTP/host@REALM"; without a realm, the default realm) the keystore
 * is restricted to that service: it keeps only the keys of the names that match it as Windows
 * and Active Directory match SPNs (ng_keystore_find) and accepts tickets only for those names.
 * NG_ERR_NO_CREDENTIALS when the keytab is missing or holds no matching key. */
ng_status ng_keystore_load(krb5_context ctx, const char *keytab_name, const char *only,
                           struct ng_keystore **out);
void ng_keystore_free(struct ng_keystore *ks);

/* Keystores replaced by a reload form a list (newest first) until their owner goes; retiring
 * one empties its ticket cache. */
void ng_keystore_retire(_Atomic(struct ng_keystore *) *list, struct ng_keystore *ks);
void ng_keystore_free_chain(struct ng_keystore *ks);

/* A ticket, as far as choosing its key goes: the service it names, its EncryptedData's enctype
 * and kvno (has_kvno false: none given), and the ciphertext (slices into the AP-REQ). */
struct ng_key_query {
    const struct ng_principal_ref *server;
    krb5_enctype enctype;
    bool has_kvno;
    krb5_kvno kvno;
    struct ng_slice cipher;
};

/* The key for a ticket; it lives as long as the keystore.
 *
 * Names compare as Active Directory compares SPNs (MS-ADTS: servicePrincipalName is a
 * case-insensitive attribute; MS-KILE §3.3.5: the KDC finds the account by any of its SPNs):
 * the name components without regard to ASCII case, the realm exactly. A key of the
 * ticket's name, enctype and kvno is taken at once (the newest when the ticket gives no kvno).
 * Otherwise every key of the ticket's enctype that may serve is tried on the ticket, as MIT's
 * acceptor tries every keytab entry (krb5_rd_req without a server): those of the ticket's name
 * whatever their kvno, and — when the keystore is not restricted to one service — those of
 * every other name of the realm (AD gives all of an account's SPNs one key, so a ticket for an
 * alias opens with the key exported under another spelling).
 *
 * Failures: NG_ERR_NO_AUTHORITY (no key of the realm), NG_ERR_WRONG_PRINCIPAL (restricted to
 * another service, or no key of the realm opens a ticket for a name we do not hold),
 * NG_ERR_STALE_KEY (the name is ours but no key of the ticket's enctype/kvno opens it). `why`
 * (may be NULL) receives a sentence naming the ticket's kvno and enctype against those held. */
ng_status ng_keystore_find(krb5_context kctx, const struct ng_keystore *ks,
                           const struct ng_key_query *q, const krb5_keyblock **key, char *why,
                           size_t why_len);

/* Whether `key` opens the ticket of `q` (its EncryptedData, key usage 2). */
bool ng_keystore_key_opens(krb5_context kctx, const krb5_keyblock *key,
                           const struct ng_key_query *q);

/* What a service key derives for the first use of a ticket (krb5_first_use.c), made when the
 * keystore is loaded: the ticket's encryption keys (key usage 2) and the PAC server signature's
 * checksum key (usage 17). NULL for an enctype not on our AES code (krb5_aes.h), or for a `key`
 * that is not one ng_keystore_find returned from `ks`. Lives as long as the keystore. */
struct ng_service_key_schedule {
    struct ng_krb5_aes_keys ticket;
    struct ng_krb5_hmac_key pac_server;
};
const struct ng_service_key_schedule *ng_keystore_schedule(const struct ng_keystore *ks,
                                                           const krb5_keyblock *key);

size_t ng_keystore_count(const struct ng_keystore *ks);

struct ng_ticket_cache;
/* The cache of tickets decrypted with this keystore's keys; lives as long as the keystore. */
struct ng_ticket_cache *ng_keystore_tickets(const struct ng_keystore *ks);

#endif
