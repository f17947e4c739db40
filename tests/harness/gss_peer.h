/* Test peers around negring's acceptor: MIT's GSSAPI as the independent initiator, and a
 * driver that runs AcceptSecurityContext legs against it until both sides are done.
 *
 * The initiator uses whatever KRB5_CONFIG / KRB5CCNAME the process has when a step runs (MIT
 * makes a fresh krb5_context per gss_init_sec_context call), unless a ccache is named. */
#ifndef NEGRING_TESTS_HARNESS_GSS_PEER_H
#define NEGRING_TESTS_HARNESS_GSS_PEER_H

#include <gssapi/gssapi.h>
#include <gssapi/gssapi_ext.h>
#include <gssapi/gssapi_krb5.h>
#include <negring/sspi.h>
#include <stdbool.h>
#include <stddef.h>

/* SPNEGO, 1.3.6.1.5.5.2 (MIT does not export a name for it). */
extern gss_OID_desc ng_gss_mech_spnego_desc;
#define gss_mech_spnego (&ng_gss_mech_spnego_desc)

struct ng_gss_initiator {
    gss_ctx_id_t ctx;
    gss_name_t target;
    gss_cred_id_t cred; /* GSS_C_NO_CREDENTIAL: the default ccache */
    gss_OID mech;       /* gss_mech_spnego, gss_mech_krb5, ... */
    OM_uint32 req_flags;
    bool has_bindings;
    struct gss_channel_bindings_struct bindings;
    OM_uint32 major, minor; /* of the last step */
    OM_uint32 ret_flags;
    OM_uint32 time_rec;
    gss_OID actual_mech;
};

/* service: "HTTP@localhost" (GSS_C_NT_HOSTBASED_SERVICE). ccache: a ccache name ("FILE:/x") to
 * take the initiator credential from, or NULL for the default. 0 on success. */
int ng_gss_initiator_init(struct ng_gss_initiator *c, const char *service, gss_OID mech,
                          OM_uint32 req_flags, const char *ccache);
/* Application data for the channel bindings (copied by reference: must outlive the steps). */
void ng_gss_initiator_set_bindings(struct ng_gss_initiator *c, const void *app_data, size_t len);
/* SPNEGO only: the mechanisms to offer, in order (gss_set_neg_mechs). Needs a named ccache. */
int ng_gss_initiator_set_neg_mechs(struct ng_gss_initiator *c, const gss_OID_desc *mechs, size_t n);
/* One gss_init_sec_context call; `out` is released by the caller with gss_release_buffer.
 * Returns the major status (also in c->major). */
OM_uint32 ng_gss_initiator_step(struct ng_gss_initiator *c, const void *in, size_t in_len,
                                gss_buffer_desc *out);
void ng_gss_initiator_free(struct ng_gss_initiator *c);
/* Prints the GSS error of the last step to stderr, prefixed with `what`. */
void ng_gss_initiator_report(const struct ng_gss_initiator *c, const char *what);

/* ---- the negring side ------------------------------------------------------------------- */

#define NG_PEER_MAX_TOKEN 65536

/* One AcceptSecurityContext call with a SECBUFFER_TOKEN input (and optional channel bindings
 * buffer) and a fixed NG_PEER_MAX_TOKEN output buffer. */
struct ng_accept_leg {
    SECURITY_STATUS status;
    ULONG attrs;
    TimeStamp expiry; /* preset to a sentinel; only SEC_E_OK should overwrite it */
    unsigned char out[NG_PEER_MAX_TOKEN];
    ULONG out_len;
    NEGRING_FAILURE_INFO failure; /* every leg passes a SECBUFFER_NEGRING_FAILURE too */
};

#define NG_PEER_EXPIRY_SENTINEL INT64_C(0x1122334455667788)

/* One AcceptSecurityContext call. Fields left out keep their zero: a first leg (ctx_in NULL),
 * no ASC_REQ flags, no channel bindings. bindings: a SEC_CHANNEL_BINDINGS buffer (struct then
 * data). */
struct ng_accept_call {
    PCredHandle cred;
    PCtxtHandle ctx_in; /* NULL on the first leg, else the context */
    PCtxtHandle ctx_out;
    const void *in;
    size_t in_len;
    ULONG req;
    const void *bindings;
    size_t bindings_len;
};

void ng_accept_leg_run(const struct ng_accept_call *call, struct ng_accept_leg *leg);

/* A SEC_CHANNEL_BINDINGS buffer carrying `app` as application data; ng_free'd by free(). */
unsigned char *ng_sec_bindings_new(const void *app, size_t app_len, size_t *out_len);

/* Runs a full handshake: the initiator's first token, then accept / init legs until both sides
 * finish or one fails. On return *final holds the last accept leg, *legs the number of accept
 * calls, and the initiator's last major status is in c->major. ctx receives the context (the
 * caller deletes it; left invalid when the first leg failed). Returns final->status. */
SECURITY_STATUS ng_handshake(PCredHandle cred, struct ng_gss_initiator *c, ULONG req,
                             const void *bindings, size_t bindings_len, PCtxtHandle ctx,
                             struct ng_accept_leg *final, int *legs);

/* AcquireCredentialsHandleA(principal, package, INBOUND) with a named keytab (NULL: default)
 * and clock skew (0: default). */
SECURITY_STATUS ng_acquire_acceptor(const char *principal, const char *package, const char *keytab,
                                    ULONG skew, PCredHandle cred);

#endif
