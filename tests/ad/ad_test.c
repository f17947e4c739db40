/* negring against a real Active Directory domain controller: Samba's AD DC (Heimdal KDC, Windows
 * PACs) started by tests/ad/ad_dc.sh, whose environment this program expects (tests/ad/run.sh).
 * MIT's libkrb5 and GSSAPI play the clients; the directory itself (sam.ldb, read with ldbsearch
 * and samba-tool) says what the answers must be.
 *
 *   - AES keytab, MIT SPNEGO: the PAC verified, the canonical name, the user's SID and primary
 *     group SID against the account's objectSid, the group SIDs against its tokenGroups, the
 *     logon name and UPN, S-1-18-1 (authentication authority asserted identity);
 *   - SPN aliases and case: tickets for HTTP/WEB.corp.example and HTTP/alias.corp.example opened
 *     with the keytab exported under HTTP/web.corp.example only;
 *   - an enterprise-name login (alice@corp.example as NT-ENTERPRISE) reported as alice@REALM;
 *   - an RC4-only account (msDS-SupportedEncryptionTypes 4): RC4 ticket and session, messages
 *     both ways with MIT;
 *   - a user in NEGRING_AD_GROUPS groups: every group SID, as tokenGroups lists them;
 *   - a PAC altered and the ticket re-encrypted with the service key: refused, reason bad_pac;
 *   - S4U2Self + S4U2Proxy (svc-front for alice to HTTP/web): accepted as alice, with S-1-18-2
 *     (service asserted identity);
 *   - NTLM against an account file holding alice's NT hash as the directory stores it;
 *   - key rotation: svc-web's password changed (kvno 3), the old keytab refuses the new ticket
 *     as a stale key naming both kvnos, the keytab exported again and reloaded accepts it.
 * Nothing here is mocked: each figure is read from the DC or its tickets. */
#define _GNU_SOURCE /* memmem */
#include <gssapi/gssapi.h>
#include <gssapi/gssapi_krb5.h>
#include <krb5/krb5.h>
#include <negring/access_token.h>
#include <negring/sspi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "gss_peer.h"
#include "krb5_gss_checksum.h"
#include "krb5_token.h"
#include "writer.h"

static const char *dir, *realm;
static char web_keytab[512], rc4_keytab[512];
static krb5_context k;

static const char *env(const char *name)
{
    const char *v = getenv(name);
    REQUIRE(v != NULL && v[0] != '\0');
    return v;
}

/* ---- the directory -------------------------------------------------------------------------- */

/* The values of `attr` of account `sam` (objectSid, tokenGroups: ldbsearch prints SIDs as text). */
static size_t directory_values(const char *sam, const char *attr, char out[][96], size_t max)
{
    char cmd[1024], line[512];
    snprintf(cmd, sizeof(cmd),
             "ldbsearch -H '%s' -b 'CN=%s,CN=Users,DC=corp,DC=example' -s base %s 2>/dev/null",
             env("NEGRING_AD_SAM"), sam, attr);
    FILE *p = popen(cmd, "r");
    REQUIRE(p != NULL);
    size_t n = 0, prefix = strlen(attr);
    while (fgets(line, sizeof(line), p) != NULL && n < max) {
        if (strncmp(line, attr, prefix) == 0 && line[prefix] == ':' && line[prefix + 1] == ' ') {
            line[strcspn(line, "\n")] = '\0';
            snprintf(out[n++], 96, "%s", line + prefix + 2);
        }
    }
    pclose(p);
    return n;
}

/* ---- tickets and accepts ----------------------------------------------------------------------
 */

/* A ccache DIR/<file> holding a TGT for `principal` (enterprise: an NT-ENTERPRISE name). */
static const char *login(const char *principal, const char *password, bool enterprise,
                         const char *file)
{
    static char name[8][600];
    static int next;
    char *cc_name = name[next++ % 8];
    snprintf(cc_name, 600, "FILE:%s/%s", dir, file);
    krb5_principal p;
    krb5_creds creds;
    krb5_ccache cc;
    krb5_get_init_creds_opt *opt;
    REQUIRE(krb5_parse_name_flags(k, principal, enterprise ? KRB5_PRINCIPAL_PARSE_ENTERPRISE : 0,
                                  &p) == 0);
    REQUIRE(krb5_get_init_creds_opt_alloc(k, &opt) == 0);
    krb5_get_init_creds_opt_set_forwardable(opt, 1);
    krb5_error_code code =
        krb5_get_init_creds_password(k, &creds, p, password, NULL, NULL, 0, NULL, opt);
    if (code != 0)
        fprintf(stderr, "kinit %s: %s\n", principal, krb5_get_error_message(k, code));
    REQUIRE(code == 0);
    REQUIRE(krb5_cc_resolve(k, cc_name, &cc) == 0);
    REQUIRE(krb5_cc_initialize(k, cc, creds.client) == 0);
    REQUIRE(krb5_cc_store_cred(k, cc, &creds) == 0);
    krb5_cc_close(k, cc);
    krb5_free_cred_contents(k, &creds);
    krb5_get_init_creds_opt_free(k, opt);
    krb5_free_principal(k, p);
    return cc_name;
}

/* A service ticket for `service` ("HTTP/web.corp.example") from the ccache. */
static krb5_creds *service_ticket(const char *ccache, const char *service)
{
    krb5_ccache cc;
    krb5_creds in = {0}, *out = NULL;
    REQUIRE(krb5_cc_resolve(k, ccache, &cc) == 0);
    REQUIRE(krb5_cc_get_principal(k, cc, &in.client) == 0);
    REQUIRE(krb5_parse_name(k, service, &in.server) == 0);
    REQUIRE(krb5_get_credentials(k, 0, cc, &in, &out) == 0);
    krb5_free_cred_contents(k, &in);
    krb5_cc_close(k, cc);
    return out;
}

/* A GSS-framed AP-REQ for the ticket (RFC 4121 §4.1.1 checksum, no bindings). */
static void ap_req(krb5_creds *creds, struct ng_writer *out)
{
    uint8_t ck[24] = {16};
    krb5_data ckd = {KV5M_DATA, sizeof(ck), (char *)ck};
    krb5_auth_context ac = NULL;
    krb5_data ap = {0};
    REQUIRE(krb5_auth_con_init(k, &ac) == 0);
    REQUIRE(krb5_auth_con_set_req_cksumtype(k, ac, NG_GSS_CHECKSUM_TYPE) == 0);
    REQUIRE(krb5_mk_req_extended(k, &ac, 0, &ckd, creds, &ap) == 0);
    ng_krb5_frame(out, NG_KRB5_TOK_AP_REQ, ng_slice_of(ap.data, ap.length));
    REQUIRE(out->error == NG_OK);
    krb5_free_data_contents(k, &ap);
    krb5_auth_con_free(k, ac);
}

struct outcome {
    SECURITY_STATUS status;
    NEGRING_FAILURE_INFO failure;
    CtxtHandle ctx; /* the caller deletes it when status is SEC_E_OK */
};

static void accept_bytes(PCredHandle cred, const void *tok, size_t len, struct outcome *o)
{
    static unsigned char out[NG_PEER_MAX_TOKEN];
    SecBuffer ib = {(ULONG)len, SECBUFFER_TOKEN, (void *)tok};
    SecBuffer ob[2] = {{sizeof(out), SECBUFFER_TOKEN, out},
                       {sizeof(o->failure), SECBUFFER_NEGRING_FAILURE, &o->failure}};
    SecBufferDesc id = {SECBUFFER_VERSION, 1, &ib}, od = {SECBUFFER_VERSION, 2, ob};
    ULONG attrs;
    o->status =
        AcceptSecurityContext(cred, NULL, &id, 0, SECURITY_NATIVE_DREP, &o->ctx, &od, &attrs, NULL);
}

static void accept_creds(PCredHandle cred, krb5_creds *creds, struct outcome *o)
{
    struct ng_writer w = ng_writer_growable();
    ap_req(creds, &w);
    accept_bytes(cred, w.buf, w.len, o);
    ng_writer_free(&w);
}

static CredHandle acceptor(const char *keytab)
{
    CredHandle cred;
    REQUIRE(ng_acquire_acceptor(NULL, "Negotiate", keytab, 0, &cred) == SEC_E_OK);
    return cred;
}

static bool has_sid(const char *const *sids, size_t n, const char *sid)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(sids[i], sid) == 0)
            return true;
    return false;
}

/* The token against the directory: user SID = objectSid, primary group = domain + 513, every
 * domain SID of tokenGroups among the PAC's group SIDs and every domain SID of the PAC's in
 * tokenGroups (builtin groups, S-1-5-32-*, are the resource server's to add: not in a PAC). */
static void check_token_against_directory(CtxtHandle *ctx, const char *account, size_t min_groups)
{
    static char sid[1][96], groups[8192][96];
    void *token = NULL;
    REQUIRE(QuerySecurityContextToken(ctx, &token) == SEC_E_OK);
    REQUIRE(directory_values(account, "objectSid", sid, 1) == 1);
    CHECK(negring_token_user_sid(token) != NULL &&
          strcmp(negring_token_user_sid(token), sid[0]) == 0);
    char domain[96], primary[110];
    snprintf(domain, sizeof(domain), "%.*s", (int)(strrchr(sid[0], '-') - sid[0]), sid[0]);
    snprintf(primary, sizeof(primary), "%s-513", domain);
    CHECK(negring_token_primary_group_sid(token) != NULL &&
          strcmp(negring_token_primary_group_sid(token), primary) == 0);
    const char *const *sids;
    size_t n = negring_token_sids(token, &sids);
    size_t t = directory_values(account, "tokenGroups", groups, 8192);
    CHECK(t >= min_groups);
    size_t domain_groups = 0, missing = 0, extra = 0;
    for (size_t i = 0; i < t; i++) {
        if (strncmp(groups[i], domain, strlen(domain)) != 0)
            continue;
        domain_groups++;
        missing += !has_sid(sids, n, groups[i]);
    }
    for (size_t i = 0; i < n; i++) {
        bool found = false;
        for (size_t j = 0; j < t && !found; j++)
            found = strcmp(sids[i], groups[j]) == 0;
        extra += strncmp(sids[i], domain, strlen(domain)) == 0 && !found;
    }
    CHECK(domain_groups >= min_groups);
    CHECK_EQ(missing, 0);
    CHECK_EQ(extra, 0);
    CHECK(has_sid(sids, n, "S-1-18-1"));  /* a password (AS) logon ... */
    CHECK(!has_sid(sids, n, "S-1-18-2")); /* ... not one a service asserted */
    negring_token_close(token);
}

static void check_name(CtxtHandle *ctx, const char *expected)
{
    SecPkgContext_NamesA names;
    REQUIRE(QueryContextAttributesA(ctx, SECPKG_ATTR_NAMES, &names) == SEC_E_OK);
    CHECK(strcmp(names.sUserName, expected) == 0);
    if (strcmp(names.sUserName, expected) != 0)
        fprintf(stderr, "  name %s, expected %s\n", names.sUserName, expected);
    FreeContextBuffer(names.sUserName);
}

/* ---- the tests ------------------------------------------------------------------------------- */

static void test_aes_login_pac_and_sids(void)
{
    const char *cc = login("alice", env("NEGRING_AD_ALICE_PASS"), false, "alice.cc");
    struct ng_gss_initiator c;
    REQUIRE(ng_gss_initiator_init(&c, "HTTP@web.corp.example", gss_mech_spnego,
                                  GSS_C_MUTUAL_FLAG | GSS_C_INTEG_FLAG, cc) == 0);
    CredHandle cred = acceptor(web_keytab);
    struct ng_accept_leg *leg = calloc(1, sizeof(*leg));
    CtxtHandle ctx;
    int legs;
    CHECK_EQ(ng_handshake(&cred, &c, ASC_REQ_MUTUAL_AUTH, NULL, 0, &ctx, leg, &legs), SEC_E_OK);
    CHECK_EQ(c.major, GSS_S_COMPLETE);
    char expected[128];
    snprintf(expected, sizeof(expected), "alice@%s", realm);
    check_name(&ctx, expected);
    check_token_against_directory(&ctx, "alice", 3);
    void *token;
    REQUIRE(QuerySecurityContextToken(&ctx, &token) == SEC_E_OK);
    CHECK(negring_token_logon_name(token) != NULL &&
          strcmp(negring_token_logon_name(token), "CORP\\alice") == 0);
    CHECK(negring_token_upn(token) != NULL &&
          strcmp(negring_token_upn(token), "alice@corp.example") == 0);
    negring_token_close(token);
    DeleteSecurityContext(&ctx);
    free(leg);
    ng_gss_initiator_free(&c);
    FreeCredentialsHandle(&cred);
}

/* AD matches SPNs without regard to case and gives every SPN of an account its key. */
static void test_spn_alias_and_case(void)
{
    const char *cc = login("alice", env("NEGRING_AD_ALICE_PASS"), false, "alice.cc");
    CredHandle cred = acceptor(web_keytab);
    static const char *const spns[] = {"HTTP/WEB.corp.example", "HTTP/alias.corp.example",
                                       "http/web.CORP.example"};
    for (size_t i = 0; i < 3; i++) {
        krb5_creds *t = service_ticket(cc, spns[i]);
        struct outcome o;
        accept_creds(&cred, t, &o);
        CHECK_EQ(o.status, SEC_E_OK);
        if (o.status == SEC_E_OK)
            DeleteSecurityContext(&o.ctx);
        else
            fprintf(stderr, "  %s: %s (%s)\n", spns[i],
                    negring_failure_reason_name(o.failure.Reason), o.failure.Detail);
        krb5_free_creds(k, t);
    }
    FreeCredentialsHandle(&cred);
}

static void test_enterprise_name_reported_canonically(void)
{
    const char *cc = login("alice@corp.example", env("NEGRING_AD_ALICE_PASS"), true, "ent.cc");
    CredHandle cred = acceptor(web_keytab);
    krb5_creds *t = service_ticket(cc, "HTTP/web.corp.example");
    char *client = NULL;
    REQUIRE(krb5_unparse_name(k, t->client, &client) == 0);
    CHECK(strchr(client, '\\') != NULL); /* the ticket names alice\@corp.example@REALM */
    struct outcome o;
    accept_creds(&cred, t, &o);
    CHECK_EQ(o.status, SEC_E_OK);
    if (o.status == SEC_E_OK) {
        char expected[128];
        snprintf(expected, sizeof(expected), "alice@%s", realm);
        check_name(&o.ctx, expected);
        DeleteSecurityContext(&o.ctx);
    }
    krb5_free_unparsed_name(k, client);
    krb5_free_creds(k, t);
    FreeCredentialsHandle(&cred);
}

/* svc-rc4 has no AES (msDS-SupportedEncryptionTypes 4): an RC4 ticket and session, and RFC 4757
 * messages both ways with MIT. */
static void test_rc4_account(void)
{
    const char *cc = login("alice", env("NEGRING_AD_ALICE_PASS"), false, "alice.cc");
    struct ng_gss_initiator c;
    REQUIRE(ng_gss_initiator_init(&c, "HTTP@rc4.corp.example", gss_mech_spnego,
                                  GSS_C_MUTUAL_FLAG | GSS_C_INTEG_FLAG | GSS_C_CONF_FLAG, cc) == 0);
    CredHandle cred = acceptor(rc4_keytab);
    struct ng_accept_leg *leg = calloc(1, sizeof(*leg));
    CtxtHandle ctx;
    int legs;
    REQUIRE(ng_handshake(&cred, &c,
                         ASC_REQ_MUTUAL_AUTH | ASC_REQ_CONFIDENTIALITY | ASC_REQ_INTEGRITY, NULL, 0,
                         &ctx, leg, &legs) == SEC_E_OK);
    SecPkgContext_KeyInfoA ki;
    REQUIRE(QueryContextAttributesA(&ctx, SECPKG_ATTR_KEY_INFO, &ki) == SEC_E_OK);
    CHECK_EQ(ki.EncryptAlgorithm, ENCTYPE_ARCFOUR_HMAC);
    FreeContextBuffer(ki.sSignatureAlgorithmName);
    FreeContextBuffer(ki.sEncryptAlgorithmName);
    OM_uint32 minor;
    char msg[] = "over an AD RC4 session";
    gss_buffer_desc in = {sizeof(msg), msg}, wrapped = GSS_C_EMPTY_BUFFER;
    REQUIRE(gss_wrap(&minor, c.ctx, 1, GSS_C_QOP_DEFAULT, &in, NULL, &wrapped) == GSS_S_COMPLETE);
    SecBuffer sb[2] = {{(ULONG)wrapped.length, SECBUFFER_STREAM, wrapped.value},
                       {0, SECBUFFER_DATA, NULL}};
    SecBufferDesc sd = {SECBUFFER_VERSION, 2, sb};
    CHECK_EQ(DecryptMessage(&ctx, &sd, 0, NULL), SEC_E_OK);
    CHECK(sb[1].cbBuffer == sizeof(msg) && memcmp(sb[1].pvBuffer, msg, sizeof(msg)) == 0);
    gss_release_buffer(&minor, &wrapped);
    uint8_t token[49], data[sizeof(msg)], pad[1], wire[128];
    memcpy(data, msg, sizeof(msg));
    SecBuffer eb[3] = {{sizeof(token), SECBUFFER_TOKEN, token},
                       {sizeof(data), SECBUFFER_DATA, data},
                       {1, SECBUFFER_PADDING, pad}};
    SecBufferDesc ed = {SECBUFFER_VERSION, 3, eb};
    REQUIRE(EncryptMessage(&ctx, 0, &ed, 0) == SEC_E_OK);
    size_t len = 0;
    for (int i = 0; i < 3; i++) {
        memcpy(wire + len, eb[i].pvBuffer, eb[i].cbBuffer);
        len += eb[i].cbBuffer;
    }
    gss_buffer_desc win = {len, wire}, plain = GSS_C_EMPTY_BUFFER;
    CHECK(!GSS_ERROR(gss_unwrap(&minor, c.ctx, &win, &plain, NULL, NULL)));
    CHECK(plain.length == sizeof(msg) && memcmp(plain.value, msg, sizeof(msg)) == 0);
    gss_release_buffer(&minor, &plain);
    DeleteSecurityContext(&ctx);
    free(leg);
    ng_gss_initiator_free(&c);
    FreeCredentialsHandle(&cred);
}

static void test_user_in_many_groups(void)
{
    size_t groups = (size_t)atol(env("NEGRING_AD_GROUPS"));
    const char *cc = login("many", env("NEGRING_AD_MANY_PASS"), false, "many.cc");
    CredHandle cred = acceptor(web_keytab);
    krb5_creds *t = service_ticket(cc, "HTTP/web.corp.example");
    struct outcome o;
    accept_creds(&cred, t, &o);
    CHECK_EQ(o.status, SEC_E_OK);
    if (o.status == SEC_E_OK) {
        check_token_against_directory(&o.ctx, "many", groups);
        DeleteSecurityContext(&o.ctx);
    }
    krb5_free_creds(k, t);
    FreeCredentialsHandle(&cred);
}

/* The ticket's encrypted part opened with the service key, one byte of the PAC's logon info
 * (the account name, in UTF-16LE) changed, and encrypted again: the ticket still opens, the
 * PAC's server signature no longer matches. */
static void alter_pac(krb5_creds *creds, const char *keytab)
{
    krb5_ticket *t;
    krb5_keytab kt;
    krb5_keytab_entry ent;
    REQUIRE(krb5_decode_ticket(&creds->ticket, &t) == 0);
    REQUIRE(krb5_kt_resolve(k, keytab, &kt) == 0);
    REQUIRE(krb5_kt_get_entry(k, kt, t->server, t->enc_part.kvno, t->enc_part.enctype, &ent) == 0);
    krb5_data plain = {KV5M_DATA, t->enc_part.ciphertext.length,
                       malloc(t->enc_part.ciphertext.length)};
    REQUIRE(krb5_c_decrypt(k, &ent.key, KRB5_KEYUSAGE_KDC_REP_TICKET, NULL, &t->enc_part, &plain) ==
            0);
    char *name = memmem(plain.data, plain.length, "a\0l\0i\0c\0e\0", 10);
    REQUIRE(name != NULL);
    name[0] = 'm';
    krb5_enc_data enc = t->enc_part;
    enc.ciphertext.data = malloc(enc.ciphertext.length);
    REQUIRE(krb5_c_encrypt(k, &ent.key, KRB5_KEYUSAGE_KDC_REP_TICKET, NULL, &plain, &enc) == 0);
    char *at = memmem(creds->ticket.data, creds->ticket.length, t->enc_part.ciphertext.data,
                      t->enc_part.ciphertext.length);
    REQUIRE(at != NULL);
    memcpy(at, enc.ciphertext.data, enc.ciphertext.length);
    free(enc.ciphertext.data);
    free(plain.data);
    krb5_free_keytab_entry_contents(k, &ent);
    krb5_kt_close(k, kt);
    krb5_free_ticket(k, t);
}

static void test_tampered_pac_refused(void)
{
    const char *cc = login("alice", env("NEGRING_AD_ALICE_PASS"), false, "alice.cc");
    CredHandle cred = acceptor(web_keytab);
    krb5_creds *t = service_ticket(cc, "HTTP/web.corp.example");
    alter_pac(t, web_keytab);
    struct outcome o;
    accept_creds(&cred, t, &o);
    CHECK_EQ(o.status, SEC_E_LOGON_DENIED);
    CHECK_EQ(o.failure.Reason, NEGRING_REASON_BAD_PAC);
    CHECK_EQ(o.failure.MechanismRpcId, RPC_C_AUTHN_GSS_KERBEROS);
    krb5_free_creds(k, t);
    FreeCredentialsHandle(&cred);
}

/* svc-front, trusted to authenticate for delegation to HTTP/web, gets a ticket for alice by
 * S4U2Self then S4U2Proxy (MS-SFU), as a web front end does for a user it authenticated some
 * other way; the back end sees alice, asserted by a service (S-1-18-2). */
static void test_s4u2proxy_ticket(void)
{
    char ccache[600];
    snprintf(ccache, sizeof(ccache), "FILE:%s/s4u.cc", dir);
    char cmd[2048];
    snprintf(cmd, sizeof(cmd),
             "KRB5CCNAME=%s kinit -f -k -t %s/front.keytab svc-front && KRB5CCNAME=%s kvno -q -U "
             "alice -P HTTP/web.corp.example",
             ccache, dir, ccache);
    REQUIRE(system(cmd) == 0);
    krb5_ccache cc;
    krb5_cc_cursor cur;
    krb5_creds c, *found = NULL;
    krb5_principal web;
    REQUIRE(krb5_parse_name(k, "HTTP/web.corp.example", &web) == 0);
    REQUIRE(krb5_cc_resolve(k, ccache, &cc) == 0);
    REQUIRE(krb5_cc_start_seq_get(k, cc, &cur) == 0);
    while (found == NULL && krb5_cc_next_cred(k, cc, &cur, &c) == 0) {
        if (krb5_principal_compare(k, c.server, web))
            REQUIRE(krb5_copy_creds(k, &c, &found) == 0);
        krb5_free_cred_contents(k, &c);
    }
    krb5_cc_end_seq_get(k, cc, &cur);
    krb5_cc_close(k, cc);
    REQUIRE(found != NULL);
    CredHandle cred = acceptor(web_keytab);
    struct outcome o;
    accept_creds(&cred, found, &o);
    CHECK_EQ(o.status, SEC_E_OK);
    if (o.status == SEC_E_OK) {
        char expected[128];
        snprintf(expected, sizeof(expected), "alice@%s", realm);
        check_name(&o.ctx, expected);
        void *token;
        REQUIRE(QuerySecurityContextToken(&o.ctx, &token) == SEC_E_OK);
        const char *const *sids;
        size_t n = negring_token_sids(token, &sids);
        CHECK(has_sid(sids, n, "S-1-18-2"));
        CHECK(!has_sid(sids, n, "S-1-18-1"));
        negring_token_close(token);
        DeleteSecurityContext(&o.ctx);
    }
    krb5_free_creds(k, found);
    krb5_free_principal(k, web);
    FreeCredentialsHandle(&cred);
}

/* The NT hash as the directory holds it (unicodePwd), in negring's account file. */
static void test_ntlm_with_the_account_nt_hash(void)
{
    char cmd[2048], line[256], db[600], hexhash[33] = "";
    snprintf(cmd, sizeof(cmd),
             "samba-tool user getpassword alice --attributes=unicodePwd -H '%s' 2>/dev/null | "
             "sed -n 's/^unicodePwd:: //p' | base64 -d | od -An -tx1 | tr -d ' \\n'",
             env("NEGRING_AD_SAM"));
    FILE *p = popen(cmd, "r");
    REQUIRE(p != NULL && fgets(line, sizeof(line), p) != NULL);
    pclose(p);
    REQUIRE(strlen(line) == 32);
    memcpy(hexhash, line, 32);
    snprintf(db, sizeof(db), "%s/ntlm.users", dir);
    FILE *f = fopen(db, "w");
    REQUIRE(f != NULL);
    fprintf(f, "CORP:alice:%s:\n", hexhash);
    REQUIRE(fclose(f) == 0);
    NEGRING_ACCEPTOR_AUTH_DATA2 data = {.Version = NEGRING_ACCEPTOR_AUTH_DATA_VERSION_2,
                                        .Keytab = web_keytab,
                                        .UserDatabase = db,
                                        .NtlmDomain = "CORP",
                                        .DnsDomain = "corp.example",
                                        .DnsComputer = "web.corp.example"};
    CredHandle server, client;
    REQUIRE(AcquireCredentialsHandleA("HTTP/web.corp.example", "NTLM", SECPKG_CRED_INBOUND, NULL,
                                      &data, NULL, NULL, &server, NULL) == SEC_E_OK);
    const char *pass = env("NEGRING_AD_ALICE_PASS");
    SEC_WINNT_AUTH_IDENTITY_A id = {(unsigned char *)"alice",    5,
                                    (unsigned char *)"CORP",     4,
                                    (unsigned char *)pass,       (ULONG)strlen(pass),
                                    SEC_WINNT_AUTH_IDENTITY_ANSI};
    REQUIRE(AcquireCredentialsHandleA(NULL, "NTLM", SECPKG_CRED_OUTBOUND, NULL, &id, NULL, NULL,
                                      &client, NULL) == SEC_E_OK);
    CtxtHandle c, s;
    static uint8_t a[12000], b[12000];
    ULONG blen = 0, attrs;
    SECURITY_STATUS ss = SEC_E_INTERNAL_ERROR;
    for (int leg = 0; leg < 2; leg++) {
        SecBuffer ib = {blen, SECBUFFER_TOKEN, b}, ob = {sizeof(a), SECBUFFER_TOKEN, a};
        SecBufferDesc idd = {SECBUFFER_VERSION, 1, &ib}, od = {SECBUFFER_VERSION, 1, &ob};
        REQUIRE(InitializeSecurityContextA(&client, leg ? &c : NULL, "HTTP/web.corp.example", 0, 0,
                                           SECURITY_NATIVE_DREP, leg ? &idd : NULL, 0, &c, &od,
                                           &attrs, NULL) >= 0);
        SecBuffer ib2 = {ob.cbBuffer, SECBUFFER_TOKEN, a}, ob2 = {sizeof(b), SECBUFFER_TOKEN, b};
        SecBufferDesc id2 = {SECBUFFER_VERSION, 1, &ib2}, od2 = {SECBUFFER_VERSION, 1, &ob2};
        ss = AcceptSecurityContext(&server, leg ? &s : NULL, &id2, 0, SECURITY_NATIVE_DREP, &s,
                                   &od2, &attrs, NULL);
        blen = ob2.cbBuffer;
        if (ss != SEC_I_CONTINUE_NEEDED)
            break;
    }
    CHECK_EQ(ss, SEC_E_OK);
    if (ss == SEC_E_OK) {
        check_name(&s, "CORP\\alice");
        DeleteSecurityContext(&s);
    }
    DeleteSecurityContext(&c);
    FreeCredentialsHandle(&client);
    FreeCredentialsHandle(&server);
}

/* The password of svc-web changes: AD bumps its kvno (msDS-KeyVersionNumber) and new tickets
 * use the new key. The old keytab refuses them as a stale key naming both versions; the keytab
 * exported again and reloaded (as SIGHUP makes ringserver do) accepts them. Last: it changes
 * svc-web's key. */
static void test_key_rotation(void)
{
    CredHandle cred = acceptor(web_keytab);
    char cmd[2048];
    snprintf(cmd, sizeof(cmd),
             "samba-tool user setpassword svc-web --newpassword='Svc-Pass-5!' -H '%s' >/dev/null "
             "2>&1",
             env("NEGRING_AD_SAM"));
    REQUIRE(system(cmd) == 0);
    const char *cc = login("alice", env("NEGRING_AD_ALICE_PASS"), false, "rotated.cc");
    krb5_creds *t = service_ticket(cc, "HTTP/web.corp.example");
    struct outcome o;
    accept_creds(&cred, t, &o);
    CHECK_EQ(o.status, SEC_E_LOGON_DENIED);
    CHECK_EQ(o.failure.Reason, NEGRING_REASON_STALE_KEY);
    CHECK(strstr(o.failure.Detail, "ticket kvno 3") != NULL);
    CHECK(strstr(o.failure.Detail, "kvno 2") != NULL);
    fprintf(stderr, "  stale key: %s\n", o.failure.Detail);
    snprintf(cmd, sizeof(cmd),
             "samba-tool domain exportkeytab %s --principal=HTTP/web.corp.example -s "
             "%s/dc/etc/smb.conf >/dev/null 2>&1",
             web_keytab + 5, dir);
    REQUIRE(system(cmd) == 0);
    CHECK_EQ(SetCredentialsAttributesA(&cred, SECPKG_CRED_ATTR_NEGRING_RELOAD_KEYS, NULL, 0),
             SEC_E_OK);
    accept_creds(&cred, t, &o);
    CHECK_EQ(o.status, SEC_E_OK);
    if (o.status == SEC_E_OK)
        DeleteSecurityContext(&o.ctx);
    krb5_free_creds(k, t);
    FreeCredentialsHandle(&cred);
}

int main(void)
{
    dir = env("NEGRING_AD_DIR");
    realm = env("NEGRING_AD_REALM");
    snprintf(web_keytab, sizeof(web_keytab), "FILE:%s/web.keytab", dir);
    snprintf(rc4_keytab, sizeof(rc4_keytab), "FILE:%s/rc4.keytab", dir);
    REQUIRE(krb5_init_context(&k) == 0);
    RUN(test_aes_login_pac_and_sids);
    RUN(test_spn_alias_and_case);
    RUN(test_enterprise_name_reported_canonically);
    RUN(test_rc4_account);
    RUN(test_user_in_many_groups);
    RUN(test_tampered_pac_refused);
    RUN(test_s4u2proxy_ticket);
    RUN(test_ntlm_with_the_account_nt_hash);
    RUN(test_key_rotation);
    krb5_free_context(k);
    return check_report();
}
