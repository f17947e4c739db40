/* The Kerberos accept for a ticket already in the ticket cache (ticket_cache.h): only the
 * authenticator is decrypted (key usage 11, with the keys the ticket's entry derived once),
 * decoded with our DER reader and checked as libkrb5's krb5_rd_req would (client matches the
 * ticket, ticket times, clock skew, RFC 4537 enctype negotiation), then the shared checks run
 * (krb5_accept_checks.h) and the AP-REP is built (key usage 12) with a fresh acceptor subkey.
 * The crypto is nettle's (krb5_aes.h), the AES enctypes only.
 *
 * Anything the cached path does not settle the same way krb5_rd_req would (a cache miss, a
 * failed decryption, unusual authorization data, delegation, non-RFC 4121 enctypes, any
 * failure of the checks libkrb5 makes) is left to the libkrb5 path: *handled is false and
 * nothing was changed, in the context or the replay cache. */
#ifndef NEGRING_CORE_KRB5_CACHED_ACCEPT_H
#define NEGRING_CORE_KRB5_CACHED_ACCEPT_H

#include <krb5/krb5.h>

#include "krb5_ap_req.h"
#include "krb5_state.h"
#include "ticket_cache.h"
#include "writer.h"

/* When *handled, the result of the accept (NG_OK: the session in `st`, the names, lifetime and
 * ret_flags in ctx, AP-REP framed into `out` if the client asked for mutual authentication). */
ng_status ng_krb5_cached_accept(struct ng_context *ctx, struct ng_krb5_state *st, krb5_context kctx,
                                struct ng_ticket_cache *tc, const struct ng_krb5_ap_req *req,
                                struct ng_slice bindings, struct ng_writer *out, bool *handled);

/* The same accept for a ticket entry in hand (the first use of a ticket, krb5_first_use.h, makes
 * one before the cache holds it). */
ng_status ng_krb5_accept_ticket_entry(struct ng_context *ctx, struct ng_krb5_state *st,
                                      krb5_context kctx, struct ng_ticket_entry *e,
                                      const struct ng_krb5_ap_req *req, struct ng_slice bindings,
                                      struct ng_writer *out, bool *handled);

/* After krb5_rd_req accepted `req`: puts what `ticket` (its decryption) says into `tc`, so the
 * client's next AP-REQs with it take the cached path. `pac`: the ticket's PAC after it
 * verified (pac_verify.h), or empty. Best effort: a failure only costs speed. */
void ng_krb5_cache_ticket(krb5_context kctx, struct ng_ticket_cache *tc,
                          const struct ng_krb5_ap_req *req, const krb5_ticket *ticket,
                          struct ng_slice pac);

/* Reads now what the cached path takes from the thread's krb5_context (permitted enctypes,
 * clockskew), so the thread's first cached accept does not
 * (SECPKG_CRED_ATTR_NEGRING_PREPARE_THREAD). */
void ng_krb5_cached_accept_prepare(krb5_context kctx);

/* Accepts the calling thread has completed through the cached path (statistics, tests). */
uint64_t ng_krb5_cached_accept_count(void);

#endif
