/* A mechanism as the layers above it see it: one table of operations (as Samba's
 * gensec_security_ops or MIT's gss_config). SPNEGO and the SSPI functions call through it and
 * never ask which mechanism a context or a credential holds; negotiate/mechanisms.c is the one
 * table that registers the mechanisms and the OIDs that name them.
 *
 * State: a mechanism keeps what a context needs in ctx->mech_state (made by its own legs, or by
 * import_state; freed by free_state) and what a credential needs in its part of the credential
 * (credentials.h). When its exchange is established it fills the generic fields of struct
 * ng_context it knows (names, lifetime, ret_flags); it never writes ctx->state, which the layer
 * driving the handshake owns.
 *
 * Operations marked "optional" may be NULL; the caller's answer for a NULL one is given beside
 * it. Every other one is present in every mechanism. Thread safety is the context's: the caller
 * holds it exclusively for handshake legs and export, shared for attributes and messages. */
#ifndef NEGRING_CORE_MECHANISM_H
#define NEGRING_CORE_MECHANISM_H

#include <negring/sspi.h>
#include <stdbool.h>

#include "mech_oid.h"
#include "message.h"
#include "packages.h"
#include "reader.h"
#include "slice.h"
#include "status.h"
#include "writer.h"

struct ng_access_token;
struct ng_context;
struct ng_credentials;
struct ng_identity;

/* SECPKG_ATTR_KEY_INFO as the mechanism reports it (static strings). */
struct ng_key_info {
    const char *signature_name;
    const char *encrypt_name;
    ULONG key_bits;
    ULONG signature_algorithm;
    ULONG encrypt_algorithm;
};

struct ng_mech_ops {
    enum ng_package_id package; /* its SSPI package: NEGOTIATION_INFO, package lists */
    enum ng_mech oid;           /* the OID a raw token of the mechanism stands for */
    bool needs_target;          /* initiating needs a service name (Kerberos: for the ticket) */

    /* --- Credentials --- */
    /* Makes the mechanism's inbound part of `creds` from the acceptor settings (NULL: the
     * environment's). NG_ERR_NO_CREDENTIALS: nothing is configured for this mechanism. */
    ng_status (*acquire_inbound)(struct ng_credentials *creds,
                                 const NEGRING_ACCEPTOR_AUTH_DATA *settings);
    /* Makes the outbound part for `identity` (NULL: the logon session's) and gives the
     * credential's name (ng_alloc'd) and expiry (Unix seconds, INT64_MAX: none). */
    ng_status (*acquire_outbound)(struct ng_credentials *creds, const struct ng_identity *identity,
                                  char **name, int64_t *expiry);
    bool (*can_accept)(const struct ng_credentials *creds);
    bool (*can_initiate)(const struct ng_credentials *creds);
    /* Re-reads the inbound part's files (SECPKG_CRED_ATTR_NEGRING_RELOAD_KEYS); a file that
     * fails keeps what was loaded. NG_OK when the part has nothing to re-read. */
    ng_status (*reload)(struct ng_credentials *creds);
    /* Makes this thread's per-thread state now (SECPKG_CRED_ATTR_NEGRING_PREPARE_THREAD).
     * Optional: nothing to prepare. */
    ng_status (*prepare_thread)(const struct ng_credentials *creds);

    /* --- Handshake --- */
    /* Whether a first token sent without SPNEGO is one of this mechanism's. */
    bool (*owns_raw_token)(struct ng_slice token);
    /* One leg: NG_OK when the mechanism's exchange is established, NG_CONTINUE when `out` holds
     * a token and another is expected. The first initiate leg has an empty `token`. */
    ng_status (*accept)(struct ng_context *ctx, struct ng_slice token, struct ng_slice bindings,
                        struct ng_writer *out);
    ng_status (*initiate)(struct ng_context *ctx, struct ng_slice token, struct ng_slice bindings,
                          struct ng_writer *out);
    bool (*established)(const struct ng_context *ctx);
    /* The exchange obliges SPNEGO to exchange mechListMICs even when the initiator's first
     * choice won (MS-SPNG §3.2.5.1: an NTLM AUTHENTICATE with a MIC). */
    bool (*obliges_mic)(const struct ng_context *ctx);
    /* SPNEGO mechListMIC over `message` (RFC 4178 §5) with the established session. A MIC that
     * does not verify: NG_ERR_MESSAGE_ALTERED or NG_ERR_OUT_OF_SEQUENCE. */
    ng_status (*get_mic)(struct ng_context *ctx, struct ng_slice message, struct ng_writer *out);
    ng_status (*verify_mic)(struct ng_context *ctx, struct ng_slice message, struct ng_slice mic);
    /* ASC_REQ_EXTENDED_ERROR: the token telling the peer why its `token` failed with
     * `failure`. Writes nothing when there is nothing to say. Optional: no error token. */
    ng_status (*error_token)(const struct ng_context *ctx, struct ng_slice token, ng_status failure,
                             struct ng_writer *out);

    /* --- Attributes of an established context (QueryContextAttributes) --- */
    /* cbMaxSignature, cbBlockSize and cbSecurityTrailer; the caller sets cbMaxToken. */
    ng_status (*sizes)(const struct ng_context *ctx, SecPkgContext_Sizes *out);
    /* The session key Windows returns; the slice points into the context. */
    ng_status (*session_key)(const struct ng_context *ctx, struct ng_slice *key);
    ng_status (*key_info)(const struct ng_context *ctx, struct ng_key_info *out);
    /* The authority that vouched for the client (realm, domain): a slice of ctx->client_name. */
    ng_status (*authority)(const struct ng_context *ctx, struct ng_slice *out);
    /* The client's delegated credentials as a ccache name. Optional: none. */
    const char *(*delegated_ccache)(const struct ng_context *ctx);

    /* --- Message protection (sspi/message_protection.c classifies the buffers) --- */
    ng_status (*sign)(struct ng_context *ctx, struct ng_msg *m);
    ng_status (*verify)(struct ng_context *ctx, struct ng_msg *m);
    ng_status (*seal)(struct ng_context *ctx, struct ng_msg *m);
    ng_status (*unseal)(struct ng_context *ctx, struct ng_msg *m);

    /* --- ExportSecurityContext / ImportSecurityContext --- */
    /* The mechanism's record of an established context; import_state reads it back into a new
     * ctx->mech_state (NG_ERR_INVALID_TOKEN for a malformed record). */
    ng_status (*export_state)(const struct ng_context *ctx, struct ng_writer *w);
    ng_status (*import_state)(struct ng_context *ctx, struct ng_reader *r);

    /* --- The client on this machine --- */
    /* The local account and SIDs of the client of an established acceptor context. */
    ng_status (*fill_access_token)(const struct ng_context *ctx, struct ng_access_token *t);
    /* The calling thread starts (client non-NULL) or stops (NULL) acting as the client of an
     * acceptor context of any mechanism: the mechanism points the thread's outbound defaults at
     * what the client delegated to it, or at nothing. Optional: nothing to switch. */
    ng_status (*impersonate)(const struct ng_context *client);

    void (*free_state)(void *mech_state);
};

#endif
