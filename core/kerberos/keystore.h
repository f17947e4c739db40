/* Service keys held in memory: read once from a keytab when credentials are acquired (or
 * reloaded), then looked up per AP-REQ with no file I/O and no lock. The keys are immutable
 * once built; the ticket cache of tickets decrypted with them (ticket_cache.h) hangs off the
 * keystore, so a reload, which replaces the keystore, starts with an empty cache. */
#ifndef NEGRING_CORE_KEYSTORE_H
#define NEGRING_CORE_KEYSTORE_H

#include <krb5/krb5.h>
#include <stdbool.h>

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
 * not NULL, keeps only that principal's keys ("HTTP/host" or "HTTP/host@REALM").
 * NG_ERR_NO_CREDENTIALS when the keytab is missing or holds no matching key. */
ng_status ng_keystore_load(krb5_context ctx, const char *keytab_name, const char *only,
                           struct ng_keystore **out);
void ng_keystore_free(struct ng_keystore *ks);

/* Keystores replaced by a reload form a list (newest first) until their owner goes; retiring
 * one empties its ticket cache. */
void ng_keystore_retire(_Atomic(struct ng_keystore *) *list, struct ng_keystore *ks);
void ng_keystore_free_chain(struct ng_keystore *ks);

/* The key for a ticket's sname/realm/enctype/kvno (has_kvno false: the newest). Fails with
 * NG_ERR_NO_AUTHORITY when no key of that realm is held, NG_ERR_WRONG_PRINCIPAL when the
 * service is not ours, NG_ERR_LOGON_DENIED when the principal is ours but the enctype/kvno
 * is not. The key lives as long as the keystore. */
ng_status ng_keystore_find(const struct ng_keystore *ks, const struct ng_principal_ref *server,
                           krb5_enctype enctype, bool has_kvno, krb5_kvno kvno,
                           const krb5_keyblock **key);

size_t ng_keystore_count(const struct ng_keystore *ks);

struct ng_ticket_cache;
/* The cache of tickets decrypted with this keystore's keys; lives as long as the keystore. */
struct ng_ticket_cache *ng_keystore_tickets(const struct ng_keystore *ks);

#endif
