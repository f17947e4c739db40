/* Context services on NTLM contexts (our initiator against our acceptor, no KDC):
 * ExportSecurityContext / ImportSecurityContext carry the session (flags, exported key, each
 * direction's sequence number and RC4 stream) to another thread or a forked process, where
 * sealed and signed messages go on interoperating with the peer both ways; malformed blobs are
 * refused. QuerySecurityContextToken maps DOMAIN\user to a local account (NSS), and
 * ImpersonateSecurityContext switches the calling thread alone to it. */
#include <negring/access_token.h>
#include <negring/sspi.h>
#include <pthread.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "alloc.h"
#include "check.h"
#include "ntlm_crypto.h"

#define TOKEN_MAX 12000
/* The acceptor's principal, which the initiator targets: our initiator refuses a challenge from
 * an acceptor of its own process that names none (reflection, ntlm_reflection_test.c). */
#define OURS "HTTP/server.example.test"

static char dir[64], db_path[128], krb5_conf[128];

/* All with the password "Secret1": alice has no local account; nobody and Daemon (as the
 * local daemon) do. */
static void write_db(void)
{
    uint8_t hash[16];
    REQUIRE(ng_nt_hash("Secret1", 7, hash) == NG_OK);
    FILE *f = fopen(db_path, "w");
    REQUIRE(f != NULL);
    static const char *const users[] = {"alice", "nobody", "Daemon"};
    for (size_t u = 0; u < 3; u++) {
        fprintf(f, "EXAMPLE:%s:", users[u]);
        for (int i = 0; i < 16; i++)
            fprintf(f, "%02x", hash[i]);
        fprintf(f, ":\n");
    }
    fclose(f);
}

static CredHandle server_cred(const char *package)
{
    NEGRING_ACCEPTOR_AUTH_DATA2 data = {NEGRING_ACCEPTOR_AUTH_DATA_VERSION_2,
                                        "FILE:/nonexistent/keytab",
                                        0,
                                        NULL,
                                        db_path,
                                        NULL,
                                        "SERVER",
                                        "example.test",
                                        "server.example.test",
                                        0};
    CredHandle h;
    REQUIRE(AcquireCredentialsHandleA((LPSTR)OURS, (LPSTR)package, SECPKG_CRED_INBOUND, NULL, &data,
                                      NULL, NULL, &h, NULL) == SEC_E_OK);
    return h;
}

static CredHandle client_cred(const char *package, const char *user)
{
    SEC_WINNT_AUTH_IDENTITY_A id = {(unsigned char *)user,       (ULONG)strlen(user),
                                    (unsigned char *)"EXAMPLE",  7,
                                    (unsigned char *)"Secret1",  7,
                                    SEC_WINNT_AUTH_IDENTITY_ANSI};
    CredHandle h;
    REQUIRE(AcquireCredentialsHandleA(NULL, (LPSTR)package, SECPKG_CRED_OUTBOUND, NULL, &id, NULL,
                                      NULL, &h, NULL) == SEC_E_OK);
    return h;
}

struct pair {
    CredHandle cc, sc;
    CtxtHandle c, s;
};

/* A complete handshake in `package` (NTLM, or Negotiate: SPNEGO with both mechListMICs). */
static void establish_as(struct pair *p, const char *package, const char *user)
{
    static uint8_t a[TOKEN_MAX], b[TOKEN_MAX];
    ULONG blen = 0;
    p->cc = client_cred(package, user);
    p->sc = server_cred(package);
    SECURITY_STATUS cs = SEC_I_CONTINUE_NEEDED, ss = SEC_I_CONTINUE_NEEDED;
    for (int leg = 0; leg < 4 && (cs == SEC_I_CONTINUE_NEEDED || ss == SEC_I_CONTINUE_NEEDED);
         leg++) {
        ULONG attrs;
        TimeStamp ts;
        SecBuffer ib = {blen, SECBUFFER_TOKEN, b}, ob = {TOKEN_MAX, SECBUFFER_TOKEN, a};
        SecBufferDesc id = {SECBUFFER_VERSION, 1, &ib}, od = {SECBUFFER_VERSION, 1, &ob};
        if (cs == SEC_I_CONTINUE_NEEDED) {
            cs = InitializeSecurityContextA(
                &p->cc, leg ? &p->c : NULL, OURS,
                ISC_REQ_CONFIDENTIALITY | ISC_REQ_INTEGRITY | ISC_REQ_SEQUENCE_DETECT, 0,
                SECURITY_NATIVE_DREP, leg ? &id : NULL, 0, &p->c, &od, &attrs, &ts);
            REQUIRE(cs == SEC_E_OK || cs == SEC_I_CONTINUE_NEEDED);
        }
        if (ob.cbBuffer == 0)
            break;
        SecBuffer sib = {ob.cbBuffer, SECBUFFER_TOKEN, a}, sob = {TOKEN_MAX, SECBUFFER_TOKEN, b};
        SecBufferDesc sid = {SECBUFFER_VERSION, 1, &sib}, sod = {SECBUFFER_VERSION, 1, &sob};
        ss = AcceptSecurityContext(&p->sc, leg ? &p->s : NULL, &sid, ASC_REQ_CONFIDENTIALITY, 0,
                                   &p->s, &sod, &attrs, &ts);
        REQUIRE(ss == SEC_E_OK || ss == SEC_I_CONTINUE_NEEDED);
        blen = sob.cbBuffer;
    }
    REQUIRE(cs == SEC_E_OK && ss == SEC_E_OK);
}

static void establish(struct pair *p, const char *package)
{
    establish_as(p, package, "alice");
}

static void release(struct pair *p)
{
    DeleteSecurityContext(&p->c);
    FreeCredentialsHandle(&p->cc);
    FreeCredentialsHandle(&p->sc);
}

/* `from` seals `text`, `to` unseals it: 1 when the text comes back. */
static int sealed(PCtxtHandle from, PCtxtHandle to, const char *text)
{
    uint8_t data[256], sig[16];
    size_t len = strlen(text);
    REQUIRE(len <= sizeof(data));
    memcpy(data, text, len);
    SecBuffer b[2] = {{(ULONG)len, SECBUFFER_DATA, data}, {sizeof(sig), SECBUFFER_TOKEN, sig}};
    SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
    if (EncryptMessage(from, 0, &d, 0) != SEC_E_OK || memcmp(data, text, len) == 0)
        return 0;
    return DecryptMessage(to, &d, 0, NULL) == SEC_E_OK && memcmp(data, text, len) == 0;
}

/* `from` signs, `to` verifies. */
static int signed_ok(PCtxtHandle from, PCtxtHandle to, const char *text)
{
    uint8_t sig[16];
    SecBuffer b[2] = {{(ULONG)strlen(text), SECBUFFER_DATA, (void *)text},
                      {sizeof(sig), SECBUFFER_TOKEN, sig}};
    SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
    return MakeSignature(from, 0, &d, 0) == SEC_E_OK &&
           VerifySignature(to, &d, 0, NULL) == SEC_E_OK;
}

/* Messages both ways, sealed and signed; 1 when all `rounds` round trips worked. */
static int exchange(PCtxtHandle c, PCtxtHandle s, int rounds)
{
    int ok = 1;
    for (int i = 0; i < rounds; i++) {
        ok &= sealed(c, s, "client to server, sealed");
        ok &= sealed(s, c, "server to client, sealed");
        ok &= signed_ok(c, s, "client to server, signed");
        ok &= signed_ok(s, c, "server to client, signed");
    }
    return ok;
}

struct worker {
    SecBuffer blob;
    const char *package;
    PCtxtHandle peer;
    CtxtHandle imported;
    int ok;
};

static void *import_on_worker(void *arg)
{
    struct worker *w = arg;
    w->ok = ImportSecurityContextA((LPSTR)w->package, &w->blob, NULL, &w->imported) == SEC_E_OK &&
            exchange(w->peer, &w->imported, 5);
    return NULL;
}

static void check_names(PCtxtHandle h)
{
    SecPkgContext_NamesA names = {0};
    CHECK_EQ(QueryContextAttributesA(h, SECPKG_ATTR_NAMES, &names), SEC_E_OK);
    CHECK(names.sUserName != NULL && strcmp(names.sUserName, "EXAMPLE\\alice") == 0);
    FreeContextBuffer(names.sUserName);
}

/* The server moves to a worker thread mid-conversation (DELETE_OLD); the RC4 streams go on
 * where they stood — including, under Negotiate, after the mechListMIC reset them. */
static void move_server_to_thread(const char *package)
{
    struct pair p;
    establish(&p, package);
    CHECK(exchange(&p.c, &p.s, 3));
    SecPkgContext_SessionKey before = {0};
    CHECK_EQ(QueryContextAttributesA(&p.s, SECPKG_ATTR_SESSION_KEY, &before), SEC_E_OK);
    SecPkgContext_Lifespan life = {0}, life_after = {0};
    CHECK_EQ(QueryContextAttributesA(&p.s, SECPKG_ATTR_LIFESPAN, &life), SEC_E_OK);
    struct worker w = {.blob = {0, SECBUFFER_EMPTY, NULL}, .package = package, .peer = &p.c};
    void *token = (void *)1;
    CHECK_EQ(ExportSecurityContext(&p.s, SECPKG_CONTEXT_EXPORT_DELETE_OLD, &w.blob, &token),
             SEC_E_OK);
    CHECK(token == NULL);
    SecPkgContext_Flags flags;
    CHECK_EQ(QueryContextAttributesA(&p.s, SECPKG_ATTR_FLAGS, &flags), SEC_E_INVALID_HANDLE);
    pthread_t t;
    REQUIRE(pthread_create(&t, NULL, import_on_worker, &w) == 0);
    pthread_join(t, NULL);
    CHECK(w.ok);
    if (w.ok) {
        CHECK(exchange(&p.c, &w.imported, 3)); /* and back on this thread */
        check_names(&w.imported);
        SecPkgContext_SessionKey after = {0};
        CHECK_EQ(QueryContextAttributesA(&w.imported, SECPKG_ATTR_SESSION_KEY, &after), SEC_E_OK);
        CHECK(after.SessionKeyLength == 16 && before.SessionKeyLength == 16 &&
              memcmp(after.SessionKey, before.SessionKey, 16) == 0);
        FreeContextBuffer(after.SessionKey);
        CHECK_EQ(QueryContextAttributesA(&w.imported, SECPKG_ATTR_LIFESPAN, &life_after), SEC_E_OK);
        CHECK(life.tsStart.QuadPart != 0 && life.tsStart.QuadPart == life_after.tsStart.QuadPart &&
              life.tsExpiry.QuadPart == life_after.tsExpiry.QuadPart);
        CHECK_EQ(QueryContextAttributesA(&w.imported, SECPKG_ATTR_FLAGS, &flags), SEC_E_OK);
        CHECK(flags.Flags & ASC_RET_CONFIDENTIALITY);
        CHECK_EQ(DeleteSecurityContext(&w.imported), SEC_E_OK);
    }
    FreeContextBuffer(before.SessionKey);
    FreeContextBuffer(w.blob.pvBuffer);
    release(&p);
}

static void test_move_ntlm_server_to_thread(void)
{
    move_server_to_thread("NTLM");
}

static void test_move_negotiate_server_to_thread(void)
{
    move_server_to_thread("Negotiate");
}

/* A forked process imports the server and answers the client still living in the parent; a
 * context exported before any message (RC4 streams not yet keyed) works too, for the initiator
 * as well. */
static void test_move_to_another_process(void)
{
    struct pair p;
    establish(&p, "NTLM");
    SecBuffer blob = {0, SECBUFFER_EMPTY, NULL}, cblob = {0, SECBUFFER_EMPTY, NULL};
    CHECK_EQ(ExportSecurityContext(&p.c, SECPKG_CONTEXT_EXPORT_DELETE_OLD, &cblob, NULL), SEC_E_OK);
    CHECK_EQ(ImportSecurityContextA("ntlm", &cblob, NULL, &p.c), SEC_E_OK);
    FreeContextBuffer(cblob.pvBuffer);
    CHECK(exchange(&p.c, &p.s, 2));
    CHECK_EQ(ExportSecurityContext(&p.s, SECPKG_CONTEXT_EXPORT_DELETE_OLD, &blob, NULL), SEC_E_OK);
    uint8_t msg[16] = "to the child", sig[16];
    SecBuffer b[2] = {{sizeof(msg), SECBUFFER_DATA, msg}, {sizeof(sig), SECBUFFER_TOKEN, sig}};
    SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
    REQUIRE(EncryptMessage(&p.c, 0, &d, 0) == SEC_E_OK);
    int fds[2];
    REQUIRE(pipe(fds) == 0);
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        /* The child: reads the parent's message, answers with a sealed reply. */
        CtxtHandle child;
        uint8_t reply[32 + 16] = "from the child";
        SecBuffer rb[2] = {{32, SECBUFFER_DATA, reply}, {16, SECBUFFER_TOKEN, reply + 32}};
        SecBufferDesc rd = {SECBUFFER_VERSION, 2, rb};
        int ok = ImportSecurityContextA("NTLM", &blob, NULL, &child) == SEC_E_OK &&
                 DecryptMessage(&child, &d, 0, NULL) == SEC_E_OK &&
                 memcmp(msg, "to the child", 13) == 0 &&
                 EncryptMessage(&child, 0, &rd, 0) == SEC_E_OK &&
                 write(fds[1], reply, sizeof(reply)) == (ssize_t)sizeof(reply);
        _exit(ok ? 0 : 1);
    }
    close(fds[1]);
    uint8_t reply[48];
    CHECK_EQ(read(fds[0], reply, sizeof(reply)), sizeof(reply));
    close(fds[0]);
    int wstatus = 0;
    REQUIRE(waitpid(pid, &wstatus, 0) == pid);
    CHECK(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0);
    SecBuffer rb[2] = {{32, SECBUFFER_DATA, reply}, {16, SECBUFFER_TOKEN, reply + 32}};
    SecBufferDesc rd = {SECBUFFER_VERSION, 2, rb};
    CHECK_EQ(DecryptMessage(&p.c, &rd, 0, NULL), SEC_E_OK);
    CHECK(memcmp(reply, "from the child", 15) == 0);
    FreeContextBuffer(blob.pvBuffer);
    release(&p);
}

/* Offsets into an NTLM server's blob (context_export.c: the mechanism's record starts at
 * AT_RECORD; ntlm_state.h, ntlm_seal.h inside it). */
enum {
    AT_ROLE = 6,
    AT_RECORD = 33,
    AT_ANONYMOUS = AT_RECORD + 4,
    AT_INITIATOR = AT_RECORD + 9,
    AT_KEY = AT_RECORD + 10,
    AT_SEND_READY = AT_RECORD + 30,
    AT_SEND_S = AT_RECORD + 31,
    AT_RECV_READY = AT_RECORD + 293,
    AT_RECV_S = AT_RECORD + 294,
};

static SECURITY_STATUS import_altered(const uint8_t *blob, ULONG len, size_t at, uint8_t value,
                                      CtxtHandle *out)
{
    uint8_t *copy = malloc(len);
    REQUIRE(copy != NULL);
    memcpy(copy, blob, len);
    copy[at] = value;
    SecBuffer b = {len, SECBUFFER_EMPTY, copy};
    SECURITY_STATUS st = ImportSecurityContextA("NTLM", &b, NULL, out);
    free(copy);
    return st;
}

static void test_bad_blobs(void)
{
    struct pair p;
    establish(&p, "NTLM");
    CHECK(exchange(&p.c, &p.s, 1)); /* both streams keyed */
    SecBuffer blob = {0, SECBUFFER_EMPTY, NULL};
    CHECK_EQ(ExportSecurityContext(&p.s, 0, &blob, NULL), SEC_E_OK);
    const uint8_t *bytes = blob.pvBuffer;
    REQUIRE(bytes != NULL && blob.cbBuffer > AT_RECV_READY);
    CHECK_EQ(bytes[AT_SEND_READY], 1);
    CHECK_EQ(bytes[AT_RECV_READY], 1);
    CtxtHandle out;
    int refused = 0;
    for (ULONG len = 0; len < blob.cbBuffer; len++) {
        SecBuffer cut = {len, SECBUFFER_EMPTY, blob.pvBuffer};
        refused += ImportSecurityContextA("NTLM", &cut, NULL, &out) == SEC_E_INVALID_TOKEN;
    }
    CHECK_EQ(refused, blob.cbBuffer);
    CHECK_EQ(import_altered(bytes, blob.cbBuffer, AT_ANONYMOUS, 2, &out), SEC_E_INVALID_TOKEN);
    CHECK_EQ(import_altered(bytes, blob.cbBuffer, AT_INITIATOR, 1, &out), SEC_E_INVALID_TOKEN);
    CHECK_EQ(import_altered(bytes, blob.cbBuffer, AT_ROLE, 1, &out), SEC_E_INVALID_TOKEN);
    CHECK_EQ(import_altered(bytes, blob.cbBuffer, AT_SEND_READY, 2, &out), SEC_E_INVALID_TOKEN);
    /* An RC4 state that is no permutation did not come from an export. */
    CHECK_EQ(import_altered(bytes, blob.cbBuffer, AT_SEND_S, bytes[AT_SEND_S + 1], &out),
             SEC_E_INVALID_TOKEN);
    CHECK_EQ(ImportSecurityContextA("Negotiate", &blob, NULL, &out), SEC_E_INVALID_TOKEN);
    /* Every single-byte change either is refused or gives a context that is deleted cleanly
     * (under ASan: no crash, no leak). A changed key imports but no message verifies. */
    for (size_t at = 0; at < blob.cbBuffer; at++) {
        if (import_altered(bytes, blob.cbBuffer, at, bytes[at] ^ 0x5a, &out) == SEC_E_OK)
            CHECK_EQ(DeleteSecurityContext(&out), SEC_E_OK);
    }
    /* A changed key, or a receiving RC4 state with two entries swapped (still a permutation):
     * the import works, but the client's next signature (its checksum is RC4'd under key
     * exchange) does not verify there; the original still verifies it. */
    uint8_t *swapped = malloc(blob.cbBuffer);
    REQUIRE(swapped != NULL);
    memcpy(swapped, bytes, blob.cbBuffer);
    swapped[AT_RECV_S] = bytes[AT_RECV_S + 1];
    for (int k = 0; k < 2; k++) {
        SECURITY_STATUS st =
            k == 0 ? import_altered(bytes, blob.cbBuffer, AT_KEY, bytes[AT_KEY] ^ 1, &out)
                   : import_altered(swapped, blob.cbBuffer, AT_RECV_S + 1, bytes[AT_RECV_S], &out);
        REQUIRE(st == SEC_E_OK);
        uint8_t sig[16];
        SecBuffer mb[2] = {{4, SECBUFFER_DATA, "text"}, {sizeof(sig), SECBUFFER_TOKEN, sig}};
        SecBufferDesc md = {SECBUFFER_VERSION, 2, mb};
        CHECK_EQ(MakeSignature(&p.c, 0, &md, 0), SEC_E_OK);
        CHECK_EQ(VerifySignature(&out, &md, 0, NULL), SEC_E_MESSAGE_ALTERED);
        CHECK_EQ(VerifySignature(&p.s, &md, 0, NULL), SEC_E_OK);
        DeleteSecurityContext(&out);
    }
    free(swapped);
    /* Allocation failures at each step: a clean refusal. */
    int failed = 0;
    for (unsigned long n = 1; n <= 8; n++) {
        ng_alloc_fail_after(n);
        SECURITY_STATUS st = ImportSecurityContextA("NTLM", &blob, NULL, &out);
        ng_alloc_fail_after(0);
        if (st == SEC_E_OK)
            CHECK_EQ(DeleteSecurityContext(&out), SEC_E_OK);
        else
            failed += st == SEC_E_INSUFFICIENT_MEMORY;
    }
    CHECK(failed >= 3); /* the context, the NTLM state, the names */
    /* The original is untouched by all this and still talks to the client. */
    CHECK(exchange(&p.c, &p.s, 1));
    FreeContextBuffer(blob.pvBuffer);
    DeleteSecurityContext(&p.s);
    release(&p);
}

/* The server context's token: `principal`, and `account`'s NSS entry (NULL: no account). */
static void check_account(void *token, const char *principal, const char *account)
{
    REQUIRE(token != NULL);
    CHECK(strcmp(negring_token_principal(token), principal) == 0);
    const char *name = NULL;
    uid_t uid = 0;
    gid_t gid = 0;
    const gid_t *groups = NULL;
    const char *const *sids = NULL;
    CHECK_EQ(negring_token_sids(token, &sids), 0); /* NTLM has no PAC */
    if (account == NULL) {
        CHECK_EQ(negring_token_account(token, &name, &uid, &gid), -1);
        CHECK_EQ(negring_token_groups(token, &groups), 0);
        return;
    }
    struct passwd *pw = getpwnam(account);
    REQUIRE(pw != NULL);
    CHECK_EQ(negring_token_account(token, &name, &uid, &gid), 0);
    CHECK(name != NULL && strcmp(name, account) == 0);
    CHECK_EQ(uid, pw->pw_uid);
    CHECK_EQ(gid, pw->pw_gid);
    size_t n = negring_token_groups(token, &groups);
    int has_primary = 0;
    for (size_t i = 0; i < n; i++)
        has_primary |= groups[i] == pw->pw_gid;
    CHECK(n >= 1 && has_primary);
}

static void token_of(const char *user, const char *principal, const char *account)
{
    struct pair p;
    establish_as(&p, "NTLM", user);
    void *token = NULL;
    CHECK_EQ(QuerySecurityContextToken(&p.s, &token), SEC_E_OK);
    check_account(token, principal, account);
    negring_token_close(token);
    CHECK_EQ(QuerySecurityContextToken(&p.c, &token), SEC_E_UNSUPPORTED_FUNCTION);
    /* The context's own token (not closed by the caller), and an imported context's token. */
    SecPkgContext_AccessToken own = {0};
    CHECK_EQ(QueryContextAttributesA(&p.s, SECPKG_ATTR_ACCESS_TOKEN, &own), SEC_E_OK);
    check_account(own.AccessToken, principal, account);
    SecBuffer blob = {0, SECBUFFER_EMPTY, NULL};
    CHECK_EQ(ExportSecurityContext(&p.s, SECPKG_CONTEXT_EXPORT_DELETE_OLD, &blob, NULL), SEC_E_OK);
    CHECK_EQ(ImportSecurityContextA("NTLM", &blob, NULL, &p.s), SEC_E_OK);
    FreeContextBuffer(blob.pvBuffer);
    CHECK_EQ(QuerySecurityContextToken(&p.s, &token), SEC_E_OK);
    check_account(token, principal, account);
    negring_token_close(token);
    DeleteSecurityContext(&p.s);
    release(&p);
}

/* The account file's user name is the local one (nobody); NTLM's case-insensitive name finds
 * the lower-case local account (Daemon: daemon); alice has no local account. */
static void test_access_token_maps_to_local_account(void)
{
    token_of("nobody", "EXAMPLE\\nobody", "nobody");
    token_of("NOBODY", "EXAMPLE\\nobody", "nobody"); /* the file's spelling, not the client's */
    token_of("daemon", "EXAMPLE\\Daemon", "daemon");
    token_of("alice", "EXAMPLE\\alice", NULL);
}

/* A thread started before the impersonation (a new one would inherit its creator's ids), which
 * reads its identity once the barrier lets it. */
struct observer {
    pthread_t thread;
    pthread_barrier_t go;
    uid_t euid;
    gid_t egid;
};

static void *observe(void *arg)
{
    struct observer *o = arg;
    pthread_barrier_wait(&o->go);
    o->euid = geteuid();
    o->egid = getegid();
    return NULL;
}

/* As root: the calling thread alone becomes nobody (a Negotiate context over NTLM), then itself
 * again; alice (no account) is refused. Not root: the switch is refused, nothing changes. */
static void test_impersonation(void)
{
    struct pair p, q;
    establish_as(&p, "Negotiate", "nobody");
    establish_as(&q, "NTLM", "alice");
    uid_t me = geteuid();
    struct passwd *nobody = getpwnam("nobody");
    REQUIRE(nobody != NULL);
    CHECK_EQ(ImpersonateSecurityContext(&q.s), SEC_E_NO_IMPERSONATION);
    CHECK_EQ(geteuid(), me);
    if (me != 0) {
        CHECK_EQ(ImpersonateSecurityContext(&p.s), SEC_E_NO_IMPERSONATION);
        CHECK_EQ(geteuid(), me);
    } else {
        struct observer other;
        REQUIRE(pthread_barrier_init(&other.go, NULL, 2) == 0);
        REQUIRE(pthread_create(&other.thread, NULL, observe, &other) == 0);
        CHECK_EQ(ImpersonateSecurityContext(&p.s), SEC_E_OK);
        CHECK_EQ(geteuid(), nobody->pw_uid);
        CHECK_EQ(getegid(), nobody->pw_gid);
        pthread_barrier_wait(&other.go);
        pthread_join(other.thread, NULL);
        pthread_barrier_destroy(&other.go);
        CHECK_EQ(other.euid, 0);
        CHECK_EQ(other.egid, 0);
        CHECK(sealed(&p.c, &p.s, "while impersonating")); /* the context still works */
        CHECK_EQ(RevertSecurityContext(&p.s), SEC_E_OK);
        CHECK_EQ(geteuid(), 0);
        CHECK_EQ(getegid(), 0);
    }
    DeleteSecurityContext(&p.s);
    DeleteSecurityContext(&q.s);
    release(&p);
    release(&q);
}

int main(void)
{
    snprintf(dir, sizeof(dir), "/tmp/ntlm-services-XXXXXX");
    REQUIRE(mkdtemp(dir) != NULL);
    snprintf(db_path, sizeof(db_path), "%s/users", dir);
    snprintf(krb5_conf, sizeof(krb5_conf), "%s/krb5.conf", dir);
    FILE *f = fopen(krb5_conf, "w");
    REQUIRE(f != NULL);
    fputs("[libdefaults]\n dns_lookup_kdc = false\n dns_lookup_realm = false\n", f);
    fclose(f);
    setenv("KRB5_CONFIG", krb5_conf, 1);
    write_db();

    RUN(test_move_ntlm_server_to_thread);
    RUN(test_move_negotiate_server_to_thread);
    RUN(test_move_to_another_process);
    RUN(test_bad_blobs);
    RUN(test_access_token_maps_to_local_account);
    RUN(test_impersonation);

    unlink(db_path);
    unlink(krb5_conf);
    rmdir(dir);
    return check_report();
}
