#include "population.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine.h"
#include "population_plan.h"

/* A user name with @REALM fits here: principal names are short. */
#define NAME_MAX_LEN 512

static bool show_progress(const struct lg_options *o)
{
    return !o->quiet && isatty(STDERR_FILENO);
}

/* Signs user `number` in: new OUTBOUND credentials of its own. */
static SECURITY_STATUS sign_in(const struct lg_population *pop, uint32_t number, CredHandle *out)
{
    char name[NAME_MAX_LEN];
    if (!lg_user_name(pop->o->user_format, number, name, sizeof(name)))
        return SEC_E_INVALID_PARAMETER;
    /* No domain: libnegring takes the name as the principal, in the default realm unless it
     * names its own. */
    SEC_WINNT_AUTH_IDENTITY_A id = {
        .User = (unsigned char *)name,
        .UserLength = (ULONG)strlen(name),
        .Domain = (unsigned char *)"",
        .Password = (unsigned char *)pop->o->user_password,
        .PasswordLength = (ULONG)strlen(pop->o->user_password),
        .Flags = SEC_WINNT_AUTH_IDENTITY_ANSI,
    };
    TimeStamp expiry;
    return AcquireCredentialsHandleA(NULL, (LPSTR)pop->o->package, SECPKG_CRED_OUTBOUND, NULL, &id,
                                     NULL, NULL, out, &expiry);
}

/* Warm-up token i: user i + 1 signs in and gets its ticket, the ticket's first use. */
static SECURITY_STATUS make_warm_token(void *arg, uint64_t i, struct lg_token *out)
{
    struct lg_population *pop = arg;
    struct lg_user *u = &pop->users[i];
    SECURITY_STATUS s = sign_in(pop, (uint32_t)i + 1, &u->cred);
    if (s != SEC_E_OK)
        return s;
    u->signed_in = true;
    s = lg_auth_first_as(pop->auth, &u->cred, pop->o->verify, out);
    out->klass = LG_CLASS_FIRST_USE;
    return s;
}

/* Pool token i: a repeat on its user's ticket, or a first use on a ticket of its own. */
static SECURITY_STATUS make_pool_token(void *arg, uint64_t i, struct lg_token *out)
{
    const struct lg_population *pop = arg;
    uint32_t number = lg_plan_user(i, pop->count);
    if (!lg_plan_is_first_use(i, pop->first_use_ppm)) {
        SECURITY_STATUS s =
            lg_auth_first_as(pop->auth, &pop->users[number - 1].cred, pop->o->verify, out);
        out->klass = LG_CLASS_REPEAT;
        return s;
    }
    CredHandle own;
    SECURITY_STATUS s = sign_in(pop, number, &own);
    if (s != SEC_E_OK)
        return s;
    s = lg_auth_first_as(pop->auth, &own, pop->o->verify, out);
    out->klass = LG_CLASS_FIRST_USE;
    FreeCredentialsHandle(&own);
    return s;
}

static void report_failure(const struct lg_population *pop, uint32_t number, SECURITY_STATUS status)
{
    char name[NAME_MAX_LEN];
    if (!lg_user_name(pop->o->user_format, number, name, sizeof(name)))
        snprintf(name, sizeof(name), "number %u", number);
    fprintf(stderr,
            "negring-load: user %s could not sign in or get a ticket for %s: 0x%08x (does the "
            "realm have %u users of that name and password? scripts/realm.sh users)\n",
            name, pop->auth->service, (unsigned)status, pop->count);
}

bool lg_population_sign_in(struct lg_population *pop, const struct lg_options *o,
                           const struct lg_auth *a, struct lg_pool *warm)
{
    memset(pop, 0, sizeof(*pop));
    pop->o = o;
    pop->auth = a;
    pop->count = o->users;
    pop->first_use_ppm = lg_plan_ppm(o->first_use_pct);
    pop->users = calloc(o->users, sizeof(*pop->users));
    if (pop->users == NULL) {
        fprintf(stderr, "negring-load: no memory for %u users\n", o->users);
        return false;
    }
    uint64_t t0 = lg_now_ns();
    struct lg_pool_failure failure;
    bool ok = lg_pool_fill(warm, o->users, o->pool_threads, make_warm_token, pop,
                           show_progress(o) ? "signing users in" : NULL, &failure);
    pop->sign_in_s = (double)(lg_now_ns() - t0) / 1e9;
    if (!ok && failure.index != LG_POOL_NO_TOKEN)
        report_failure(pop, (uint32_t)failure.index + 1, failure.status);
    return ok;
}

bool lg_population_make_pool(struct lg_population *pop, struct lg_pool *pool, uint64_t size)
{
    uint64_t t0 = lg_now_ns();
    struct lg_pool_failure failure;
    bool ok = lg_pool_fill(pool, size, pop->o->pool_threads, make_pool_token, pop,
                           show_progress(pop->o) ? "making token pool" : NULL, &failure);
    pop->pool_s = (double)(lg_now_ns() - t0) / 1e9;
    pop->first_uses = lg_plan_first_uses(size, pop->first_use_ppm);
    if (!ok && failure.index != LG_POOL_NO_TOKEN)
        report_failure(pop, lg_plan_user(failure.index, pop->count), failure.status);
    return ok;
}

void lg_population_free(struct lg_population *pop)
{
    for (uint32_t i = 0; pop->users != NULL && i < pop->count; i++)
        if (pop->users[i].signed_in)
            FreeCredentialsHandle(&pop->users[i].cred);
    free(pop->users);
    pop->users = NULL;
}
