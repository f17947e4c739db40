/* ImpersonateSecurityContext / RevertSecurityContext: the calling thread alone takes the
 * identity of the client's local account (access_token.c: uid, primary gid, supplementary
 * groups) and gives it back.
 *
 * Linux keeps credentials per thread, but glibc's setresuid/setgroups wrappers broadcast the
 * change to every thread of the process (POSIX semantics). The raw system calls change only
 * the caller, so they are used here. Only the effective ids change: the real and saved ids stay
 * what they were, which is what lets the thread switch back. The thread's identity before its
 * first impersonation is kept in thread-local storage; a second impersonation without a revert
 * switches to the new client and still reverts to that original identity.
 *
 * Credentials follow the identity, as on Windows: while a thread impersonates, every mechanism
 * points the thread's outbound defaults at what the client delegated (mechanism.h impersonate:
 * for Kerberos the delegated tickets, ASC_RET_DELEGATE), so InitializeSecurityContext to a back
 * end acts as the client, and never at the server's own credentials by mistake.
 *
 * Refusals (SEC_E_NO_IMPERSONATION, nothing changed): the client maps to no local account,
 * the context was established at identify level (ASC_RET_IDENTIFY), or the process may not
 * switch (no CAP_SETUID/CAP_SETGID: typically not root). A bad handle or a context still
 * negotiating: SEC_E_INVALID_HANDLE; a context this process initiated:
 * SEC_E_UNSUPPORTED_FUNCTION. RevertSecurityContext on a thread that is not impersonating is a
 * no-op (SEC_E_OK). Thread-safe by construction: each thread changes only itself. */
#include <errno.h>
#include <grp.h>
#include <stdbool.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "access_token.h"
#include "alloc.h"
#include "mechanisms.h"
#include "security_context.h"
#include "sspi_status.h"

/* The thread's own identity, from before its first impersonation. */
struct saved_identity {
    bool active;
    uid_t euid;
    gid_t egid;
    gid_t *groups; /* ng_alloc'd */
    int n_groups;
};

static _Thread_local struct saved_identity saved;

static int set_groups(const gid_t *groups, size_t n)
{
    return (int)syscall(SYS_setgroups, n, groups);
}

static int set_egid(gid_t gid)
{
    return (int)syscall(SYS_setresgid, (gid_t)-1, gid, (gid_t)-1);
}

static int set_euid(uid_t uid)
{
    return (int)syscall(SYS_setresuid, (uid_t)-1, uid, (uid_t)-1);
}

/* getgroups reads the calling thread's own list. */
static ng_status save_identity(void)
{
    int n = getgroups(0, NULL);
    if (n < 0)
        return NG_ERR_INTERNAL;
    gid_t *groups = ng_alloc((size_t)(n > 0 ? n : 1) * sizeof(gid_t));
    if (groups == NULL)
        return NG_ERR_NOMEM;
    n = getgroups(n, groups);
    if (n < 0) {
        ng_free(groups);
        return NG_ERR_INTERNAL;
    }
    saved = (struct saved_identity){true, geteuid(), getegid(), groups, n};
    return NG_OK;
}

/* The thread's outbound defaults follow `client` (NULL: back to the thread's own). */
static ng_status follow_client(const struct ng_context *client)
{
    for (size_t i = 0; i < ng_mechanism_count(); i++) {
        const struct ng_mech_ops *ops = ng_mechanism_at(i);
        if (ops->impersonate != NULL)
            NG_GUARD(ops->impersonate(client));
    }
    return NG_OK;
}

/* Back to the saved identity: the uid first, since it restores the right to change the rest. */
static void restore_identity(void)
{
    follow_client(NULL);
    set_euid(saved.euid);
    set_egid(saved.egid);
    set_groups(saved.groups, (size_t)saved.n_groups);
    ng_free(saved.groups);
    saved = (struct saved_identity){0};
}

/* Groups and gid while still privileged, then the uid. Any refusal undoes what was done. */
static ng_status switch_to(const struct ng_access_token *t)
{
    if (set_groups(t->groups, t->n_groups) != 0 || set_egid(t->gid) != 0 || set_euid(t->uid) != 0) {
        int err = errno;
        set_euid(saved.euid);
        set_egid(saved.egid);
        set_groups(saved.groups, (size_t)saved.n_groups);
        return err == EPERM ? NG_ERR_NOT_OWNER : NG_ERR_INTERNAL;
    }
    return NG_OK;
}

static ng_status impersonate(const struct ng_context *ctx)
{
    struct ng_access_token *t = NULL;
    NG_GUARD(ng_access_token_create(ctx, &t));
    ng_status status =
        t->has_account && !(ctx->ret_flags & ASC_RET_IDENTIFY) ? NG_OK : NG_ERR_NOT_OWNER;
    if (status == NG_OK && !saved.active)
        status = save_identity();
    if (status == NG_OK && saved.active && saved.euid != geteuid())
        set_euid(saved.euid); /* from one client to another: regain the right to switch */
    if (status == NG_OK)
        status = follow_client(ctx);
    if (status == NG_OK)
        status = switch_to(t);
    if (status != NG_OK && saved.active)
        restore_identity(); /* a failed switch leaves the thread as itself, never as a client */
    ng_access_token_free(t);
    return status;
}

/* NG_ERR_NOT_OWNER is how this file says "may not impersonate". */
static SECURITY_STATUS edge_status(ng_status status)
{
    return status == NG_ERR_NOT_OWNER ? SEC_E_NO_IMPERSONATION : ng_sec_status(status);
}

SECURITY_STATUS SEC_ENTRY ImpersonateSecurityContext(PCtxtHandle phContext)
{
    struct ng_context *ctx;
    if (ng_context_hold(phContext, &ctx) != NG_OK) /* bad, or a leg is changing it */
        return SEC_E_INVALID_HANDLE;
    ng_status status = impersonate(ctx);
    ng_context_unhold(phContext, ctx);
    return edge_status(status);
}

SECURITY_STATUS SEC_ENTRY RevertSecurityContext(PCtxtHandle phContext)
{
    struct ng_context *ctx;
    if (phContext == NULL || ng_context_acquire(phContext, &ctx) != NG_OK)
        return SEC_E_INVALID_HANDLE;
    ng_context_release(phContext);
    if (saved.active)
        restore_identity();
    return SEC_E_OK;
}
