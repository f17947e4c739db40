/* ASC_REQ_DELEGATE with MIT's GSSAPI as the initiator: a client that forwards its TGT
 * (GSS_C_DELEG_FLAG) gives the server usable credentials only when the server asked. */
#include <gssapi/gssapi.h>
#include <gssapi/gssapi_krb5.h>
#include <krb5/krb5.h>
#include <negring/sspi.h>
#include <string.h>

#include "check.h"
#include "realm.h"

static struct ng_test_realm realm;

/* A raw krb5 first token from MIT with delegation requested. */
static gss_buffer_desc mit_token(gss_ctx_id_t *ctx)
{
    OM_uint32 minor;
    gss_name_t target;
    gss_buffer_desc name = {strlen("HTTP@localhost"), "HTTP@localhost"};
    REQUIRE(gss_import_name(&minor, &name, GSS_C_NT_HOSTBASED_SERVICE, &target) == GSS_S_COMPLETE);
    gss_buffer_desc out = GSS_C_EMPTY_BUFFER;
    OM_uint32 major =
        gss_init_sec_context(&minor, GSS_C_NO_CREDENTIAL, ctx, target, (gss_OID)gss_mech_krb5,
                             GSS_C_DELEG_FLAG | GSS_C_MUTUAL_FLAG, 0, GSS_C_NO_CHANNEL_BINDINGS,
                             GSS_C_NO_BUFFER, NULL, &out, NULL, NULL);
    REQUIRE(major == GSS_S_CONTINUE_NEEDED);
    gss_release_name(&minor, &target);
    return out;
}

static SECURITY_STATUS accept(ULONG req, CtxtHandle *sctx, ULONG *attrs)
{
    CredHandle cred;
    TimeStamp ts;
    REQUIRE(AcquireCredentialsHandleA(NULL, "Negotiate", SECPKG_CRED_INBOUND, NULL, NULL, NULL,
                                      NULL, &cred, &ts) == SEC_E_OK);
    gss_ctx_id_t mit = GSS_C_NO_CONTEXT;
    gss_buffer_desc token = mit_token(&mit);
    unsigned char reply[8192];
    SecBuffer in = {(ULONG)token.length, SECBUFFER_TOKEN, token.value};
    SecBufferDesc ind = {SECBUFFER_VERSION, 1, &in};
    SecBuffer out = {sizeof(reply), SECBUFFER_TOKEN, reply};
    SecBufferDesc outd = {SECBUFFER_VERSION, 1, &out};
    SECURITY_STATUS s = AcceptSecurityContext(&cred, NULL, &ind, req, SECURITY_NATIVE_DREP, sctx,
                                              &outd, attrs, NULL);
    OM_uint32 minor;
    gss_release_buffer(&minor, &token);
    gss_delete_sec_context(&minor, &mit, GSS_C_NO_BUFFER);
    FreeCredentialsHandle(&cred);
    return s;
}

/* The delegated ccache holds alice's TGT: it gets a ticket for another service. */
static void check_usable(const char *ccache_name)
{
    krb5_context k;
    krb5_ccache cc;
    krb5_principal client = NULL;
    REQUIRE(krb5_init_context(&k) == 0);
    REQUIRE(krb5_cc_resolve(k, ccache_name, &cc) == 0);
    CHECK_EQ(krb5_cc_get_principal(k, cc, &client), 0);
    char *name = NULL;
    if (client != NULL && krb5_unparse_name(k, client, &name) == 0)
        CHECK(strcmp(name, realm.user) == 0);
    krb5_creds in = {0}, *out = NULL;
    in.client = client;
    CHECK_EQ(krb5_parse_name(k, "host/localhost", &in.server), 0);
    CHECK_EQ(krb5_get_credentials(k, 0, cc, &in, &out), 0);
    krb5_free_creds(k, out);
    krb5_free_principal(k, in.server);
    krb5_free_unparsed_name(k, name);
    krb5_free_principal(k, client);
    krb5_cc_close(k, cc);
    krb5_free_context(k);
}

static void delegation_kept_when_asked(void)
{
    CtxtHandle sctx;
    ULONG attrs = 0;
    REQUIRE(accept(ASC_REQ_DELEGATE | ASC_REQ_MUTUAL_AUTH, &sctx, &attrs) == SEC_E_OK);
    CHECK(attrs & ASC_RET_DELEGATE);
    SecPkgContext_NegringDelegatedCcacheA d = {0};
    CHECK_EQ(QueryContextAttributesA(&sctx, SECPKG_ATTR_NEGRING_DELEGATED_CCACHE, &d), SEC_E_OK);
    CHECK(d.sCcacheName != NULL && strncmp(d.sCcacheName, "MEMORY:", 7) == 0);
    if (d.sCcacheName != NULL)
        check_usable(d.sCcacheName);
    FreeContextBuffer(d.sCcacheName);
    CHECK_EQ(DeleteSecurityContext(&sctx), SEC_E_OK);
}

static void delegation_dropped_when_not_asked(void)
{
    CtxtHandle sctx;
    ULONG attrs = 0;
    REQUIRE(accept(ASC_REQ_MUTUAL_AUTH, &sctx, &attrs) == SEC_E_OK);
    CHECK(!(attrs & ASC_RET_DELEGATE));
    SecPkgContext_NegringDelegatedCcacheA d = {0};
    CHECK_EQ(QueryContextAttributesA(&sctx, SECPKG_ATTR_NEGRING_DELEGATED_CCACHE, &d),
             SEC_E_NO_CREDENTIALS);
    CHECK(d.sCcacheName == NULL);
    CHECK_EQ(DeleteSecurityContext(&sctx), SEC_E_OK);
}

int main(void)
{
    REQUIRE(ng_test_realm_start(&realm) == 0);
    RUN(delegation_kept_when_asked);
    RUN(delegation_dropped_when_not_asked);
    return check_report();
}
