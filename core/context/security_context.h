/* The state behind a CtxtHandle: one handshake (accepting or initiating), then the
 * established session. Owned by the context table; freed by DeleteSecurityContext (or when
 * the last user releases it). */
#ifndef NEGRING_CORE_SECURITY_CONTEXT_H
#define NEGRING_CORE_SECURITY_CONTEXT_H

#include <krb5/krb5.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "credentials.h"
#include "mech_oid.h"
#include "packages.h"
#include "slice.h"
#include "status.h"

struct ng_ntlm_state;

struct ng_access_token;

enum ng_ctx_role { NG_ROLE_ACCEPTOR, NG_ROLE_INITIATOR };

enum ng_ctx_state {
    NG_CTX_IN_PROGRESS, /* more legs expected */
    NG_CTX_COMPLETE,    /* established */
    NG_CTX_FAILED,      /* a leg failed; only DeleteSecurityContext is useful now */
};

/* What a completed Kerberos exchange leaves behind (RFC 4121 context state). */
struct ng_krb5_session {
    krb5_enctype enctype;
    uint8_t key[64]; /* the context key: acceptor subkey, else initiator subkey, else ticket key */
    size_t key_len;
    bool acceptor_subkey;      /* RFC 4121 §4.2.2 AcceptorSubkey flag for per-message tokens */
    _Atomic uint64_t send_seq; /* next to send; message calls reserve numbers atomically */
    uint64_t recv_seq;         /* next expected from the peer */
    uint64_t recv_seen;        /* bit i: recv_seq - 1 - i arrived (replay window, 64 back) */
    /* Message keys (libkrb5 krb5_key, which caches the keys derived per usage), made on first
     * use, freed with the context; each direction's key and state under its own lock. */
    krb5_key send_key, recv_key;
    atomic_flag send_lock, recv_lock;
    uint32_t gss_flags;                      /* RFC 4121 §4.1.1.1 flags the initiator asked for */
    int64_t auth_time, start_time, end_time; /* seconds since the Unix epoch */
};

/* SPNEGO (RFC 4178) bookkeeping between legs. */
struct ng_spnego_state {
    bool wrapped;        /* the peer speaks SPNEGO (vs a raw mechanism token) */
    uint8_t *mech_types; /* copy of the initiator's MechTypeList DER, for mechListMIC */
    size_t mech_types_len;
    bool mic_required; /* the chosen mech was not the initiator's first choice */
    bool peer_mic_verified;
    bool our_mic_sent;
};

struct ng_context {
    atomic_int users; /* -1 while a leg changes the context; else the readers inside */
    enum ng_ctx_role role;
    enum ng_ctx_state state;
    enum ng_package_id package;   /* the package the caller asked for (Negotiate, Kerberos) */
    enum ng_mech mech;            /* the mechanism chosen, NG_MECH_NONE until known */
    struct ng_credentials *creds; /* a reference, dropped when the context is freed */
    ULONG req_flags;              /* ASC_REQ_* / ISC_REQ_* asked by the caller */
    ULONG ret_flags;              /* ASC_RET_* / ISC_RET_* established */
    struct ng_spnego_state spnego;
    struct ng_krb5_session krb;
    char *client_name;      /* "user@REALM"; owned */
    char *server_name;      /* "HTTP/host@REALM"; owned */
    char *target_name;      /* initiator: the SPN asked for; owned */
    char *delegated_ccache; /* acceptor with ASC_REQ_DELEGATE: forwarded tickets; destroyed */
    uint8_t *pac;           /* acceptor: the ticket PAC's logon info (MS-PAC §2.5), or NULL */
    size_t pac_len;
    _Atomic(struct ng_access_token *) access_token; /* SECPKG_ATTR_ACCESS_TOKEN, made once */
    krb5_auth_context initiator_auth; /* initiator between AP-REQ and AP-REP; NULL otherwise */
    struct ng_ntlm_state *ntlm;       /* NTLM handshake and session (ntlm_state.h); owned */
};

/* Context handles: create/lookup/delete over the lock-free context table. */
ng_status ng_context_new(enum ng_ctx_role role, enum ng_package_id package,
                         struct ng_credentials *creds, struct ng_context **out);
/* Publishes a new context and fills the caller's handle. On failure the context is freed. */
ng_status ng_context_publish(struct ng_context *ctx, CtxtHandle *out);
ng_status ng_context_acquire(const CtxtHandle *handle, struct ng_context **out);
void ng_context_release(const CtxtHandle *handle);
/* After a first leg: publishes the context into *out when the leg went on (NG_OK,
 * NG_CONTINUE), frees it otherwise; returns the status to report. */
ng_status ng_context_finish_first(struct ng_context *ctx, ng_status leg, CtxtHandle *out);
/* A later leg: looks the handle up, checks its role and takes exclusive use; undone by
 * ng_context_end_leg, which also copies the handle to `out` as SSPI expects. */
ng_status ng_context_begin_leg(const CtxtHandle *handle, enum ng_ctx_role role,
                               struct ng_context **out);
void ng_context_end_leg(const CtxtHandle *handle, struct ng_context *ctx, CtxtHandle *out);

/* One thread at a time runs a leg (exclusive); attribute queries may overlap each other but not
 * a leg (shared). false: the context is in use in the other way right now. */
bool ng_context_enter_exclusive(struct ng_context *ctx);
void ng_context_leave_exclusive(struct ng_context *ctx);
bool ng_context_enter_shared(struct ng_context *ctx);
void ng_context_leave_shared(struct ng_context *ctx);
ng_status ng_context_delete(const CtxtHandle *handle);
/* Frees an unpublished context. */
void ng_context_free(struct ng_context *ctx);

#endif
