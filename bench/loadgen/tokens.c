#include "tokens.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"

/* Negotiate's cbMaxToken: the most one leg can produce. */
#define TOKEN_MAX 48256

bool lg_auth_init(struct lg_auth *a, const struct lg_options *o)
{
    memset(a, 0, sizeof(*a));
    a->base64 = o->protocol == LG_PROTO_HTTP;
    a->service = o->service;
    a->req = o->mutual ? ISC_REQ_MUTUAL_AUTH : 0;
    SEC_WINNT_AUTH_IDENTITY_A id = {0};
    void *auth_data = NULL;
    if (o->mech == LG_MECH_NTLM) {
        id.User = (unsigned char *)o->user;
        id.UserLength = (ULONG)strlen(o->user);
        id.Domain = (unsigned char *)(o->domain ? o->domain : "");
        id.DomainLength = (ULONG)strlen((const char *)id.Domain);
        id.Password = (unsigned char *)o->password;
        id.PasswordLength = (ULONG)strlen(o->password);
        id.Flags = SEC_WINNT_AUTH_IDENTITY_ANSI;
        auth_data = &id;
    }
    if (o->users > 0)
        return true;
    TimeStamp expiry;
    SECURITY_STATUS s = AcquireCredentialsHandleA(NULL, (LPSTR)o->package, SECPKG_CRED_OUTBOUND,
                                                  NULL, auth_data, NULL, NULL, &a->cred, &expiry);
    if (s != SEC_E_OK) {
        fprintf(stderr, "negring-load: AcquireCredentialsHandle(%s, OUTBOUND) failed: 0x%08x%s\n",
                o->package, (unsigned)s,
                o->mech == LG_MECH_KERBEROS ? " (is there a ticket in KRB5CCNAME?)" : "");
        return false;
    }
    a->has_cred = true;
    return true;
}

void lg_auth_free(struct lg_auth *a)
{
    if (a->has_cred)
        FreeCredentialsHandle(&a->cred);
    a->has_cred = false;
}

/* Replaces t->data by the leg's output, base64-encoded for HTTP. */
static bool store(const struct lg_auth *a, struct lg_token *t, const uint8_t *bytes, size_t n)
{
    free(t->data);
    t->data = NULL;
    t->len = 0;
    if (n == 0)
        return true;
    size_t len = a->base64 ? ne_b64_encoded_len(n) : n;
    t->data = malloc(len);
    if (t->data == NULL)
        return false;
    if (a->base64)
        ne_b64_encode(bytes, n, false, (char *)t->data);
    else
        memcpy(t->data, bytes, n);
    t->len = (uint32_t)len;
    return true;
}

SECURITY_STATUS lg_auth_first(const struct lg_auth *a, bool keep_ctx, struct lg_token *out)
{
    return lg_auth_first_as(a, &a->cred, keep_ctx, out);
}

SECURITY_STATUS lg_auth_first_as(const struct lg_auth *a, const CredHandle *cred, bool keep_ctx,
                                 struct lg_token *out)
{
    uint8_t buf[TOKEN_MAX];
    SecBuffer ob = {sizeof(buf), SECBUFFER_TOKEN, buf};
    SecBufferDesc od = {SECBUFFER_VERSION, 1, &ob};
    SecBuffer cb = {(ULONG)a->bindings_len, SECBUFFER_CHANNEL_BINDINGS, (void *)a->bindings};
    SecBufferDesc cd = {SECBUFFER_VERSION, 1, &cb};
    ULONG attrs;
    memset(out, 0, sizeof(*out));
    SECURITY_STATUS s = InitializeSecurityContextA(
        (PCredHandle)cred, NULL, (SEC_CHAR *)a->service, a->req, 0, SECURITY_NATIVE_DREP,
        a->bindings ? &cd : NULL, 0, &out->ctx, &od, &attrs, NULL);
    if (s != SEC_E_OK && s != SEC_I_CONTINUE_NEEDED)
        return s;
    out->has_ctx = true;
    out->complete = s == SEC_E_OK;
    if (!store(a, out, buf, ob.cbBuffer)) {
        lg_token_release(out);
        return SEC_E_INSUFFICIENT_MEMORY;
    }
    if (!keep_ctx) {
        DeleteSecurityContext(&out->ctx);
        out->has_ctx = false;
    }
    return s;
}

SECURITY_STATUS lg_auth_next(const struct lg_auth *a, struct lg_token *t, const uint8_t *in,
                             size_t in_len)
{
    if (!t->has_ctx)
        return SEC_E_INVALID_HANDLE;
    uint8_t buf[TOKEN_MAX];
    SecBuffer ib[2] = {{(ULONG)in_len, SECBUFFER_TOKEN, (void *)in},
                       {(ULONG)a->bindings_len, SECBUFFER_CHANNEL_BINDINGS, (void *)a->bindings}};
    SecBufferDesc id = {SECBUFFER_VERSION, a->bindings ? 2 : 1, ib};
    SecBuffer ob = {sizeof(buf), SECBUFFER_TOKEN, buf};
    SecBufferDesc od = {SECBUFFER_VERSION, 1, &ob};
    ULONG attrs;
    SECURITY_STATUS s =
        InitializeSecurityContextA((PCredHandle)&a->cred, &t->ctx, (SEC_CHAR *)a->service, a->req,
                                   0, SECURITY_NATIVE_DREP, &id, 0, &t->ctx, &od, &attrs, NULL);
    if (s != SEC_E_OK && s != SEC_I_CONTINUE_NEEDED)
        return s;
    if (!store(a, t, buf, ob.cbBuffer))
        return SEC_E_INSUFFICIENT_MEMORY;
    t->complete = s == SEC_E_OK;
    return s;
}

void lg_token_release(struct lg_token *t)
{
    free(t->data);
    t->data = NULL;
    t->len = 0;
    if (t->has_ctx)
        DeleteSecurityContext(&t->ctx);
    t->has_ctx = false;
    t->complete = false;
}

struct pool_job {
    struct lg_pool *pool;
    lg_token_maker *make;
    void *arg;
    _Atomic uint64_t next;
    _Atomic bool failed;
    struct lg_pool_failure failure; /* written once, by the thread that set `failed` */
};

static void *pool_worker(void *arg)
{
    struct pool_job *job = arg;
    for (;;) {
        uint64_t i = atomic_fetch_add(&job->next, 1);
        if (i >= job->pool->size || atomic_load(&job->failed))
            return NULL;
        SECURITY_STATUS s = job->make(job->arg, i, &job->pool->tokens[i]);
        bool first = false;
        if (s != SEC_E_OK && s != SEC_I_CONTINUE_NEEDED &&
            atomic_compare_exchange_strong(&job->failed, &first, true))
            job->failure = (struct lg_pool_failure){i, s};
    }
}

static void show_progress(const char *label, uint64_t done, uint64_t size, bool last)
{
    fprintf(stderr, "\r%s: %llu/%llu%s", label, (unsigned long long)(done < size ? done : size),
            (unsigned long long)size, last ? "\n" : "");
}

bool lg_pool_fill(struct lg_pool *p, uint64_t size, unsigned threads, lg_token_maker *make,
                  void *arg, const char *label, struct lg_pool_failure *failure)
{
    memset(p, 0, sizeof(*p));
    p->tokens = calloc(size, sizeof(*p->tokens));
    if (p->tokens == NULL) {
        fprintf(stderr, "negring-load: no memory for a pool of %llu tokens\n",
                (unsigned long long)size);
        *failure = (struct lg_pool_failure){LG_POOL_NO_TOKEN, SEC_E_INSUFFICIENT_MEMORY};
        return false;
    }
    p->size = size;
    struct pool_job job = {.pool = p, .make = make, .arg = arg};
    pthread_t tids[256];
    unsigned started = 0;
    for (; started < threads && started < 256; started++)
        if (pthread_create(&tids[started], NULL, pool_worker, &job) != 0)
            break;
    if (started == 0)
        pool_worker(&job);
    while (label && atomic_load(&job.next) < size && !atomic_load(&job.failed)) {
        show_progress(label, atomic_load(&job.next), size, false);
        struct timespec ts = {0, 200000000};
        nanosleep(&ts, NULL);
    }
    for (unsigned i = 0; i < started; i++)
        pthread_join(tids[i], NULL);
    if (label)
        show_progress(label, atomic_load(&job.next), size, true);
    if (atomic_load(&job.failed)) {
        *failure = job.failure;
        lg_pool_free(p);
        return false;
    }
    return true;
}

struct first_legs {
    const struct lg_auth *auth;
    bool keep_ctx;
};

static SECURITY_STATUS make_first_leg(void *arg, uint64_t i, struct lg_token *out)
{
    const struct first_legs *legs = arg;
    (void)i; /* every token alike */
    return lg_auth_first(legs->auth, legs->keep_ctx, out);
}

bool lg_pool_make(struct lg_pool *p, const struct lg_auth *a, uint64_t size, unsigned threads,
                  bool keep_ctx, bool progress)
{
    struct first_legs legs = {a, keep_ctx};
    struct lg_pool_failure failure;
    if (lg_pool_fill(p, size, threads, make_first_leg, &legs, progress ? "making token pool" : NULL,
                     &failure))
        return true;
    if (failure.index != LG_POOL_NO_TOKEN)
        fprintf(stderr, "negring-load: InitializeSecurityContext(%s) failed: 0x%08x\n", a->service,
                (unsigned)failure.status);
    return false;
}

struct lg_token *lg_pool_take(struct lg_pool *p)
{
    uint64_t i = atomic_fetch_add_explicit(&p->next, 1, memory_order_relaxed);
    return i < p->size ? &p->tokens[i] : NULL;
}

void lg_pool_free(struct lg_pool *p)
{
    for (uint64_t i = 0; i < p->size; i++)
        lg_token_release(&p->tokens[i]);
    free(p->tokens);
    memset(p, 0, sizeof(*p));
}
