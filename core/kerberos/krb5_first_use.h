/* The first use of a ticket (one not yet in the ticket cache) without krb5_rd_req, for the
 * ordinary ticket: an AES enctype for the ticket and its session key, the client in the
 * service's realm with no realm crossed, no addresses, not INVALID, within its times, and
 * authorization data that is only AD-IF-RELEVANT holding a PAC and elements no libkrb5 plugin
 * acts on. The ticket is decrypted with nettle (key usage 2, krb5_aes.h), EncTicketPart decoded
 * with our DER reader (krb5_enc_ticket.h), the PAC proven good with the checks libkrb5 makes
 * (pac_signature.h); the ticket becomes a ticket-cache entry and the AP-REQ is accepted exactly as
 * a cached one (krb5_cached_accept.h). The entry enters the cache once that accept succeeded.
 *
 * Anything else, and any failure before the accept proper (decryption, decoding, a PAC not
 * proven good), leaves the AP-REQ to krb5_rd_req: *handled is false and nothing has changed, so
 * every refusal of a ticket carries libkrb5's verdict. The checks krb5_rd_req makes and where
 * each is made here: docs/kerberos.md. */
#ifndef NEGRING_CORE_KRB5_FIRST_USE_H
#define NEGRING_CORE_KRB5_FIRST_USE_H

#include <krb5/krb5.h>

#include "keystore.h"
#include "krb5_ap_req.h"
#include "krb5_state.h"
#include "writer.h"

/* When *handled, the result of the accept, as ng_krb5_cached_accept's. */
ng_status ng_krb5_first_use_accept(struct ng_context *ctx, struct ng_krb5_state *st,
                                   krb5_context kctx, const struct ng_keystore *ks,
                                   const struct ng_krb5_ap_req *req, struct ng_slice bindings,
                                   struct ng_writer *out, bool *handled);

/* Off: every first use goes through krb5_rd_req (the differential test compares the two; an
 * operator may want libkrb5's path alone). Process-wide; on by default. */
void ng_krb5_first_use_enable(bool on);

/* Accepts the calling thread has completed through this path (statistics, tests). */
uint64_t ng_krb5_first_use_count(void);

#endif
