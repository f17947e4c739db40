/* The state behind a CtxtHandle: one handshake (accepting or initiating), then the established
 * session. What every mechanism shares is here; the rest is the mechanism's (ops, mech_state:
 * mechanism.h). Owned by the context table; freed by DeleteSecurityContext (or when the last
 * user releases it). */
#ifndef NEGRING_CORE_SECURITY_CONTEXT_H
#define NEGRING_CORE_SECURITY_CONTEXT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "credentials.h"
#include "mech_oid.h"
#include "mechanism.h"
#include "packages.h"
#include "slice.h"
#include "status.h"

struct ng_access_token;

enum ng_ctx_role { NG_ROLE_ACCEPTOR, NG_ROLE_INITIATOR };

enum ng_ctx_state {
    NG_CTX_IN_PROGRESS, /* more legs expected */
    NG_CTX_COMPLETE,    /* established */
    NG_CTX_FAILED,      /* a leg failed; only DeleteSecurityContext is useful now */
};

/* SPNEGO (RFC 4178) bookkeeping between legs, kept by negotiate/. */
/* Room in the context for a MechTypeList (Windows offers four mechanisms in 48 bytes). */
enum { NG_SPNEGO_MECH_TYPES_ROOM = 64 };

struct ng_spnego_state {
    bool wrapped; /* the peer speaks SPNEGO (vs a raw mechanism token) */
    /* Copy of the initiator's MechTypeList DER, for mechListMIC (ng_spnego_keep_mech_types):
     * in mech_types_room, or owned when larger. */
    uint8_t *mech_types;
    size_t mech_types_len;
    uint8_t mech_types_room[NG_SPNEGO_MECH_TYPES_ROOM];
    bool mic_required; /* the chosen mech was not the initiator's first choice */
    bool peer_mic_verified;
    bool our_mic_sent;
};

/* The DER MechTypeList both mechListMICs cover. */
static inline struct ng_slice ng_spnego_mech_types(const struct ng_spnego_state *s)
{
    return ng_slice_of(s->mech_types, s->mech_types_len);
}
/* Keeps a copy of `der` as the MechTypeList, in the context when it fits (no allocation). */
ng_status ng_spnego_keep_mech_types(struct ng_spnego_state *s, struct ng_slice der);

/* Room in the context for both names of a logon ("DOMAIN\\user" or "user@REALM", and the
 * service's "HTTP/host@REALM"), so the common case allocates nothing. */
enum { NG_CONTEXT_NAMES_ROOM = 128 };

struct ng_context {
    atomic_int users; /* -1 while a leg changes the context; else the readers inside */
    enum ng_ctx_role role;
    enum ng_ctx_state state;
    enum ng_package_id package;    /* the package the caller asked for (Negotiate, Kerberos) */
    enum ng_mech mech;             /* the mechanism's OID as negotiated; NG_MECH_NONE until known */
    const struct ng_mech_ops *ops; /* the chosen mechanism; NULL until known */
    void *mech_state;              /* the mechanism's own, freed by ops->free_state */
    struct ng_credentials *creds;  /* a reference, dropped when the context is freed */
    ULONG req_flags;               /* ASC_REQ_* / ISC_REQ_* asked by the caller */
    ULONG ret_flags;               /* ASC_RET_* / ISC_RET_* established */
    struct ng_spnego_state spnego;
    int64_t start_time, end_time; /* Unix seconds; INT64_MAX: does not expire by itself */
    char *client_name;            /* "user@REALM", "DOMAIN\user"; owned, or in names_room */
    char *server_name;            /* "HTTP/host@REALM"; owned, or in names_room */
    char *target_name;            /* initiator: the SPN asked for; owned */
    _Atomic(struct ng_access_token *) access_token; /* SECPKG_ATTR_ACCESS_TOKEN, made once */
    char *failure_user;   /* why a leg failed (ng_context_note_*); owned, NULL: not known */
    char *failure_detail; /* owned, NULL: nothing noted */
    bool names_in_room;   /* both names are in names_room (ng_context_set_names) */
    char names_room[NG_CONTEXT_NAMES_ROOM];
};

/* A new context (not yet in the table) that takes over the caller's reference to `creds` (NULL
 * for an imported context, which has none), on failure too: no reference is taken and dropped
 * again on the way, each an atomic write to a line every accepting thread shares. */
ng_status ng_context_new(enum ng_ctx_role role, enum ng_package_id package,
                         struct ng_credentials *creds, struct ng_context **out);
/* Frees an unpublished context. */
void ng_context_free(struct ng_context *ctx);

/* Copies the client's and the service's names into the context (replacing any set before):
 * into its room when both fit, else each into its own allocation. NG_ERR_NOMEM leaves none. */
ng_status ng_context_set_names(struct ng_context *ctx, const char *client, const char *server);

/* The mechanism becomes `ops` under `oid`; the state of a mechanism chosen before (a fall-back)
 * is freed. */
void ng_context_set_mech(struct ng_context *ctx, enum ng_mech oid, const struct ng_mech_ops *ops);

/* The mechanism that refuses a leg says what it knew, for the server's logs
 * (SECBUFFER_NEGRING_FAILURE): the client's name as it spells it, and one sentence in its own
 * terms. Called only on failure paths; diagnostics only, so a note that finds no memory is
 * dropped. A later note replaces an earlier one. */
enum { NG_NOTE_NAME_MAX = 256 }; /* NEGRING_FAILURE_INFO.UserName */
void ng_context_note_user(struct ng_context *ctx, const char *user);
void ng_context_note_detail(struct ng_context *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Publishes a new context and fills the caller's handle. On failure the context is freed. */
ng_status ng_context_publish(struct ng_context *ctx, CtxtHandle *out);
ng_status ng_context_acquire(const CtxtHandle *handle, struct ng_context **out);
void ng_context_release(const CtxtHandle *handle);
ng_status ng_context_delete(const CtxtHandle *handle);
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

/* A handle looked up and held shared, for the calls that only read a context (attributes,
 * messages, tokens): NG_ERR_INVALID_HANDLE for a bad handle or while a leg changes it. Undone by
 * ng_context_unhold. */
ng_status ng_context_hold(const CtxtHandle *handle, struct ng_context **out);
void ng_context_unhold(const CtxtHandle *handle, struct ng_context *ctx);

#endif
