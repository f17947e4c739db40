#include "krb5_state.h"

#include "alloc.h"
#include "krb5_delegation.h"
#include "krb5_message.h"
#include "krb5_thread.h"
#include "ticket_cache.h"

ng_status ng_krb5_state_get(struct ng_context *ctx, struct ng_krb5_state **out)
{
    if (ctx->mech_state == NULL) {
        struct ng_krb5_state *st = ng_alloc(sizeof(*st));
        if (st == NULL)
            return NG_ERR_NOMEM;
        st->session.token_mech = ctx->mech; /* set by whoever chose Kerberos, before its legs */
        ctx->mech_state = st;
    }
    *out = ctx->mech_state;
    return NG_OK;
}

void ng_krb5_state_free(void *state)
{
    struct ng_krb5_state *st = state;
    krb5_context kctx;
    if (st->initiator_auth != NULL && ng_krb5_thread_context(&kctx) == NG_OK)
        krb5_auth_con_free(kctx, st->initiator_auth); /* any thread's context may free it */
    ng_krb5_delegation_destroy(st->delegated_ccache);
    ng_free(st->delegated_ccache);
    if (st->pac_entry != NULL)
        ng_ticket_entry_release(st->pac_entry);
    else
        ng_free(st->pac);
    ng_krb5_msg_keys_free(&st->session);
    ng_free_secret(st, sizeof(*st));
}
