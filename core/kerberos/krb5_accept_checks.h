/* The checks an accepted AP-REQ goes through after its ticket and authenticator are decrypted,
 * shared by the libkrb5 path (krb5_acceptor.c) and the cached-ticket path
 * (krb5_cached_accept.c), so both answer every input the same way: the RFC 4121 §4.1.1 0x8003
 * checksum and channel bindings, the clock skew and the replay cache (RFC 4120 §3.2.3). */
#ifndef NEGRING_CORE_KRB5_ACCEPT_CHECKS_H
#define NEGRING_CORE_KRB5_ACCEPT_CHECKS_H

#include <krb5/krb5.h>
#include <stdatomic.h>

#include "krb5_ap_req.h"
#include "krb5_gss_checksum.h"
#include "replay_cache.h"
#include "security_context.h"

/* The authenticator's checksum (present, its type and contents) must be a GSS checksum whose
 * channel-binding hash matches `bindings` when both sides have bindings, and when ctx's
 * credentials require bindings, both sides must have them. */
ng_status ng_krb5_check_gss_checksum(const struct ng_context *ctx, bool present, int32_t type,
                                     struct ng_slice contents, struct ng_slice bindings,
                                     struct ng_gss_checksum *gss);

/* The authenticator time `ctime` must be within the credentials' clock skew of `now`; then,
 * unless the caller allowed context replay, the authenticator must not have been seen
 * (NG_ERR_REPLAY), nor, when the replay cache is overloaded, be older than it can vouch for
 * (NG_ERR_TIME_SKEW: core/kerberos/replay_cache.h). The cache has 2^NEGRING_REPLAY_CACHE_LOG2
 * slots. `client`: the ticket's client, whose flood of authenticators evicts its own. */
ng_status ng_krb5_check_replay(const struct ng_context *ctx, const struct ng_krb5_ap_req *req,
                               krb5_const_principal client, int64_t ctime, int64_t now);

/* ng_krb5_check_replay in two steps, for the cached path: the authenticator is located in the
 * replay cache (ng_replay_cache_locate: its memory starts loading) before it is decrypted, and
 * checked after, with the same outcomes (a replay cache that could not be made is the check's
 * failure, after the skew's). `class_memo`, when not NULL, keeps the client's owner class
 * between accepts (a ticket entry's replay_class, ticket_cache.h): it must belong to `client`. */
struct ng_krb5_replay {
    ng_status status;           /* NG_OK, or why there is no replay cache to check */
    struct ng_replay_cache *rc; /* the process's; NULL when context replay is allowed */
    struct ng_replay_key key;
};
void ng_krb5_replay_locate(const struct ng_context *ctx, const struct ng_krb5_ap_req *req,
                           krb5_const_principal client, atomic_uint *class_memo,
                           struct ng_krb5_replay *out);
ng_status ng_krb5_check_located_replay(const struct ng_context *ctx,
                                       const struct ng_krb5_replay *located, int64_t ctime,
                                       int64_t now);

/* Makes the process's replay cache now, if not yet made, and backs all its memory
 * (SECPKG_CRED_ATTR_NEGRING_PREPARE_THREAD), so that the first accepts run as fast as later ones.
 */
ng_status ng_krb5_replay_cache_prepare(void);

/* The ASC_RET_* flags of a completed Kerberos accept. */
ULONG ng_krb5_accept_ret_flags(ULONG req, uint32_t gss_flags, bool mutual);

/* Delegation is wanted and offered: only the libkrb5 path handles it. */
bool ng_krb5_wants_delegation(const struct ng_context *ctx, const struct ng_gss_checksum *gss);

#endif
