/* MIT GSSAPI initiator and the AcceptSecurityContext leg driver; see gss_peer.h. */
#include "gss_peer.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

gss_OID_desc ng_gss_mech_spnego_desc = {6, "\x2b\x06\x01\x05\x05\x02"};

static int acquire_cred(struct ng_gss_initiator *c, const char *ccache)
{
    gss_OID_set_desc mechs = {1, c->mech};
    gss_key_value_element_desc elem = {"ccache", ccache};
    gss_key_value_set_desc store = {1, &elem};
    OM_uint32 minor;
    c->major =
        gss_acquire_cred_from(&minor, GSS_C_NO_NAME, GSS_C_INDEFINITE, &mechs, GSS_C_INITIATE,
                              ccache ? &store : GSS_C_NO_CRED_STORE, &c->cred, NULL, NULL);
    c->minor = minor;
    return GSS_ERROR(c->major) ? -1 : 0;
}

int ng_gss_initiator_init(struct ng_gss_initiator *c, const char *service, gss_OID mech,
                          OM_uint32 req_flags, const char *ccache)
{
    memset(c, 0, sizeof(*c));
    c->ctx = GSS_C_NO_CONTEXT;
    c->cred = GSS_C_NO_CREDENTIAL;
    c->mech = mech;
    c->req_flags = req_flags;
    gss_buffer_desc name = {strlen(service), (void *)service};
    OM_uint32 minor;
    c->major = gss_import_name(&minor, &name, GSS_C_NT_HOSTBASED_SERVICE, &c->target);
    c->minor = minor;
    if (GSS_ERROR(c->major)) {
        ng_gss_initiator_report(c, "gss_import_name");
        return -1;
    }
    if (ccache != NULL && acquire_cred(c, ccache) != 0) {
        ng_gss_initiator_report(c, "gss_acquire_cred_from");
        return -1;
    }
    return 0;
}

void ng_gss_initiator_set_bindings(struct ng_gss_initiator *c, const void *app_data, size_t len)
{
    memset(&c->bindings, 0, sizeof(c->bindings));
    c->bindings.initiator_addrtype = GSS_C_AF_UNSPEC; /* 0, as in SEC_CHANNEL_BINDINGS */
    c->bindings.acceptor_addrtype = GSS_C_AF_UNSPEC;
    c->bindings.application_data.length = len;
    c->bindings.application_data.value = (void *)app_data;
    c->has_bindings = true;
}

int ng_gss_initiator_set_neg_mechs(struct ng_gss_initiator *c, const gss_OID_desc *mechs, size_t n)
{
    OM_uint32 minor;
    if (c->cred == GSS_C_NO_CREDENTIAL && acquire_cred(c, NULL) != 0) {
        ng_gss_initiator_report(c, "gss_acquire_cred_from");
        return -1;
    }
    gss_OID_set_desc set = {n, (gss_OID)mechs};
    c->major = gss_set_neg_mechs(&minor, c->cred, &set);
    c->minor = minor;
    if (GSS_ERROR(c->major)) {
        ng_gss_initiator_report(c, "gss_set_neg_mechs");
        return -1;
    }
    return 0;
}

OM_uint32 ng_gss_initiator_step(struct ng_gss_initiator *c, const void *in, size_t in_len,
                                gss_buffer_desc *out)
{
    gss_buffer_desc input = {in_len, (void *)in};
    OM_uint32 minor;
    out->length = 0;
    out->value = NULL;
    c->major = gss_init_sec_context(
        &minor, c->cred, &c->ctx, c->target, c->mech, c->req_flags, GSS_C_INDEFINITE,
        c->has_bindings ? &c->bindings : GSS_C_NO_CHANNEL_BINDINGS,
        in_len ? &input : GSS_C_NO_BUFFER, &c->actual_mech, out, &c->ret_flags, &c->time_rec);
    c->minor = minor;
    return c->major;
}

void ng_gss_initiator_free(struct ng_gss_initiator *c)
{
    OM_uint32 minor;
    if (c->ctx != GSS_C_NO_CONTEXT)
        gss_delete_sec_context(&minor, &c->ctx, GSS_C_NO_BUFFER);
    if (c->target != GSS_C_NO_NAME)
        gss_release_name(&minor, &c->target);
    if (c->cred != GSS_C_NO_CREDENTIAL)
        gss_release_cred(&minor, &c->cred);
}

static void report_one(OM_uint32 code, int type, gss_OID mech)
{
    OM_uint32 minor, ctx = 0;
    do {
        gss_buffer_desc msg = GSS_C_EMPTY_BUFFER;
        if (GSS_ERROR(gss_display_status(&minor, code, type, mech, &ctx, &msg)))
            return;
        fprintf(stderr, " [%.*s]", (int)msg.length, (char *)msg.value);
        gss_release_buffer(&minor, &msg);
    } while (ctx != 0);
}

void ng_gss_initiator_report(const struct ng_gss_initiator *c, const char *what)
{
    fprintf(stderr, "%s: major 0x%x minor %u", what, c->major, c->minor);
    report_one(c->major, GSS_C_GSS_CODE, GSS_C_NO_OID);
    if (c->minor != 0)
        report_one(c->minor, GSS_C_MECH_CODE, (gss_OID)gss_mech_krb5);
    fputc('\n', stderr);
}

/* ---- the negring side ------------------------------------------------------------------- */

void ng_accept_leg_run(const struct ng_accept_call *call, struct ng_accept_leg *leg)
{
    SecBuffer in_bufs[2] = {
        {(ULONG)call->in_len, SECBUFFER_TOKEN, (void *)call->in},
        {(ULONG)call->bindings_len, SECBUFFER_CHANNEL_BINDINGS, (void *)call->bindings}};
    SecBufferDesc in_desc = {SECBUFFER_VERSION, call->bindings ? 2 : 1, in_bufs};
    SecBuffer out_buf[2] = {{sizeof(leg->out), SECBUFFER_TOKEN, leg->out},
                            {sizeof(leg->failure), SECBUFFER_NEGRING_FAILURE, &leg->failure}};
    SecBufferDesc out_desc = {SECBUFFER_VERSION, 2, out_buf};
    leg->expiry.QuadPart = NG_PEER_EXPIRY_SENTINEL;
    leg->attrs = 0xdeadbeef;
    leg->status =
        AcceptSecurityContext(call->cred, call->ctx_in, &in_desc, call->req, SECURITY_NATIVE_DREP,
                              call->ctx_out, &out_desc, &leg->attrs, &leg->expiry);
    leg->out_len = out_buf[0].cbBuffer;
}

unsigned char *ng_sec_bindings_new(const void *app, size_t app_len, size_t *out_len)
{
    size_t len = sizeof(SEC_CHANNEL_BINDINGS) + app_len;
    unsigned char *buf = calloc(1, len);
    if (buf == NULL)
        abort();
    SEC_CHANNEL_BINDINGS cb = {0};
    cb.cbApplicationDataLength = (ULONG)app_len;
    cb.dwApplicationDataOffset = sizeof(SEC_CHANNEL_BINDINGS);
    memcpy(buf, &cb, sizeof(cb));
    memcpy(buf + sizeof(cb), app, app_len);
    *out_len = len;
    return buf;
}

SECURITY_STATUS ng_handshake(PCredHandle cred, struct ng_gss_initiator *c, ULONG req,
                             const void *bindings, size_t bindings_len, PCtxtHandle ctx,
                             struct ng_accept_leg *final, int *legs)
{
    OM_uint32 minor;
    gss_buffer_desc tok = GSS_C_EMPTY_BUFFER;
    SecInvalidateHandle(ctx);
    *legs = 0;
    final->status = SEC_E_INTERNAL_ERROR;
    if (GSS_ERROR(ng_gss_initiator_step(c, NULL, 0, &tok))) {
        ng_gss_initiator_report(c, "gss_init_sec_context (first)");
        return final->status;
    }
    for (;;) {
        bool first = *legs == 0;
        ng_accept_leg_run(&(struct ng_accept_call){.cred = cred,
                                                   .ctx_in = first ? NULL : ctx,
                                                   .ctx_out = ctx,
                                                   .in = tok.value,
                                                   .in_len = tok.length,
                                                   .req = req,
                                                   .bindings = bindings,
                                                   .bindings_len = bindings_len},
                          final);
        (*legs)++;
        gss_release_buffer(&minor, &tok);
        if (final->status != SEC_E_OK && final->status != SEC_I_CONTINUE_NEEDED)
            break;
        if (final->out_len > 0 && c->major == GSS_S_CONTINUE_NEEDED) {
            if (GSS_ERROR(ng_gss_initiator_step(c, final->out, final->out_len, &tok))) {
                ng_gss_initiator_report(c, "gss_init_sec_context");
                break;
            }
        }
        if (final->status == SEC_E_OK || *legs > 8)
            break;
        if (tok.length == 0) {
            fprintf(stderr, "handshake: acceptor continues but the initiator sent nothing\n");
            break;
        }
    }
    gss_release_buffer(&minor, &tok);
    return final->status;
}

SECURITY_STATUS ng_acquire_acceptor(const char *principal, const char *package, const char *keytab,
                                    ULONG skew, PCredHandle cred)
{
    NEGRING_ACCEPTOR_AUTH_DATA data = {NEGRING_ACCEPTOR_AUTH_DATA_VERSION, keytab, skew, NULL};
    TimeStamp expiry;
    return AcquireCredentialsHandleA((LPSTR)principal, (LPSTR)package, SECPKG_CRED_INBOUND, NULL,
                                     &data, NULL, NULL, cred, &expiry);
}
