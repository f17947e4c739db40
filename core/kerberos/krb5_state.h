/* What a Kerberos context keeps (its ctx->mech_state): between the legs of an initiator the auth
 * context, and once established the RFC 4121 session plus what the accept found: the PAC and any
 * delegated tickets. Owned by the context, freed with it. */
#ifndef NEGRING_CORE_KRB5_STATE_H
#define NEGRING_CORE_KRB5_STATE_H

#include "krb5_session.h"

struct ng_ticket_entry; /* ticket_cache.h */

struct ng_krb5_state {
    struct ng_krb5_session session;
    bool established;                 /* the Kerberos exchange is complete */
    krb5_auth_context initiator_auth; /* initiator between AP-REQ and AP-REP; NULL otherwise */
    char *delegated_ccache;           /* acceptor with ASC_REQ_DELEGATE: forwarded tickets */
    uint8_t *pac;                     /* acceptor: the ticket's verified PAC, or NULL */
    size_t pac_len;
    /* When not NULL, `pac` is this cached ticket's, read-only and shared: the state holds a
     * reference to the entry instead of a copy (a cached accept copied a kilobyte each time).
     * Otherwise the state owns `pac`. */
    struct ng_ticket_entry *pac_entry;
};

/* The context's Kerberos state, made on first use (ng_context_set_mech has made Kerberos the
 * context's mechanism). */
ng_status ng_krb5_state_get(struct ng_context *ctx, struct ng_krb5_state **out);
/* The state of a context whose mechanism is Kerberos (NULL before its first leg). */
static inline struct ng_krb5_state *ng_krb5_state_of(const struct ng_context *ctx)
{
    return ctx->mech_state;
}
/* mechanism.h free_state: destroys delegated tickets, frees message keys, wipes the key. */
void ng_krb5_state_free(void *state);

#endif
