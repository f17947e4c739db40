/* Independent NTLM initiators against negring's acceptor, each a real program from Debian:
 *   - Samba's ntlm_auth --helper-protocol=ntlmssp-client-1 (YR / TT / KK lines), raw NTLMSSP
 *     into the "NTLM" package and into "Negotiate";
 *   - python3-ntlm-auth's NtlmContext (tests/interop/ntlm_client.py), with sealed messages
 *     both ways to prove the session keys agree;
 *   - gss-ntlmssp through MIT's SPNEGO (gss_init_sec_context, NTLM_USER_FILE), mechListMIC
 *     included.
 * Each with the right password (SEC_E_OK, name EXAMPLE\alice) and a wrong one
 * (SEC_E_LOGON_DENIED). curl --ntlm needs an HTTP server and is covered with ringserver. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "gss_peer.h"
#include "ntlm_crypto.h"
#include "ntlm_seal.h"
#include "ntlm_state.h"
#include "security_context.h"

#ifndef NG_NTLM_CLIENT_PY
#define NG_NTLM_CLIENT_PY "tests/interop/ntlm_client.py"
#endif

/* gss-ntlmssp's own leaks (suppressed by tests/lsan.supp) allocate inside libcrypto, which has
 * no frame pointers: only the slow unwinder sees gssntlmssp.so on those stacks. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
    return "fast_unwind_on_malloc=0";
}

static char dir[64], db_path[128], smb_conf[128], user_file[128], openssl_conf[128];

/* ---- base64 for the line protocols (test plumbing, not crypto) ---- */
static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void b64_encode(const uint8_t *in, size_t len, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < len ? in[i + 1] << 8 : 0) |
                     (i + 2 < len ? in[i + 2] : 0);
        out[o++] = b64[v >> 18 & 63];
        out[o++] = b64[v >> 12 & 63];
        out[o++] = i + 1 < len ? b64[v >> 6 & 63] : '=';
        out[o++] = i + 2 < len ? b64[v & 63] : '=';
    }
    out[o] = '\0';
}

static size_t b64_decode(const char *in, uint8_t *out)
{
    size_t n = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (; *in && *in != '\n' && *in != '='; in++) {
        const char *p = strchr(b64, *in);
        if (p == NULL)
            break;
        acc = acc << 6 | (uint32_t)(p - b64);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[n++] = (uint8_t)(acc >> bits);
        }
    }
    return n;
}

/* ---- a child process with a pipe each way ---- */
struct child {
    pid_t pid;
    FILE *to, *from;
};

/* `openssl`: give the child OpenSSL's legacy provider (Python's hashlib needs it for MD4). */
static void spawn(struct child *c, char *const argv[], bool openssl)
{
    int in[2], out[2];
    REQUIRE(pipe(in) == 0 && pipe(out) == 0);
    c->pid = fork();
    REQUIRE(c->pid >= 0);
    if (c->pid == 0) {
        if (openssl)
            setenv("OPENSSL_CONF", openssl_conf, 1);
        dup2(in[0], 0);
        dup2(out[1], 1);
        close(in[1]);
        close(out[0]);
        execvp(argv[0], argv);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    c->to = fdopen(in[1], "w");
    c->from = fdopen(out[0], "r");
    REQUIRE(c->to && c->from);
}

static void reap(struct child *c)
{
    fclose(c->to);
    fclose(c->from);
    kill(c->pid, SIGTERM);
    waitpid(c->pid, NULL, 0);
}

static bool read_line(struct child *c, char *buf, size_t cap)
{
    if (fgets(buf, (int)cap, c->from) == NULL)
        return false;
    buf[strcspn(buf, "\n")] = '\0';
    return true;
}

static SECURITY_STATUS accept_b64(CredHandle *cred, CtxtHandle *ctx, bool first, const char *line,
                                  struct ng_accept_leg *leg)
{
    static uint8_t token[NG_PEER_MAX_TOKEN];
    size_t len = b64_decode(line, token);
    ng_accept_leg_run(
        &(struct ng_accept_call){
            .cred = cred, .ctx_in = first ? NULL : ctx, .ctx_out = ctx, .in = token, .in_len = len},
        leg);
    return leg->status;
}

static CredHandle server_cred(const char *package)
{
    NEGRING_ACCEPTOR_AUTH_DATA2 data = {
        .Version = NEGRING_ACCEPTOR_AUTH_DATA_VERSION_2,
        .Keytab = "FILE:/nonexistent/keytab",
        .UserDatabase = db_path,
        .NtlmDomain = "EXAMPLE",
        .NtlmComputer = "SERVER",
        .DnsDomain = "example.test",
        .DnsComputer = "server.example.test",
    };
    CredHandle h;
    REQUIRE(AcquireCredentialsHandleA(NULL, (LPSTR)package, SECPKG_CRED_INBOUND, NULL, &data, NULL,
                                      NULL, &h, NULL) == SEC_E_OK);
    return h;
}

static void check_client_name(CtxtHandle *ctx)
{
    SecPkgContext_NamesA names = {0};
    CHECK_EQ(QueryContextAttributesA(ctx, SECPKG_ATTR_NAMES, &names), SEC_E_OK);
    CHECK(names.sUserName != NULL && strcmp(names.sUserName, "EXAMPLE\\alice") == 0);
    FreeContextBuffer(names.sUserName);
}

/* ---- Samba ntlm_auth ---- */
static SECURITY_STATUS samba_client(const char *package, const char *password)
{
    char conf[160], pass[64];
    snprintf(conf, sizeof(conf), "--configfile=%s", smb_conf);
    snprintf(pass, sizeof(pass), "--password=%s", password); /* a test password only */
    char *argv[] = {"ntlm_auth",
                    conf,
                    "--helper-protocol=ntlmssp-client-1",
                    "--username=alice",
                    "--domain=EXAMPLE",
                    pass,
                    NULL};
    struct child c;
    spawn(&c, argv, false);
    CredHandle cred = server_cred(package);
    CtxtHandle ctx;
    static struct ng_accept_leg leg;
    static char line[NG_PEER_MAX_TOKEN * 2];
    SECURITY_STATUS result = SEC_E_INTERNAL_ERROR;
    fputs("YR\n", c.to);
    fflush(c.to);
    REQUIRE(read_line(&c, line, sizeof(line)) && strncmp(line, "YR ", 3) == 0);
    REQUIRE(accept_b64(&cred, &ctx, true, line + 3, &leg) == SEC_I_CONTINUE_NEEDED);
    b64_encode(leg.out, leg.out_len, line + 3);
    memcpy(line, "TT ", 3);
    fprintf(c.to, "%s\n", line);
    fflush(c.to);
    REQUIRE(read_line(&c, line, sizeof(line)));
    if (strncmp(line, "KK ", 3) == 0 || strncmp(line, "AF ", 3) == 0) {
        result = accept_b64(&cred, &ctx, false, line + 3, &leg);
        if (result == SEC_E_OK)
            check_client_name(&ctx);
    } else {
        fprintf(stderr, "ntlm_auth said: %s\n", line);
    }
    DeleteSecurityContext(&ctx);
    FreeCredentialsHandle(&cred);
    reap(&c);
    return result;
}

static void test_samba_ntlm_auth_client(void)
{
    CHECK_EQ(samba_client("NTLM", "Secret1"), SEC_E_OK);
    CHECK_EQ(samba_client("Negotiate", "Secret1"), SEC_E_OK); /* raw NTLMSSP into Negotiate */
    CHECK_EQ(samba_client("NTLM", "Secret2"), SEC_E_LOGON_DENIED);
}

/* ---- python3-ntlm-auth ---- */
static SECURITY_STATUS python_client(const char *password, bool check_messages)
{
    char *argv[] = {"/usr/bin/python3", NG_NTLM_CLIENT_PY, "alice", "EXAMPLE", NULL};
    struct child c;
    spawn(&c, argv, true);
    fprintf(c.to, "%s\n", password);
    fflush(c.to);
    CredHandle cred = server_cred("NTLM");
    CtxtHandle ctx;
    static struct ng_accept_leg leg;
    static char line[NG_PEER_MAX_TOKEN * 2];
    REQUIRE(read_line(&c, line, sizeof(line)));
    REQUIRE(accept_b64(&cred, &ctx, true, line, &leg) == SEC_I_CONTINUE_NEEDED);
    b64_encode(leg.out, leg.out_len, line);
    fprintf(c.to, "%s\n", line);
    fflush(c.to);
    REQUIRE(read_line(&c, line, sizeof(line)));
    SECURITY_STATUS result = accept_b64(&cred, &ctx, false, line, &leg);
    if (result == SEC_E_OK && check_messages) {
        check_client_name(&ctx);
        struct ng_context *context;
        REQUIRE(ng_context_acquire(&ctx, &context) == NG_OK);
        struct ng_ntlm_session *s = &ng_ntlm_state_of(context)->session;
        /* Python's sealed message: signature (16) then ciphertext. */
        uint8_t msg[256];
        REQUIRE(read_line(&c, line, sizeof(line)));
        size_t len = b64_decode(line, msg);
        REQUIRE(len == 16 + 11);
        CHECK_EQ(ng_ntlm_unseal(s, msg + 16, 11, msg), NG_OK);
        CHECK(memcmp(msg + 16, "from python", 11) == 0);
        /* Ours, for Python to unseal. */
        memcpy(msg + 16, "from negring", 12);
        ng_ntlm_seal(s, msg + 16, 12, msg);
        b64_encode(msg, 28, line);
        fprintf(c.to, "%s\n", line);
        fflush(c.to);
        CHECK(read_line(&c, line, sizeof(line)) && strcmp(line, "from negring") == 0);
        ng_context_release(&ctx);
    }
    DeleteSecurityContext(&ctx);
    FreeCredentialsHandle(&cred);
    reap(&c);
    return result;
}

static void test_python_ntlm_auth_client(void)
{
    CHECK_EQ(python_client("Secret1", true), SEC_E_OK);
    CHECK_EQ(python_client("wrong", false), SEC_E_LOGON_DENIED);
}

/* ---- gss-ntlmssp through MIT SPNEGO ---- */
static gss_OID_desc ntlmssp_oid = {10, "\x2b\x06\x01\x04\x01\x82\x37\x02\x02\x0a"};

/* gss_wrap / gss_unwrap of gss-ntlmssp against DecryptMessage / EncryptMessage: the keys and
 * the RC4 streams (restarted after the SPNEGO mechListMIC) agree both ways. */
static void check_wrap_both_ways(struct ng_gss_initiator *c, CtxtHandle *ctx)
{
    OM_uint32 minor;
    int conf = 0;
    gss_buffer_desc in = {13, "from gssntlm!"}, out = {0};
    REQUIRE(gss_wrap(&minor, c->ctx, 1, GSS_C_QOP_DEFAULT, &in, &conf, &out) == GSS_S_COMPLETE);
    CHECK(conf == 1);
    SecBuffer sb[2] = {{(ULONG)out.length, SECBUFFER_STREAM, out.value}, {0, SECBUFFER_DATA, NULL}};
    SecBufferDesc sd = {SECBUFFER_VERSION, 2, sb};
    ULONG qop;
    CHECK_EQ(DecryptMessage(ctx, &sd, 0, &qop), SEC_E_OK);
    CHECK(sb[1].cbBuffer == 13 && memcmp(sb[1].pvBuffer, "from gssntlm!", 13) == 0);
    gss_release_buffer(&minor, &out);

    uint8_t msg[16 + 12];
    memcpy(msg + 16, "from negring", 12);
    SecBuffer eb[2] = {{16, SECBUFFER_TOKEN, msg}, {12, SECBUFFER_DATA, msg + 16}};
    SecBufferDesc ed = {SECBUFFER_VERSION, 2, eb};
    CHECK_EQ(EncryptMessage(ctx, 0, &ed, 0), SEC_E_OK);
    gss_buffer_desc wrapped = {sizeof(msg), msg}, plain = {0};
    CHECK_EQ(gss_unwrap(&minor, c->ctx, &wrapped, &plain, &conf, NULL), GSS_S_COMPLETE);
    CHECK(plain.length == 12 && memcmp(plain.value, "from negring", 12) == 0);
    gss_release_buffer(&minor, &plain);
}

static SECURITY_STATUS gss_ntlmssp_client(const char *password)
{
    FILE *f = fopen(user_file, "w");
    REQUIRE(f != NULL);
    fprintf(f, "EXAMPLE:alice:%s\n", password);
    fclose(f);
    setenv("NTLM_USER_FILE", user_file, 1);
    struct ng_gss_initiator c;
    REQUIRE(ng_gss_initiator_init(&c, "HTTP@server.example.test", gss_mech_spnego,
                                  GSS_C_MUTUAL_FLAG | GSS_C_INTEG_FLAG | GSS_C_CONF_FLAG,
                                  NULL) == 0);
    CredHandle cred = server_cred("Negotiate");
    CtxtHandle ctx;
    static struct ng_accept_leg final;
    int legs = 0;
    SECURITY_STATUS st = ng_handshake(&cred, &c, 0, NULL, 0, &ctx, &final, &legs);
    if (st == SEC_E_OK) {
        CHECK(!GSS_ERROR(c.major));
        CHECK(c.actual_mech != NULL && c.actual_mech->length == ntlmssp_oid.length &&
              memcmp(c.actual_mech->elements, ntlmssp_oid.elements, ntlmssp_oid.length) == 0);
        check_client_name(&ctx);
        check_wrap_both_ways(&c, &ctx);
        SecPkgContext_NegotiationInfoA info = {0};
        CHECK_EQ(QueryContextAttributesA(&ctx, SECPKG_ATTR_NEGOTIATION_INFO, &info), SEC_E_OK);
        CHECK(info.PackageInfo != NULL && strcmp(info.PackageInfo->Name, "NTLM") == 0);
        FreeContextBuffer(info.PackageInfo);
    }
    if (legs > 0)
        DeleteSecurityContext(&ctx);
    ng_gss_initiator_free(&c);
    FreeCredentialsHandle(&cred);
    return st;
}

static void test_gss_ntlmssp_through_mit_spnego(void)
{
    CHECK_EQ(gss_ntlmssp_client("Secret1"), SEC_E_OK);
    CHECK_EQ(gss_ntlmssp_client("Secret2"), SEC_E_LOGON_DENIED);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    REQUIRE(f != NULL);
    fputs(text, f);
    fclose(f);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    snprintf(dir, sizeof(dir), "/tmp/ntlm-clients-XXXXXX");
    REQUIRE(mkdtemp(dir) != NULL);
    snprintf(db_path, sizeof(db_path), "%s/users", dir);
    snprintf(smb_conf, sizeof(smb_conf), "%s/smb.conf", dir);
    snprintf(user_file, sizeof(user_file), "%s/ntlm_user_file", dir);
    uint8_t hash[16];
    REQUIRE(ng_nt_hash("Secret1", 7, hash) == NG_OK);
    char line[128] = "EXAMPLE:alice:";
    for (int i = 0; i < 16; i++)
        snprintf(line + strlen(line), 3, "%02x", hash[i]);
    strcat(line, ":\n");
    write_file(db_path, line);
    char conf[1024];
    snprintf(conf, sizeof(conf),
             "[global]\n workgroup = EXAMPLE\n client ntlmv2 auth = yes\n"
             " state directory = %s\n cache directory = %s\n lock directory = %s\n"
             " private dir = %s\n",
             dir, dir, dir, dir);
    write_file(smb_conf, conf);
    snprintf(openssl_conf, sizeof(openssl_conf), "%s/openssl.cnf", dir);
    write_file(openssl_conf, "openssl_conf = init\n[init]\nproviders = providers\n"
                             "[providers]\ndefault = on\nlegacy = on\n"
                             "[on]\nactivate = 1\n");
    char krb5_conf[128], ccache[140];
    snprintf(krb5_conf, sizeof(krb5_conf), "%s/krb5.conf", dir);
    write_file(krb5_conf, "[libdefaults]\n dns_lookup_kdc = false\n dns_lookup_realm = false\n");
    setenv("KRB5_CONFIG", krb5_conf, 1);
    snprintf(ccache, sizeof(ccache), "FILE:%s/no-ccache", dir);
    setenv("KRB5CCNAME", ccache, 1); /* no Kerberos tickets: SPNEGO can only pick NTLM */

    RUN(test_samba_ntlm_auth_client);
    RUN(test_python_ntlm_auth_client);
    RUN(test_gss_ntlmssp_through_mit_spnego);

    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return check_report();
}
