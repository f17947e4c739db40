/* impersonation: ImpersonateSecurityContext switches only the calling thread to the client's
 * local account (alice -> nobody through krb5.conf auth_to_local), as seen by the kernel
 * (getresuid/getresgid/getgroups of each thread, and a root-only file), and
 * RevertSecurityContext switches it back; another thread keeps its identity all along. Refusals:
 * no local account, a process that may not switch, bad handles. Runs as root. */
#define _GNU_SOURCE /* setresuid, setresgid */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <negring/sspi.h>
#include <pthread.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "gss_peer.h"
#include "realm.h"

static struct ng_test_realm realm;
static CredHandle acceptor;
static char secret_path[400];
static uid_t nobody_uid;
static gid_t nobody_gid;

struct ids {
    uid_t ruid, euid, suid;
    gid_t rgid, egid, sgid;
    int n_groups;
    gid_t groups[64];
};

/* The calling thread's identity, straight from the kernel. */
static void thread_ids(struct ids *out)
{
    syscall(SYS_getresuid, &out->ruid, &out->euid, &out->suid);
    syscall(SYS_getresgid, &out->rgid, &out->egid, &out->sgid);
    out->n_groups = (int)syscall(SYS_getgroups, 64, out->groups);
}

static bool can_read_secret(void)
{
    int fd = open(secret_path, O_RDONLY);
    if (fd >= 0)
        close(fd);
    return fd >= 0;
}

static void accept_from(const char *ccache, CtxtHandle *ctx)
{
    struct ng_gss_initiator c;
    REQUIRE(ng_gss_initiator_init(&c, "HTTP@localhost", (gss_OID)gss_mech_spnego, GSS_C_MUTUAL_FLAG,
                                  ccache) == 0);
    struct ng_accept_leg *leg = calloc(1, sizeof(*leg));
    int legs;
    REQUIRE(leg != NULL);
    REQUIRE(ng_handshake(&acceptor, &c, 0, NULL, 0, ctx, leg, &legs) == SEC_E_OK);
    free(leg);
    ng_gss_initiator_free(&c);
}

/* The impersonating thread and the observer take turns. */
struct turns {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int step;
    CtxtHandle *ctx;
    SECURITY_STATUS impersonated, reverted;
    struct ids during, after;
    bool read_during, read_after;
};

static void wait_step(struct turns *t, int step)
{
    pthread_mutex_lock(&t->lock);
    while (t->step < step)
        pthread_cond_wait(&t->cond, &t->lock);
    pthread_mutex_unlock(&t->lock);
}

static void set_step(struct turns *t, int step)
{
    pthread_mutex_lock(&t->lock);
    t->step = step;
    pthread_cond_broadcast(&t->cond);
    pthread_mutex_unlock(&t->lock);
}

static void *impersonator(void *arg)
{
    struct turns *t = arg;
    t->impersonated = ImpersonateSecurityContext(t->ctx);
    thread_ids(&t->during);
    t->read_during = can_read_secret();
    set_step(t, 1);
    wait_step(t, 2); /* the observer has looked at itself meanwhile */
    t->reverted = RevertSecurityContext(t->ctx);
    thread_ids(&t->after);
    t->read_after = can_read_secret();
    return NULL;
}

static void test_only_the_calling_thread_switches(void)
{
    CtxtHandle ctx;
    accept_from(NULL, &ctx);
    struct turns t = {
        .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER, .ctx = &ctx};
    pthread_t th;
    REQUIRE(pthread_create(&th, NULL, impersonator, &t) == 0);
    wait_step(&t, 1);
    struct ids mine;
    thread_ids(&mine);
    CHECK_EQ(mine.euid, 0);
    CHECK_EQ(mine.egid, 0);
    CHECK(can_read_secret());
    set_step(&t, 2);
    pthread_join(th, NULL);
    CHECK_EQ(t.impersonated, SEC_E_OK);
    CHECK_EQ(t.during.euid, nobody_uid);
    CHECK_EQ(t.during.ruid, 0); /* real and saved ids stay: that is how the thread comes back */
    CHECK_EQ(t.during.suid, 0);
    CHECK_EQ(t.during.egid, nobody_gid);
    CHECK(t.during.n_groups >= 1 && t.during.groups[0] == nobody_gid);
    CHECK(!t.read_during);
    CHECK_EQ(t.reverted, SEC_E_OK);
    CHECK_EQ(t.after.euid, 0);
    CHECK_EQ(t.after.egid, 0);
    CHECK_EQ(t.after.n_groups, mine.n_groups);
    CHECK(t.read_after);
    CHECK_EQ(DeleteSecurityContext(&ctx), SEC_E_OK);
}

/* Impersonating twice, then one revert: back to the thread's own identity. */
static void test_twice_then_revert(void)
{
    CtxtHandle ctx;
    accept_from(NULL, &ctx);
    struct ids before, during, after;
    thread_ids(&before);
    CHECK_EQ(ImpersonateSecurityContext(&ctx), SEC_E_OK);
    CHECK_EQ(ImpersonateSecurityContext(&ctx), SEC_E_OK);
    thread_ids(&during);
    CHECK_EQ(during.euid, nobody_uid);
    CHECK_EQ(RevertSecurityContext(&ctx), SEC_E_OK);
    thread_ids(&after);
    CHECK_EQ(after.euid, before.euid);
    CHECK_EQ(after.egid, before.egid);
    CHECK_EQ(after.n_groups, before.n_groups);
    CHECK_EQ(RevertSecurityContext(&ctx), SEC_E_OK); /* not impersonating: nothing to do */
    CHECK_EQ(DeleteSecurityContext(&ctx), SEC_E_OK);
}

static void test_no_local_account(void)
{
    char ccache[400];
    snprintf(ccache, sizeof(ccache), "FILE:%s/bob.ccache", realm.dir);
    REQUIRE(ng_test_realm_kinit(&realm, "bob", "bob-Pass-2", ccache, NULL) == 0);
    CtxtHandle ctx;
    accept_from(ccache, &ctx);
    CHECK_EQ(ImpersonateSecurityContext(&ctx), SEC_E_NO_IMPERSONATION);
    struct ids now;
    thread_ids(&now);
    CHECK_EQ(now.euid, 0);
    CHECK_EQ(DeleteSecurityContext(&ctx), SEC_E_OK);
}

/* A process that gave up root for good may not switch: refused, identity unchanged. */
static void test_unprivileged_process_is_refused(void)
{
    CtxtHandle ctx;
    accept_from(NULL, &ctx);
    struct passwd *daemon_user = getpwnam("daemon");
    REQUIRE(daemon_user != NULL);
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        struct ids now;
        int ok = setgroups(0, NULL) == 0 &&
                 setresgid(daemon_user->pw_gid, daemon_user->pw_gid, daemon_user->pw_gid) == 0 &&
                 setresuid(daemon_user->pw_uid, daemon_user->pw_uid, daemon_user->pw_uid) == 0;
        ok = ok && ImpersonateSecurityContext(&ctx) == SEC_E_NO_IMPERSONATION;
        thread_ids(&now);
        ok = ok && now.euid == daemon_user->pw_uid && now.egid == daemon_user->pw_gid;
        _exit(ok ? 0 : 1);
    }
    int status = 0;
    REQUIRE(waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK_EQ(DeleteSecurityContext(&ctx), SEC_E_OK);
}

/* The name behind AcquireCredentialsHandle(OUTBOUND) with the thread's default ccache, or NULL
 * (and the status in *st) when there are no credentials. */
static char *outbound_name(SECURITY_STATUS *st, CredHandle *keep)
{
    CredHandle cred;
    TimeStamp ts;
    *st = AcquireCredentialsHandleA(NULL, "Kerberos", SECPKG_CRED_OUTBOUND, NULL, NULL, NULL, NULL,
                                    &cred, &ts);
    if (*st != SEC_E_OK)
        return NULL;
    SecPkgCredentials_NamesA names = {0};
    char *name = NULL;
    if (QueryCredentialsAttributesA(&cred, SECPKG_CRED_ATTR_NAMES, &names) == SEC_E_OK)
        name = strdup(names.sUserName);
    FreeContextBuffer(names.sUserName);
    if (keep != NULL)
        *keep = cred;
    else
        FreeCredentialsHandle(&cred);
    return name;
}

/* What our initiator, with `cred`, proves to a back end (host/localhost): the client's name. */
static char *back_end_sees(CredHandle *cred)
{
    unsigned char buf[NG_PEER_MAX_TOKEN];
    SecBuffer ob = {sizeof(buf), SECBUFFER_TOKEN, buf};
    SecBufferDesc od = {SECBUFFER_VERSION, 1, &ob};
    CtxtHandle ictx, actx;
    ULONG attrs;
    if (InitializeSecurityContextA(cred, NULL, "host/localhost", 0, 0, SECURITY_NATIVE_DREP, NULL,
                                   0, &ictx, &od, &attrs, NULL) != SEC_E_OK)
        return NULL;
    DeleteSecurityContext(&ictx);
    struct ng_accept_leg *leg = calloc(1, sizeof(*leg));
    REQUIRE(leg != NULL);
    ng_accept_leg_run(
        &(struct ng_accept_call){
            .cred = &acceptor, .ctx_out = &actx, .in = buf, .in_len = ob.cbBuffer},
        leg);
    char *name = NULL;
    if (leg->status == SEC_E_OK) {
        SecPkgContext_NamesA names = {0};
        if (QueryContextAttributesA(&actx, SECPKG_ATTR_NAMES, &names) == SEC_E_OK)
            name = strdup(names.sUserName);
        FreeContextBuffer(names.sUserName);
        DeleteSecurityContext(&actx);
    }
    free(leg);
    return name;
}

struct delegation_run {
    char *before, *during, *back_end, *undelegated, *after;
    SECURITY_STATUS undelegated_status;
};

/* On a fresh thread (its krb5_context reads KRB5CCNAME, now bob's): alice delegates to us. */
static void *delegation_thread(void *arg)
{
    struct delegation_run *r = arg;
    SECURITY_STATUS st;
    struct ng_gss_initiator c;
    REQUIRE(ng_gss_initiator_init(&c, "HTTP@localhost", (gss_OID)gss_mech_spnego,
                                  GSS_C_MUTUAL_FLAG | GSS_C_DELEG_FLAG, realm.ccache) == 0);
    struct ng_accept_leg *leg = calloc(1, sizeof(*leg));
    CtxtHandle ctx, plain;
    int legs;
    REQUIRE(leg != NULL);
    REQUIRE(ng_handshake(&acceptor, &c, ASC_REQ_DELEGATE, NULL, 0, &ctx, leg, &legs) == SEC_E_OK);
    REQUIRE(leg->attrs & ASC_RET_DELEGATE);
    free(leg);
    ng_gss_initiator_free(&c);
    accept_from(realm.ccache, &plain);
    r->before = outbound_name(&st, NULL);
    CredHandle as_client;
    if (ImpersonateSecurityContext(&ctx) == SEC_E_OK) {
        r->during = outbound_name(&st, &as_client);
        if (r->during != NULL) {
            r->back_end = back_end_sees(&as_client);
            FreeCredentialsHandle(&as_client);
        }
        RevertSecurityContext(&ctx);
    }
    if (ImpersonateSecurityContext(&plain) == SEC_E_OK) {
        r->undelegated = outbound_name(&r->undelegated_status, NULL);
        RevertSecurityContext(&plain);
    }
    r->after = outbound_name(&st, NULL);
    DeleteSecurityContext(&ctx);
    DeleteSecurityContext(&plain);
    return NULL;
}

/* While impersonating, our own AcquireCredentialsHandle/InitializeSecurityContext act as the
 * client with its delegated tickets (as on Windows); never as the server's own identity. */
static void test_delegated_credentials_follow_impersonation(void)
{
    char bob_cc[400];
    snprintf(bob_cc, sizeof(bob_cc), "FILE:%s/bob.ccache", realm.dir);
    REQUIRE(ng_test_realm_kinit(&realm, "bob", "bob-Pass-2", bob_cc, NULL) == 0);
    char *saved = strdup(getenv("KRB5CCNAME"));
    setenv("KRB5CCNAME", bob_cc, 1);
    struct delegation_run r = {0};
    pthread_t t;
    REQUIRE(pthread_create(&t, NULL, delegation_thread, &r) == 0);
    pthread_join(t, NULL);
    setenv("KRB5CCNAME", saved, 1);
    free(saved);
    CHECK(r.before != NULL && strcmp(r.before, "bob@NEGRING.TEST") == 0);
    CHECK(r.during != NULL && strcmp(r.during, "alice@NEGRING.TEST") == 0);
    CHECK(r.back_end != NULL && strcmp(r.back_end, "alice@NEGRING.TEST") == 0);
    CHECK(r.undelegated == NULL);
    CHECK_EQ(r.undelegated_status, SEC_E_NO_CREDENTIALS);
    CHECK(r.after != NULL && strcmp(r.after, "bob@NEGRING.TEST") == 0);
    free(r.before);
    free(r.during);
    free(r.back_end);
    free(r.after);
}

static void test_bad_handles(void)
{
    CtxtHandle bad = {7, 8};
    CHECK_EQ(ImpersonateSecurityContext(&bad), SEC_E_INVALID_HANDLE);
    CHECK_EQ(ImpersonateSecurityContext(NULL), SEC_E_INVALID_HANDLE);
    CHECK_EQ(RevertSecurityContext(&bad), SEC_E_INVALID_HANDLE);
    CHECK_EQ(RevertSecurityContext(NULL), SEC_E_INVALID_HANDLE);
}

static void map_alice_to_nobody(void)
{
    char path[400], list[800];
    snprintf(path, sizeof(path), "%s/auth_to_local.conf", realm.dir);
    FILE *f = fopen(path, "w");
    REQUIRE(f != NULL);
    fprintf(f,
            "[realms]\n    %s = {\n        auth_to_local_names = {\n"
            "            alice = nobody\n        }\n    }\n",
            realm.realm);
    fclose(f);
    snprintf(list, sizeof(list), "%s:%s", path, getenv("KRB5_CONFIG"));
    setenv("KRB5_CONFIG", list, 1);
}

int main(void)
{
    if (geteuid() != 0) {
        fprintf(stderr, "impersonation_test needs root (tests run as root in CI)\n");
        return 1;
    }
    struct passwd *nobody = getpwnam("nobody");
    REQUIRE(nobody != NULL);
    nobody_uid = nobody->pw_uid;
    nobody_gid = nobody->pw_gid;
    REQUIRE(ng_test_realm_start(&realm) == 0);
    map_alice_to_nobody();
    /* The realm directory must be searchable by nobody for the file test to mean anything. */
    snprintf(secret_path, sizeof(secret_path), "%s/root-only", realm.dir);
    int fd = open(secret_path, O_CREAT | O_WRONLY | O_TRUNC, 0600);
    REQUIRE(fd >= 0);
    close(fd);
    chmod(realm.dir, 0711);
    REQUIRE(ng_acquire_acceptor(NULL, "Negotiate", NULL, 0, &acceptor) == SEC_E_OK);
    RUN(test_only_the_calling_thread_switches);
    RUN(test_twice_then_revert);
    RUN(test_no_local_account);
    RUN(test_unprivileged_process_is_refused);
    RUN(test_delegated_credentials_follow_impersonation);
    RUN(test_bad_handles);
    FreeCredentialsHandle(&acceptor);
    return check_report();
}
