/* The Kerberos mechanism's table of operations (mechanism.h), and the few operations too small
 * for a file of their own. */
#include "krb5_mech.h"

#include "gss_framing.h"
#include "krb5_acceptor.h"
#include "krb5_attributes.h"
#include "krb5_credentials.h"
#include "krb5_error_token.h"
#include "krb5_export.h"
#include "krb5_initiator.h"
#include "krb5_message.h"
#include "krb5_mic.h"
#include "krb5_state.h"
#include "krb5_thread.h"

/* An InitialContextToken (RFC 2743 §3.1) under either Kerberos OID. */
static bool owns_raw_token(struct ng_slice token)
{
    struct ng_slice oid, inner;
    if (ng_gss_frame_parse(token, &oid, &inner) != NG_OK)
        return false;
    enum ng_mech mech = ng_mech_from_oid(oid);
    return mech == NG_MECH_KRB5 || mech == NG_MECH_KRB5_MS;
}

static bool established(const struct ng_context *ctx)
{
    const struct ng_krb5_state *st = ng_krb5_state_of(ctx);
    return st != NULL && st->established;
}

static bool obliges_mic(const struct ng_context *ctx)
{
    return false; /* RFC 4178 §5: only a lost first choice does, which SPNEGO sees itself */
}

static ng_status get_mic(struct ng_context *ctx, struct ng_slice message, struct ng_writer *out)
{
    return ng_krb5_get_mic(&ng_krb5_state_of(ctx)->session, ctx->role == NG_ROLE_ACCEPTOR, message,
                           out);
}

static ng_status verify_mic(struct ng_context *ctx, struct ng_slice message, struct ng_slice mic)
{
    return ng_krb5_verify_mic(&ng_krb5_state_of(ctx)->session, ctx->role == NG_ROLE_INITIATOR,
                              message, mic);
}

/* Credentials follow the identity, as on Windows: while a thread acts as a client, its default
 * ccache (the one AcquireCredentialsHandle(OUTBOUND) takes without an explicit identity) is the
 * client's delegated tickets, so InitializeSecurityContext to a back end acts as the client;
 * without delegated tickets it names an empty MEMORY ccache, so the server's own tickets are
 * never used by mistake (SEC_E_NO_CREDENTIALS). Each thread has its own krb5_context
 * (krb5_thread.h), whose default ccache name is what changes. */
static ng_status impersonate(const struct ng_context *client)
{
    const char *delegated =
        client != NULL && client->ops == &ng_krb5_mech ? ng_krb5_delegated_ccache(client) : NULL;
    const char *name = client == NULL ? NULL
                       : delegated    ? delegated
                                      : "MEMORY:negring-no-delegation";
    krb5_context kctx;
    NG_GUARD(ng_krb5_thread_context(&kctx));
    return ng_krb5_status(krb5_cc_set_default_name(kctx, name));
}

const struct ng_mech_ops ng_krb5_mech = {
    .package = NG_PKG_KERBEROS,
    .oid = NG_MECH_KRB5,
    .needs_target = true,
    .acquire_inbound = ng_krb5_acquire_inbound,
    .acquire_outbound = ng_krb5_acquire_outbound,
    .can_accept = ng_krb5_can_accept,
    .can_initiate = ng_krb5_can_initiate,
    .reload = ng_krb5_reload,
    .prepare_thread = ng_krb5_prepare_thread,
    .owns_raw_token = owns_raw_token,
    .accept = ng_krb5_accept,
    .initiate = ng_krb5_initiate,
    .established = established,
    .obliges_mic = obliges_mic,
    .get_mic = get_mic,
    .verify_mic = verify_mic,
    .error_token = ng_krb5_error_token,
    .sizes = ng_krb5_sizes,
    .session_key = ng_krb5_session_key_attr,
    .key_info = ng_krb5_key_info,
    .authority = ng_krb5_authority,
    .delegated_ccache = ng_krb5_delegated_ccache,
    .sign = ng_krb5_sign,
    .verify = ng_krb5_verify,
    .seal = ng_krb5_seal,
    .unseal = ng_krb5_unseal,
    .export_state = ng_krb5_export_state,
    .import_state = ng_krb5_import_state,
    .fill_access_token = ng_krb5_fill_access_token,
    .impersonate = impersonate,
    .free_state = ng_krb5_state_free,
};
