/* context_export: ExportSecurityContext / ImportSecurityContext. An accepted context (MIT's
 * GSSAPI initiator, delegation on) moves to another thread and to a forked process and goes on
 * exchanging messages with MIT in sequence; the delegated tickets come along; every malformed
 * or truncated blob is refused; flags and handles are checked. */
#include <gssapi/gssapi.h>
#include <krb5/krb5.h>
#include <negring/sspi.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "alloc.h"
#include "check.h"
#include "gss_peer.h"
#include "realm.h"

static struct ng_test_realm realm;
static CredHandle acceptor;

struct pair {
    struct ng_gss_initiator mit;
    CtxtHandle ours;
};

static void establish(struct pair *p)
{
    REQUIRE(ng_gss_initiator_init(&p->mit, "HTTP@localhost", (gss_OID)gss_mech_spnego,
                                  GSS_C_MUTUAL_FLAG | GSS_C_REPLAY_FLAG | GSS_C_SEQUENCE_FLAG |
                                      GSS_C_CONF_FLAG | GSS_C_INTEG_FLAG | GSS_C_DELEG_FLAG,
                                  NULL) == 0);
    struct ng_accept_leg *leg = calloc(1, sizeof(*leg));
    int legs;
    REQUIRE(leg != NULL);
    REQUIRE(ng_handshake(&acceptor, &p->mit, ASC_REQ_DELEGATE, NULL, 0, &p->ours, leg, &legs) ==
            SEC_E_OK);
    REQUIRE(leg->attrs & ASC_RET_DELEGATE);
    free(leg);
}

/* MIT wraps, `ctx` decrypts (STREAM); 1 when the text comes back. */
static int mit_to_ours(struct pair *p, PCtxtHandle ctx, const char *text)
{
    OM_uint32 minor;
    gss_buffer_desc in = {strlen(text), (void *)text}, tok;
    REQUIRE(gss_wrap(&minor, p->mit.ctx, 1, 0, &in, NULL, &tok) == GSS_S_COMPLETE);
    SecBuffer b[2] = {{(ULONG)tok.length, SECBUFFER_STREAM, tok.value}, {0, SECBUFFER_DATA, NULL}};
    SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
    int ok = DecryptMessage(ctx, &d, 0, NULL) == SEC_E_OK && b[1].cbBuffer == strlen(text) &&
             memcmp(b[1].pvBuffer, text, strlen(text)) == 0;
    gss_release_buffer(&minor, &tok);
    return ok;
}

/* `ctx` signs, MIT verifies. */
static int ours_to_mit(struct pair *p, PCtxtHandle ctx, const char *text)
{
    OM_uint32 minor;
    unsigned char sig[64];
    SecBuffer b[2] = {{sizeof(sig), SECBUFFER_TOKEN, sig},
                      {(ULONG)strlen(text), SECBUFFER_DATA, (void *)text}};
    SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
    if (MakeSignature(ctx, 0, &d, 0) != SEC_E_OK)
        return 0;
    gss_buffer_desc msg = {strlen(text), (void *)text}, mic = {b[0].cbBuffer, sig};
    return gss_verify_mic(&minor, p->mit.ctx, &msg, &mic, NULL) == GSS_S_COMPLETE;
}

struct worker {
    SecBuffer blob;
    struct pair *p;
    CtxtHandle imported;
    int ok;
};

static void *import_on_worker(void *arg)
{
    struct worker *w = arg;
    w->ok = ImportSecurityContextA("Negotiate", &w->blob, NULL, &w->imported) == SEC_E_OK &&
            mit_to_ours(w->p, &w->imported, "after the move") &&
            ours_to_mit(w->p, &w->imported, "from the worker");
    return NULL;
}

static void check_delegated(PCtxtHandle ctx)
{
    SecPkgContext_NegringDelegatedCcacheA d = {0};
    CHECK_EQ(QueryContextAttributesA(ctx, SECPKG_ATTR_NEGRING_DELEGATED_CCACHE, &d), SEC_E_OK);
    if (d.sCcacheName == NULL)
        return;
    krb5_context k;
    krb5_ccache cc;
    krb5_principal client = NULL;
    char *name = NULL;
    REQUIRE(krb5_init_context(&k) == 0);
    CHECK_EQ(krb5_cc_resolve(k, d.sCcacheName, &cc), 0);
    CHECK_EQ(krb5_cc_get_principal(k, cc, &client), 0);
    if (client != NULL && krb5_unparse_name(k, client, &name) == 0)
        CHECK(strcmp(name, realm.user) == 0);
    krb5_free_unparsed_name(k, name);
    krb5_free_principal(k, client);
    krb5_cc_close(k, cc);
    krb5_free_context(k);
    FreeContextBuffer(d.sCcacheName);
}

static void test_move_to_another_thread(void)
{
    struct pair p;
    establish(&p);
    CHECK(mit_to_ours(&p, &p.ours, "before the move"));
    CHECK(ours_to_mit(&p, &p.ours, "before the move"));
    struct worker w = {.blob = {0, SECBUFFER_EMPTY, NULL}, .p = &p};
    void *token = (void *)1;
    CHECK_EQ(ExportSecurityContext(&p.ours, SECPKG_CONTEXT_EXPORT_DELETE_OLD, &w.blob, &token),
             SEC_E_OK);
    CHECK(token == NULL);
    CHECK(w.blob.cbBuffer > 64 && w.blob.pvBuffer != NULL);
    SecPkgContext_Flags flags;
    CHECK_EQ(QueryContextAttributesA(&p.ours, SECPKG_ATTR_FLAGS, &flags), SEC_E_INVALID_HANDLE);
    pthread_t t;
    REQUIRE(pthread_create(&t, NULL, import_on_worker, &w) == 0);
    pthread_join(t, NULL);
    CHECK(w.ok);
    if (w.ok) {
        SecPkgContext_NamesA names = {0};
        CHECK_EQ(QueryContextAttributesA(&w.imported, SECPKG_ATTR_NAMES, &names), SEC_E_OK);
        CHECK(names.sUserName != NULL && strcmp(names.sUserName, realm.user) == 0);
        FreeContextBuffer(names.sUserName);
        CHECK_EQ(QueryContextAttributesA(&w.imported, SECPKG_ATTR_FLAGS, &flags), SEC_E_OK);
        CHECK(flags.Flags & ASC_RET_DELEGATE);
        check_delegated(&w.imported);
        /* An imported context serves messages, not further legs. */
        struct ng_accept_leg *leg = calloc(1, sizeof(*leg));
        REQUIRE(leg != NULL);
        ng_accept_leg_run(&(struct ng_accept_call){.cred = &acceptor,
                                                   .ctx_in = &w.imported,
                                                   .ctx_out = &w.imported,
                                                   .in = "x",
                                                   .in_len = 1},
                          leg);
        CHECK_EQ(leg->status, SEC_E_INVALID_HANDLE);
        free(leg);
        CHECK_EQ(DeleteSecurityContext(&w.imported), SEC_E_OK);
    }
    FreeContextBuffer(w.blob.pvBuffer);
    ng_gss_initiator_free(&p.mit);
}

/* Without DELETE_OLD both live; a forked process imports the blob and reads a message. */
static void test_move_to_another_process(void)
{
    struct pair p;
    establish(&p);
    SecBuffer blob = {0, SECBUFFER_EMPTY, NULL};
    CHECK_EQ(ExportSecurityContext(&p.ours, 0, &blob, NULL), SEC_E_OK);
    CHECK(mit_to_ours(&p, &p.ours, "the old handle still works"));
    OM_uint32 minor;
    gss_buffer_desc in = {5, "child"}, tok;
    REQUIRE(gss_wrap(&minor, p.mit.ctx, 1, 0, &in, NULL, &tok) == GSS_S_COMPLETE);
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        CtxtHandle child;
        /* The blob predates the message the old handle just read, so the child expects that
         * number again and sees MIT's next one as a gap: refused with sequence detection. */
        SecBuffer b[2] = {{(ULONG)tok.length, SECBUFFER_STREAM, tok.value},
                          {0, SECBUFFER_DATA, NULL}};
        SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
        int ok = ImportSecurityContextA("Negotiate", &blob, NULL, &child) == SEC_E_OK &&
                 DecryptMessage(&child, &d, 0, NULL) == SEC_E_OUT_OF_SEQUENCE;
        _exit(ok ? 0 : 1);
    }
    int wstatus = 0;
    REQUIRE(waitpid(pid, &wstatus, 0) == pid);
    CHECK(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0);
    SecBuffer pb[2] = {{(ULONG)tok.length, SECBUFFER_STREAM, tok.value}, {0, SECBUFFER_DATA, NULL}};
    SecBufferDesc pd = {SECBUFFER_VERSION, 2, pb};
    CHECK_EQ(DecryptMessage(&p.ours, &pd, 0, NULL), SEC_E_OK); /* the parent reads it instead */
    gss_release_buffer(&minor, &tok);
    FreeContextBuffer(blob.pvBuffer);
    /* A fresh export, imported by a forked process, reads the next message in sequence. */
    CHECK_EQ(ExportSecurityContext(&p.ours, SECPKG_CONTEXT_EXPORT_DELETE_OLD, &blob, NULL),
             SEC_E_OK);
    REQUIRE(gss_wrap(&minor, p.mit.ctx, 1, 0, &in, NULL, &tok) == GSS_S_COMPLETE);
    pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        CtxtHandle child;
        SecBuffer b[2] = {{(ULONG)tok.length, SECBUFFER_STREAM, tok.value},
                          {0, SECBUFFER_DATA, NULL}};
        SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
        int ok = ImportSecurityContextA("negotiate", &blob, NULL, &child) == SEC_E_OK &&
                 DecryptMessage(&child, &d, 0, NULL) == SEC_E_OK && b[1].cbBuffer == 5 &&
                 memcmp(b[1].pvBuffer, "child", 5) == 0;
        _exit(ok ? 0 : 1);
    }
    REQUIRE(waitpid(pid, &wstatus, 0) == pid);
    CHECK(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0);
    gss_release_buffer(&minor, &tok);
    FreeContextBuffer(blob.pvBuffer);
    ng_gss_initiator_free(&p.mit);
}

static void test_bad_blobs_and_arguments(void)
{
    struct pair p;
    establish(&p);
    SecBuffer blob = {0, SECBUFFER_EMPTY, NULL};
    CtxtHandle bad = {3, 4}, out;
    CHECK_EQ(ExportSecurityContext(&bad, 0, &blob, NULL), SEC_E_INVALID_HANDLE);
    CHECK_EQ(ExportSecurityContext(NULL, 0, &blob, NULL), SEC_E_INVALID_HANDLE);
    CHECK_EQ(ExportSecurityContext(&p.ours, 0, NULL, NULL), SEC_E_INVALID_PARAMETER);
    CHECK_EQ(ExportSecurityContext(&p.ours, 0x100, &blob, NULL), SEC_E_INVALID_PARAMETER);
    CHECK_EQ(ExportSecurityContext(&p.ours, SECPKG_CONTEXT_EXPORT_TO_KERNEL, &blob, NULL),
             SEC_E_UNSUPPORTED_FUNCTION);
    CHECK_EQ(ExportSecurityContext(&p.ours, SECPKG_CONTEXT_EXPORT_RESET_NEW, &blob, NULL),
             SEC_E_OK);
    REQUIRE(blob.pvBuffer != NULL);
    unsigned char *copy = malloc(blob.cbBuffer);
    REQUIRE(copy != NULL);
    memcpy(copy, blob.pvBuffer, blob.cbBuffer);
    /* Every truncation is refused (and, under ASan, leaks nothing). */
    int refused = 0;
    for (ULONG len = 0; len < blob.cbBuffer; len++) {
        SecBuffer cut = {len, SECBUFFER_EMPTY, copy};
        refused += ImportSecurityContextA("Negotiate", &cut, NULL, &out) == SEC_E_INVALID_TOKEN;
    }
    CHECK_EQ(refused, blob.cbBuffer);
    SecBuffer longer = {blob.cbBuffer + 1, SECBUFFER_EMPTY, malloc(blob.cbBuffer + 1)};
    REQUIRE(longer.pvBuffer != NULL);
    memcpy(longer.pvBuffer, copy, blob.cbBuffer);
    CHECK_EQ(ImportSecurityContextA("Negotiate", &longer, NULL, &out), SEC_E_INVALID_TOKEN);
    free(longer.pvBuffer);
    copy[4] ^= 0x01; /* version */
    SecBuffer altered = {blob.cbBuffer, SECBUFFER_EMPTY, copy};
    CHECK_EQ(ImportSecurityContextA("Negotiate", &altered, NULL, &out), SEC_E_INVALID_TOKEN);
    copy[4] ^= 0x01;
    CHECK_EQ(ImportSecurityContextA("Kerberos", &altered, NULL, &out), SEC_E_INVALID_TOKEN);
    CHECK_EQ(ImportSecurityContextA("Bogus", &altered, NULL, &out), SEC_E_SECPKG_NOT_FOUND);
    CHECK_EQ(ImportSecurityContextA(NULL, &altered, NULL, &out), SEC_E_SECPKG_NOT_FOUND);
    CHECK_EQ(ImportSecurityContextA("Negotiate", NULL, NULL, &out), SEC_E_INVALID_PARAMETER);
    CHECK_EQ(ImportSecurityContextA("Negotiate", &altered, NULL, NULL), SEC_E_INVALID_PARAMETER);
    /* Allocation failures at every step of an import: a clean refusal, nothing leaked. */
    int failed = 0;
    for (unsigned long n = 1; n <= 12; n++) {
        ng_alloc_fail_after(n);
        SECURITY_STATUS st = ImportSecurityContextA("Negotiate", &altered, NULL, &out);
        ng_alloc_fail_after(0);
        if (st == SEC_E_OK)
            CHECK_EQ(DeleteSecurityContext(&out), SEC_E_OK);
        else
            failed += st == SEC_E_INSUFFICIENT_MEMORY;
    }
    CHECK(failed >= 3); /* the context, the names, the delegated ccache's name */
    SEC_WCHAR wname[] = {'N', 'e', 'g', 'o', 't', 'i', 'a', 't', 'e', 0};
    CHECK_EQ(ImportSecurityContextW(wname, &altered, NULL, &out), SEC_E_OK);
    CHECK(mit_to_ours(&p, &out, "imported through the W form"));
    CHECK_EQ(DeleteSecurityContext(&out), SEC_E_OK);
    free(copy);
    FreeContextBuffer(blob.pvBuffer);
    CHECK_EQ(DeleteSecurityContext(&p.ours), SEC_E_OK);
    ng_gss_initiator_free(&p.mit);
}

/* A context still negotiating cannot be exported. */
static void test_unfinished_context(void)
{
    struct ng_gss_initiator c;
    REQUIRE(ng_gss_initiator_init(&c, "HTTP@localhost", (gss_OID)gss_mech_spnego, GSS_C_MUTUAL_FLAG,
                                  NULL) == 0);
    struct ng_accept_leg *leg = calloc(1, sizeof(*leg));
    REQUIRE(leg != NULL);
    CtxtHandle ctx;
    ng_accept_leg_run(&(struct ng_accept_call){.cred = &acceptor, .ctx_out = &ctx},
                      leg); /* empty first input */
    REQUIRE(leg->status == SEC_I_CONTINUE_NEEDED);
    SecBuffer blob = {0, SECBUFFER_EMPTY, NULL};
    CHECK_EQ(ExportSecurityContext(&ctx, 0, &blob, NULL), SEC_E_INVALID_HANDLE);
    CHECK(blob.pvBuffer == NULL);
    DeleteSecurityContext(&ctx);
    free(leg);
    ng_gss_initiator_free(&c);
}

int main(void)
{
    REQUIRE(ng_test_realm_start(&realm) == 0);
    REQUIRE(ng_acquire_acceptor(NULL, "Negotiate", NULL, 0, &acceptor) == SEC_E_OK);
    RUN(test_move_to_another_thread);
    RUN(test_move_to_another_process);
    RUN(test_bad_blobs_and_arguments);
    RUN(test_unfinished_context);
    FreeCredentialsHandle(&acceptor);
    return check_report();
}
