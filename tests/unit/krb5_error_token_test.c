/* krb5_error_token, and the SPNEGO reject negotiate_acceptor.c wraps it in: with
 * ASC_REQ_EXTENDED_ERROR a failed Kerberos accept answers MIT's SPNEGO initiator with a reject
 * whose responseToken is a KRB-ERROR (RFC 4121 §4.1 TOK_ID 03 00) that names the cause (RFC
 * 4120 §7.5.9 code), the service and the server's time; without the flag nothing is sent. */
#include <gssapi/gssapi.h>
#include <gssapi/gssapi_krb5.h>
#include <krb5/krb5.h>
#include <negring/sspi.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "gss_peer.h"
#include "krb5_token.h"
#include "realm.h"
#include "spnego.h"

static struct ng_test_realm realm;

/* The KRB-ERROR inside a SPNEGO reject; its error code, or -1 when there is none. */
static int krb_error_in(const struct ng_accept_leg *leg, char *server, size_t server_len)
{
    struct ng_spnego_token tok;
    struct ng_slice msg;
    if (ng_spnego_parse(ng_slice_of(leg->out, leg->out_len), &tok) != NG_OK ||
        tok.kind != NG_SPNEGO_RESP || tok.resp.neg_state != NG_NEG_STATE_REJECT ||
        !tok.resp.has_response_token ||
        ng_krb5_unframe(tok.resp.response_token, NG_KRB5_TOK_ERROR, &msg) != NG_OK)
        return -1;
    krb5_context k;
    REQUIRE(krb5_init_context(&k) == 0);
    krb5_data in = {KV5M_DATA, (unsigned int)msg.len, (char *)msg.ptr};
    krb5_error *err = NULL;
    int code = -1;
    if (krb5_rd_error(k, &in, &err) == 0) {
        code = (int)err->error;
        char *name = NULL;
        if (krb5_unparse_name(k, err->server, &name) == 0)
            snprintf(server, server_len, "%s", name);
        krb5_free_unparsed_name(k, name);
        CHECK(llabs((long long)err->stime - (long long)time(NULL)) <= 5);
        CHECK(err->text.length > 0);
        krb5_free_error(k, err);
    }
    krb5_free_context(k);
    return code;
}

/* A service key for host/localhost only: MIT's ticket for HTTP/localhost is not for us. */
static void test_wrong_principal_is_explained(void)
{
    CredHandle cred;
    REQUIRE(ng_acquire_acceptor("host/localhost", "Negotiate", NULL, 0, &cred) == SEC_E_OK);
    for (int extended = 1; extended >= 0; extended--) {
        struct ng_gss_initiator c;
        REQUIRE(ng_gss_initiator_init(&c, "HTTP@localhost", (gss_OID)gss_mech_spnego,
                                      GSS_C_MUTUAL_FLAG, NULL) == 0);
        struct ng_accept_leg *leg = calloc(1, sizeof(*leg));
        REQUIRE(leg != NULL);
        CtxtHandle ctx;
        int legs;
        CHECK_EQ(ng_handshake(&cred, &c, extended ? ASC_REQ_EXTENDED_ERROR : 0, NULL, 0, &ctx, leg,
                              &legs),
                 SEC_E_WRONG_PRINCIPAL);
        if (extended) {
            char server[128] = "";
            CHECK_EQ(krb_error_in(leg, server, sizeof(server)),
                     KRB5KRB_AP_ERR_NOT_US - ERROR_TABLE_BASE_krb5);
            CHECK(strcmp(server, "HTTP/localhost@NEGRING.TEST") == 0);
            /* MIT's SPNEGO ends on the reject (it does not pass the KRB-ERROR on). */
            gss_buffer_desc out = GSS_C_EMPTY_BUFFER;
            OM_uint32 minor;
            CHECK(GSS_ERROR(ng_gss_initiator_step(&c, leg->out, leg->out_len, &out)));
            gss_release_buffer(&minor, &out);
        } else {
            CHECK_EQ(leg->out_len, 0);
        }
        free(leg);
        ng_gss_initiator_free(&c);
    }
    FreeCredentialsHandle(&cred);
}

/* The same first token twice: the second is a replay, and says so. */
static void test_replay_is_explained(void)
{
    CredHandle cred;
    REQUIRE(ng_acquire_acceptor(NULL, "Negotiate", NULL, 0, &cred) == SEC_E_OK);
    struct ng_gss_initiator c;
    REQUIRE(ng_gss_initiator_init(&c, "HTTP@localhost", (gss_OID)gss_mech_spnego, GSS_C_MUTUAL_FLAG,
                                  NULL) == 0);
    gss_buffer_desc tok = GSS_C_EMPTY_BUFFER;
    REQUIRE(!GSS_ERROR(ng_gss_initiator_step(&c, NULL, 0, &tok)));
    struct ng_accept_leg *leg = calloc(1, sizeof(*leg));
    REQUIRE(leg != NULL);
    CtxtHandle first, second;
    ng_accept_leg_run(&(struct ng_accept_call){.cred = &cred,
                                               .ctx_out = &first,
                                               .in = tok.value,
                                               .in_len = tok.length,
                                               .req = ASC_REQ_EXTENDED_ERROR},
                      leg);
    CHECK_EQ(leg->status, SEC_E_OK);
    DeleteSecurityContext(&first);
    ng_accept_leg_run(&(struct ng_accept_call){.cred = &cred,
                                               .ctx_out = &second,
                                               .in = tok.value,
                                               .in_len = tok.length,
                                               .req = ASC_REQ_EXTENDED_ERROR},
                      leg);
    CHECK_EQ(leg->status, SEC_E_LOGON_DENIED);
    char server[128] = "";
    CHECK_EQ(krb_error_in(leg, server, sizeof(server)),
             KRB5KRB_AP_ERR_REPEAT - ERROR_TABLE_BASE_krb5);
    OM_uint32 minor;
    gss_release_buffer(&minor, &tok);
    free(leg);
    ng_gss_initiator_free(&c);
    FreeCredentialsHandle(&cred);
}

int main(void)
{
    REQUIRE(ng_test_realm_start(&realm) == 0);
    RUN(test_wrong_principal_is_explained);
    RUN(test_replay_is_explained);
    return check_report();
}
