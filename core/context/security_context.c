#include "security_context.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "access_token.h"
#include "alloc.h"
#include "handle_table.h"

enum { CONTEXTS_TAG = 0xC7, MAX_CONTEXTS = 1u << 22 };

static _Atomic(struct ng_table *) contexts_table;

static void destroy_context(void *obj)
{
    ng_context_free(obj);
}

static struct ng_table *contexts(void)
{
    return ng_table_get(&contexts_table, CONTEXTS_TAG, MAX_CONTEXTS, destroy_context);
}

ng_status ng_context_new(enum ng_ctx_role role, enum ng_package_id package,
                         struct ng_credentials *creds, struct ng_context **out)
{
    struct ng_context *ctx = ng_alloc(sizeof(*ctx));
    if (ctx == NULL) {
        ng_credentials_unref(creds);
        return NG_ERR_NOMEM;
    }
    ctx->role = role;
    ctx->state = NG_CTX_IN_PROGRESS;
    ctx->package = package;
    ctx->mech = NG_MECH_NONE;
    ctx->creds = creds;
    *out = ctx;
    return NG_OK;
}

static void free_mech_state(struct ng_context *ctx)
{
    if (ctx->ops != NULL && ctx->mech_state != NULL)
        ctx->ops->free_state(ctx->mech_state);
    ctx->mech_state = NULL;
}

static void free_names(struct ng_context *ctx)
{
    if (!ctx->names_in_room) {
        ng_free(ctx->client_name);
        ng_free(ctx->server_name);
    }
    ctx->client_name = ctx->server_name = NULL;
    ctx->names_in_room = false;
}

void ng_context_free(struct ng_context *ctx)
{
    if (ctx == NULL)
        return;
    free_mech_state(ctx);
    if (ctx->spnego.mech_types != ctx->spnego.mech_types_room)
        ng_free(ctx->spnego.mech_types);
    free_names(ctx);
    ng_free(ctx->target_name);
    ng_free(ctx->failure_user);
    ng_free(ctx->failure_detail);
    ng_access_token_free(atomic_load(&ctx->access_token));
    ng_credentials_unref(ctx->creds);
    ng_free_secret(ctx, sizeof(*ctx));
}

ng_status ng_context_set_names(struct ng_context *ctx, const char *client, const char *server)
{
    free_names(ctx);
    size_t client_len = strlen(client) + 1, server_len = strlen(server) + 1;
    if (client_len + server_len <= sizeof(ctx->names_room)) {
        ctx->client_name = memcpy(ctx->names_room, client, client_len);
        ctx->server_name = memcpy(ctx->names_room + client_len, server, server_len);
        ctx->names_in_room = true;
        return NG_OK;
    }
    ctx->client_name = ng_memdup(client, client_len);
    ctx->server_name = ng_memdup(server, server_len);
    if (ctx->client_name == NULL || ctx->server_name == NULL) {
        free_names(ctx); /* neither name rather than half */
        return NG_ERR_NOMEM;
    }
    return NG_OK;
}

ng_status ng_spnego_keep_mech_types(struct ng_spnego_state *s, struct ng_slice der)
{
    if (s->mech_types != s->mech_types_room)
        ng_free(s->mech_types);
    s->mech_types = der.len <= sizeof(s->mech_types_room) ? s->mech_types_room : ng_alloc(der.len);
    s->mech_types_len = s->mech_types != NULL ? der.len : 0;
    if (s->mech_types == NULL)
        return NG_ERR_NOMEM;
    if (der.len > 0)
        memcpy(s->mech_types, der.ptr, der.len);
    return NG_OK;
}

void ng_context_set_mech(struct ng_context *ctx, enum ng_mech oid, const struct ng_mech_ops *ops)
{
    free_mech_state(ctx);
    ctx->mech = oid;
    ctx->ops = ops;
}

void ng_context_note_user(struct ng_context *ctx, const char *user)
{
    ng_free(ctx->failure_user);
    ctx->failure_user = user != NULL ? ng_strdup(user) : NULL;
}

enum { NOTE_MAX = 256 }; /* NEGRING_FAILURE_INFO.Detail */

void ng_context_note_detail(struct ng_context *ctx, const char *fmt, ...)
{
    ng_free(ctx->failure_detail);
    ctx->failure_detail = ng_alloc(NOTE_MAX);
    if (ctx->failure_detail == NULL)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ctx->failure_detail, NOTE_MAX, fmt, ap);
    va_end(ap);
}

ng_status ng_context_publish(struct ng_context *ctx, CtxtHandle *out)
{
    struct ng_table *table = contexts();
    struct ng_handle handle;
    ng_status status = table ? ng_table_insert(table, ctx, &handle) : NG_ERR_NOMEM;
    if (status != NG_OK) {
        ng_context_free(ctx);
        return status;
    }
    ng_handle_to_sec(handle, out);
    return NG_OK;
}

ng_status ng_context_acquire(const CtxtHandle *handle, struct ng_context **out)
{
    struct ng_table *table = contexts();
    if (handle == NULL || table == NULL)
        return NG_ERR_INVALID_HANDLE;
    void *obj = NULL;
    NG_GUARD(ng_table_acquire(table, ng_handle_of(handle), &obj));
    *out = obj;
    return NG_OK;
}

void ng_context_release(const CtxtHandle *handle)
{
    ng_table_release(contexts(), ng_handle_of(handle));
}

ng_status ng_context_delete(const CtxtHandle *handle)
{
    struct ng_table *table = contexts();
    if (handle == NULL || table == NULL)
        return NG_ERR_INVALID_HANDLE;
    return ng_table_remove(table, ng_handle_of(handle));
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

ng_status ng_context_hold(const CtxtHandle *handle, struct ng_context **out)
{
    NG_GUARD(ng_context_acquire(handle, out));
    if (!ng_context_enter_shared(*out)) { /* a leg or an export is changing it right now */
        ng_context_release(handle);
        return NG_ERR_INVALID_HANDLE;
    }
    return NG_OK;
}

void ng_context_unhold(const CtxtHandle *handle, struct ng_context *ctx)
{
    ng_context_leave_shared(ctx);
    ng_context_release(handle);
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
