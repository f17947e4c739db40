#include "security_context.h"

#include "access_token.h"
#include "alloc.h"
#include "handle_registry.h"
#include "krb5_delegation.h"
#include "krb5_thread.h"
#include "message_protection.h"
#include "ntlm_state.h"

static struct ng_handle to_handle(const CtxtHandle *h)
{
    return (struct ng_handle){h->dwLower, h->dwUpper};
}

ng_status ng_context_new(enum ng_ctx_role role, enum ng_package_id package,
                         struct ng_credentials *creds, struct ng_context **out)
{
    struct ng_context *ctx = ng_alloc(sizeof(*ctx));
    if (ctx == NULL)
        return NG_ERR_NOMEM;
    ctx->role = role;
    ctx->state = NG_CTX_IN_PROGRESS;
    ctx->package = package;
    ctx->mech = NG_MECH_NONE;
    ctx->creds = creds;
    ng_credentials_ref(creds);
    *out = ctx;
    return NG_OK;
}

void ng_context_free(struct ng_context *ctx)
{
    if (ctx == NULL)
        return;
    krb5_context kctx;
    if (ctx->initiator_auth != NULL && ng_krb5_thread_context(&kctx) == NG_OK)
        krb5_auth_con_free(kctx, ctx->initiator_auth); /* any thread's context may free it */
    ng_ntlm_state_free(ctx->ntlm);
    ng_free(ctx->spnego.mech_types);
    ng_free(ctx->client_name);
    ng_free(ctx->server_name);
    ng_free(ctx->target_name);
    ng_krb5_delegation_destroy(ctx->delegated_ccache);
    ng_free(ctx->delegated_ccache);
    ng_free(ctx->pac);
    ng_krb5_msg_keys_free(&ctx->krb);
    ng_access_token_free(atomic_load(&ctx->access_token));
    ng_credentials_unref(ctx->creds);
    ng_free_secret(ctx, sizeof(*ctx));
}

ng_status ng_context_publish(struct ng_context *ctx, CtxtHandle *out)
{
    struct ng_table *table = ng_registry_contexts();
    struct ng_handle handle;
    ng_status status = table ? ng_table_insert(table, ctx, &handle) : NG_ERR_NOMEM;
    if (status != NG_OK) {
        ng_context_free(ctx);
        return status;
    }
    out->dwLower = handle.lower;
    out->dwUpper = handle.upper;
    return NG_OK;
}

ng_status ng_context_acquire(const CtxtHandle *handle, struct ng_context **out)
{
    struct ng_table *table = ng_registry_contexts();
    if (handle == NULL || table == NULL)
        return NG_ERR_INVALID_HANDLE;
    void *obj = NULL;
    NG_GUARD(ng_table_acquire(table, to_handle(handle), &obj));
    *out = obj;
    return NG_OK;
}

void ng_context_release(const CtxtHandle *handle)
{
    ng_table_release(ng_registry_contexts(), to_handle(handle));
}

ng_status ng_context_delete(const CtxtHandle *handle)
{
    struct ng_table *table = ng_registry_contexts();
    if (handle == NULL || table == NULL)
        return NG_ERR_INVALID_HANDLE;
    return ng_table_remove(table, to_handle(handle));
}

bool ng_context_enter_exclusive(struct ng_context *ctx)
{
    int idle = 0;
    return atomic_compare_exchange_strong(&ctx->users, &idle, -1);
}

void ng_context_leave_exclusive(struct ng_context *ctx)
{
    atomic_store(&ctx->users, 0);
}

bool ng_context_enter_shared(struct ng_context *ctx)
{
    int n = atomic_load(&ctx->users);
    do {
        if (n < 0)
            return false;
    } while (!atomic_compare_exchange_weak(&ctx->users, &n, n + 1));
    return true;
}

void ng_context_leave_shared(struct ng_context *ctx)
{
    atomic_fetch_sub(&ctx->users, 1);
}

ng_status ng_context_finish_first(struct ng_context *ctx, ng_status leg, CtxtHandle *out)
{
    if (leg != NG_OK && leg != NG_CONTINUE) {
        ng_context_free(ctx);
        return leg;
    }
    ng_status published = ng_context_publish(ctx, out);
    return published == NG_OK ? leg : published;
}

ng_status ng_context_begin_leg(const CtxtHandle *handle, enum ng_ctx_role role,
                               struct ng_context **out)
{
    NG_GUARD(ng_context_acquire(handle, out));
    if ((*out)->role != role || !ng_context_enter_exclusive(*out)) {
        ng_context_release(handle);
        return NG_ERR_INVALID_HANDLE;
    }
    return NG_OK;
}

void ng_context_end_leg(const CtxtHandle *handle, struct ng_context *ctx, CtxtHandle *out)
{
    ng_context_leave_exclusive(ctx);
    ng_context_release(handle);
    if (out != NULL && out != handle)
        *out = *handle;
}
