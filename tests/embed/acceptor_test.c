/* embed/acceptor.c against real peers: MIT's initiator for Kerberos (through SPNEGO), libnegring's
 * own initiator for NTLM; a login accepted in one process is refused in another sharing the
 * replay table (and, as the control, accepted again without it); the mechanism settings; the
 * errors acquiring credentials gives. */
#include <nettle/md4.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "acceptor.h"
#include "check.h"
#include "gss_peer.h"
#include "realm.h"

static struct ng_test_realm realm;
static char user_db[320];
static uint8_t out_buf[65536];

/* negring's account file (docs/ntlm.md) with EXAMPLE\carol: NT hash = MD4(UTF-16LE(password)). */
static void write_user_db(const char *password)
{
    uint8_t utf16[128], hash[MD4_DIGEST_SIZE];
    size_t n = strlen(password);
    REQUIRE(2 * n <= sizeof(utf16));
    for (size_t i = 0; i < n; i++) {
        utf16[2 * i] = (uint8_t)password[i];
        utf16[2 * i + 1] = 0;
    }
    struct md4_ctx md4;
    md4_init(&md4);
    md4_update(&md4, 2 * n, utf16);
    md4_digest(&md4, sizeof(hash), hash);
    snprintf(user_db, sizeof(user_db), "%s/users", realm.dir);
    FILE *f = fopen(user_db, "w");
    REQUIRE(f != NULL);
    fprintf(f, "EXAMPLE:carol:");
    for (int i = 0; i < MD4_DIGEST_SIZE; i++)
        fprintf(f, "%02x", hash[i]);
    fprintf(f, ":\n");
    fclose(f);
}

static struct ne_acceptor acceptor(enum ne_mechs mechs, const char *principal)
{
    struct ne_acceptor_config cfg = {
        .keytab = realm.keytab,
        .principal = principal,
        .user_db = mechs == NE_MECHS_KERBEROS ? NULL : user_db,
        .clock_skew = 300,
        .mechs = mechs,
    };
    struct ne_acceptor a;
    char err[512];
    if (ne_acceptor_acquire(&a, &cfg, err, sizeof(err)) != 0) {
        fprintf(stderr, "%s\n", err);
        exit(1);
    }
    return a;
}

struct token {
    uint8_t b[8192];
    size_t len;
};

static struct token spnego_token(void)
{
    struct ng_gss_initiator c;
    gss_buffer_desc out;
    struct token t;
    REQUIRE(ng_gss_initiator_init(&c, "HTTP@localhost", gss_mech_spnego, GSS_C_MUTUAL_FLAG, NULL) ==
            0);
    ng_gss_initiator_step(&c, NULL, 0, &out);
    REQUIRE(!GSS_ERROR(c.major) && out.length <= sizeof(t.b));
    memcpy(t.b, out.value, out.length);
    t.len = out.length;
    OM_uint32 minor;
    gss_release_buffer(&minor, &out);
    ng_gss_initiator_free(&c);
    return t;
}

static struct ne_leg leg_on(struct ne_handshake *hs, const struct ne_acceptor *a,
                            struct ne_replay_table *replay, enum ne_scheme scheme,
                            const struct token *t)
{
    struct ne_leg leg = {.out = out_buf, .out_cap = sizeof(out_buf)};
    ne_handshake_leg(hs, a, replay, scheme, t->b, t->len, 1000000, &leg);
    return leg;
}

static void test_kerberos_login(void)
{
    struct ne_acceptor a = acceptor(NE_MECHS_NEGOTIATE, NULL);
    struct ne_handshake hs = {0};
    struct token t = spnego_token();
    struct ne_leg leg = leg_on(&hs, &a, NULL, NE_SCHEME_NEGOTIATE, &t);
    CHECK_EQ(leg.status, SEC_E_OK);
    CHECK(strcmp(leg.user, realm.user) == 0);
    CHECK(strcmp(leg.package, "Kerberos") == 0);
    CHECK(leg.out_len > 0); /* the mutual-authentication answer */
    CHECK(!hs.active);
    ne_acceptor_free(&a);
}

/* Accepts `t` in a child process with the table in `region` (as another nginx worker or Squid
 * helper would); true when the child's login succeeded. */
static bool accepted_in_child(const struct token *t, void *region, size_t len)
{
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        struct ne_acceptor a = acceptor(NE_MECHS_NEGOTIATE, NULL);
        struct ne_replay_table table;
        struct ne_handshake hs = {0};
        if (ne_replay_table_attach(&table, region, len) != 0)
            _exit(2);
        _exit(leg_on(&hs, &a, &table, NE_SCHEME_NEGOTIATE, t).status == SEC_E_OK ? 0 : 1);
    }
    int status;
    REQUIRE(waitpid(pid, &status, 0) == pid);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static void test_replay_across_processes(void)
{
    size_t len = ne_replay_region_size(12);
    void *region = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    REQUIRE(region != MAP_FAILED && ne_replay_region_format(region, len) == 0);
    struct ne_replay_table table;
    REQUIRE(ne_replay_table_attach(&table, region, len) == 0);
    struct ne_acceptor a = acceptor(NE_MECHS_NEGOTIATE, NULL);
    struct ne_handshake hs = {0};

    struct token replayed = spnego_token();
    CHECK(accepted_in_child(&replayed, region, len));
    struct ne_leg leg = leg_on(&hs, &a, &table, NE_SCHEME_NEGOTIATE, &replayed);
    CHECK_EQ(leg.status, SEC_E_LOGON_DENIED);
    CHECK(leg.reason && strstr(leg.reason, "replayed authenticator") != NULL);
    CHECK_EQ(leg.out_len, 0);

    /* The control: without the shared table this process's own replay cache has never seen
     * the authenticator, and accepts it a second time. */
    struct token unshared = spnego_token();
    CHECK(accepted_in_child(&unshared, region, len));
    CHECK_EQ(leg_on(&hs, &a, NULL, NE_SCHEME_NEGOTIATE, &unshared).status, SEC_E_OK);
    /* And a fresh login passes the table. */
    struct token fresh = spnego_token();
    CHECK_EQ(leg_on(&hs, &a, &table, NE_SCHEME_NEGOTIATE, &fresh).status, SEC_E_OK);
    ne_acceptor_free(&a);
    munmap(region, len);
}

/* libnegring's NTLM initiator as EXAMPLE\carol, targeting `target`. */
static CredHandle ntlm_client(const char *password)
{
    SEC_WINNT_AUTH_IDENTITY_A id = {(unsigned char *)"carol",    5,
                                    (unsigned char *)"EXAMPLE",  7,
                                    (unsigned char *)password,   (ULONG)strlen(password),
                                    SEC_WINNT_AUTH_IDENTITY_ANSI};
    CredHandle cred;
    REQUIRE(AcquireCredentialsHandleA(NULL, "NTLM", SECPKG_CRED_OUTBOUND, NULL, &id, NULL, NULL,
                                      &cred, NULL) == SEC_E_OK);
    return cred;
}

static struct token client_step(CredHandle *cred, CtxtHandle *ctx, bool first,
                                const struct ne_leg *server)
{
    struct token t;
    SecBuffer ib = {server ? (ULONG)server->out_len : 0, SECBUFFER_TOKEN,
                    server ? server->out : NULL};
    SecBufferDesc idesc = {SECBUFFER_VERSION, 1, &ib};
    SecBuffer ob = {sizeof(t.b), SECBUFFER_TOKEN, t.b};
    SecBufferDesc odesc = {SECBUFFER_VERSION, 1, &ob};
    ULONG attrs;
    SECURITY_STATUS s = InitializeSecurityContextA(cred, first ? NULL : ctx, "HTTP/localhost", 0, 0,
                                                   SECURITY_NATIVE_DREP, first ? NULL : &idesc, 0,
                                                   ctx, &odesc, &attrs, NULL);
    REQUIRE(s == SEC_E_OK || s == SEC_I_CONTINUE_NEEDED);
    t.len = ob.cbBuffer;
    return t;
}

/* Runs NTLM's three messages; the acceptor names HTTP/localhost, which the initiator targets
 * (libnegring's initiator refuses an unnamed acceptor of its own process: docs/ntlm.md). */
static struct ne_leg ntlm_login(const char *password)
{
    struct ne_acceptor a = acceptor(NE_MECHS_NTLM, "HTTP/localhost");
    CredHandle cred = ntlm_client(password);
    CtxtHandle ctx;
    struct ne_handshake hs = {0};
    struct token negotiate = client_step(&cred, &ctx, true, NULL);
    struct ne_leg challenge = leg_on(&hs, &a, NULL, NE_SCHEME_NTLM, &negotiate);
    CHECK_EQ(challenge.status, SEC_I_CONTINUE_NEEDED);
    CHECK(hs.active);
    struct token authenticate = client_step(&cred, &ctx, false, &challenge);
    struct ne_leg leg = leg_on(&hs, &a, NULL, NE_SCHEME_NTLM, &authenticate);
    CHECK(!hs.active);
    DeleteSecurityContext(&ctx);
    FreeCredentialsHandle(&cred);
    ne_acceptor_free(&a);
    return leg;
}

static void test_ntlm_login(void)
{
    struct ne_leg leg = ntlm_login("Carol-Pass-3");
    CHECK_EQ(leg.status, SEC_E_OK);
    CHECK(strcmp(leg.user, "EXAMPLE\\carol") == 0);
    CHECK(strcmp(leg.package, "NTLM") == 0);
    leg = ntlm_login("wrong password");
    CHECK_EQ(leg.status, SEC_E_LOGON_DENIED);
    CHECK(leg.reason && strcmp(leg.reason, "logon denied") == 0);
}

/* A NEGOTIATE_MESSAGE on a pending NTLM handshake starts it over (RFC 4559 §5). */
static void test_new_handshake_starts_over(void)
{
    struct ne_acceptor a = acceptor(NE_MECHS_NTLM, "HTTP/localhost");
    CredHandle cred = ntlm_client("Carol-Pass-3");
    CtxtHandle ctx;
    struct ne_handshake hs = {0};
    struct token negotiate = client_step(&cred, &ctx, true, NULL);
    CHECK_EQ(leg_on(&hs, &a, NULL, NE_SCHEME_NTLM, &negotiate).status, SEC_I_CONTINUE_NEEDED);
    CtxtHandle first = hs.ctx;
    CHECK_EQ(leg_on(&hs, &a, NULL, NE_SCHEME_NTLM, &negotiate).status, SEC_I_CONTINUE_NEEDED);
    CHECK_EQ(hs.legs, 1);
    CHECK(memcmp(&first, &hs.ctx, sizeof(first)) != 0);
    ne_handshake_reset(&hs);
    DeleteSecurityContext(&ctx);
    FreeCredentialsHandle(&cred);
    ne_acceptor_free(&a);
}

static void test_kerberos_only_takes_no_ntlm(void)
{
    struct ne_acceptor a = acceptor(NE_MECHS_KERBEROS, NULL);
    CHECK(ne_acceptor_takes(&a, NE_SCHEME_NEGOTIATE));
    CHECK(!ne_acceptor_takes(&a, NE_SCHEME_NTLM));
    CredHandle cred = ntlm_client("Carol-Pass-3");
    CtxtHandle ctx;
    struct ne_handshake hs = {0};
    struct token negotiate = client_step(&cred, &ctx, true, NULL);
    CHECK_EQ(leg_on(&hs, &a, NULL, NE_SCHEME_NTLM, &negotiate).status, SEC_E_SECPKG_NOT_FOUND);
    /* NTLMSSP under the Negotiate scheme: the package list refuses it. */
    CHECK_EQ(leg_on(&hs, &a, NULL, NE_SCHEME_NEGOTIATE, &negotiate).status, SEC_E_LOGON_DENIED);
    DeleteSecurityContext(&ctx);
    FreeCredentialsHandle(&cred);
    ne_acceptor_free(&a);
}

static void test_acquire_errors(void)
{
    struct ne_acceptor a;
    char err[512];
    struct ne_acceptor_config no_accounts = {.keytab = realm.keytab, .mechs = NE_MECHS_NTLM};
    CHECK_EQ(ne_acceptor_acquire(&a, &no_accounts, err, sizeof(err)), -1);
    CHECK(strstr(err, "account file") != NULL);
    struct ne_acceptor_config no_keytab = {.keytab = "FILE:/nonexistent/http.keytab",
                                           .mechs = NE_MECHS_KERBEROS};
    CHECK_EQ(ne_acceptor_acquire(&a, &no_keytab, err, sizeof(err)), -1);
    CHECK(strstr(err, "/nonexistent/http.keytab") != NULL);
    fprintf(stderr, "acquire error: %s\n", err);
}

static void test_user_realm(void)
{
    size_t len;
    const char *r = ne_user_realm("alice@EXAMPLE.COM", "Kerberos", &len);
    CHECK(len == 11 && memcmp(r, "EXAMPLE.COM", len) == 0);
    /* an enterprise name: the realm follows the last '@' */
    r = ne_user_realm("alice\\@corp@EXAMPLE.COM", "Kerberos", &len);
    CHECK(len == 11 && memcmp(r, "EXAMPLE.COM", len) == 0);
    r = ne_user_realm("EXAMPLE\\carol", "NTLM", &len);
    CHECK(len == 7 && memcmp(r, "EXAMPLE", len) == 0);
    r = ne_user_realm("EXAMPLE\\carol@corp", "NTLM", &len);
    CHECK(len == 7 && memcmp(r, "EXAMPLE", len) == 0);
    ne_user_realm("nobody", "Kerberos", &len);
    CHECK_EQ(len, 0);
    ne_user_realm("nobody", "NTLM", &len);
    CHECK_EQ(len, 0);
}

int main(void)
{
    REQUIRE(ng_test_realm_start(&realm) == 0);
    write_user_db("Carol-Pass-3");
    RUN(test_kerberos_login);
    RUN(test_replay_across_processes);
    RUN(test_ntlm_login);
    RUN(test_new_handshake_starts_over);
    RUN(test_kerberos_only_takes_no_ntlm);
    RUN(test_acquire_errors);
    RUN(test_user_realm);
    return check_report();
}
