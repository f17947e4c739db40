/* What an NTLM context keeps between legs and after them (its ctx->mech_state): the
 * first two messages (the MIC covers them, MS-NLMP §3.1.5.1.2), the server challenge, the
 * negotiated flags, and once established the session keys of ntlm_seal.h. Owned by the
 * context; freed (and wiped) with it. */
#ifndef NEGRING_CORE_NTLM_STATE_H
#define NEGRING_CORE_NTLM_STATE_H

#include <stdatomic.h>
#include <stdbool.h>

#include "ntlm_seal.h"
#include "ntlm_issued_challenges.h"
#include "security_context.h"
#include "writer.h"

/* Room in the state for the messages the MIC covers: a NEGOTIATE and a CHALLENGE naming a host
 * and its DNS domain take about 300 bytes. */
enum { NG_NTLM_MESSAGES_ROOM = 512 };

struct ng_ntlm_state {
    /* Copies of the NEGOTIATE_MESSAGE and (acceptor) the CHALLENGE_MESSAGE after it, in the
     * MIC's order: in messages_room, or in an allocation when larger; dropped once
     * established. */
    uint8_t *messages;
    size_t negotiate_len, challenge_len;
    uint8_t server_challenge[8];
    uint32_t flags;   /* acceptor: the CHALLENGE's flags; after AUTHENTICATE, the agreed ones */
    bool established; /* the AUTHENTICATE was verified (acceptor) or sent (initiator) */
    bool mic_sent;    /* the AUTHENTICATE carried a MIC: SPNEGO then exchanges mechListMICs */
    bool anonymous;
    bool answered; /* acceptor: an AUTHENTICATE was processed, rightly or not: no second one */
    /* acceptor: how server_challenge is in ntlm_issued_challenges.h's set (NOT_OURS: not) */
    enum ng_ntlm_challenge_kind challenge_kind;
    struct ng_ntlm_session session;
    atomic_flag busy; /* per-message calls serialise on the RC4 streams and counters */
    uint8_t messages_room[NG_NTLM_MESSAGES_ROOM];
};

ng_status ng_ntlm_state_new(struct ng_ntlm_state **out);
/* The state of a context whose mechanism is NTLM: NULL until the first NTLM message. */
static inline struct ng_ntlm_state *ng_ntlm_state_of(const struct ng_context *ctx)
{
    return ctx->mech_state;
}
/* An NTLM logon starts now and does not expire by itself. */
void ng_ntlm_set_lifetime(struct ng_context *ctx);
/* Also withdraws a tracked challenge: freeing is the one end of every acceptor state. */
void ng_ntlm_state_free(struct ng_ntlm_state *st);
/* The acceptor's challenge leaves the issued set (once its AUTHENTICATE is processed). */
void ng_ntlm_state_withdraw_challenge(struct ng_ntlm_state *st);
/* The handshake copies are no longer needed after the AUTHENTICATE. */
void ng_ntlm_state_drop_messages(struct ng_ntlm_state *st);
/* Keeps copies of the messages the MIC covers (`challenge` empty for the initiator, whose
 * CHALLENGE is the AUTHENTICATE leg's input), replacing any kept before. */
ng_status ng_ntlm_state_keep(struct ng_ntlm_state *st, struct ng_slice negotiate,
                             struct ng_slice challenge);
static inline struct ng_slice ng_ntlm_state_negotiate(const struct ng_ntlm_state *st)
{
    return ng_slice_of(st->messages, st->negotiate_len);
}
static inline struct ng_slice ng_ntlm_state_challenge(const struct ng_ntlm_state *st)
{
    return ng_slice_of(st->messages ? st->messages + st->negotiate_len : NULL, st->challenge_len);
}

/* ExportSecurityContext (mechanism.h export_state, import_state): an established state as
 * u32 flags | u8 anonymous | the session record of ntlm_seal.h. Importing makes a new
 * established state for the context; NG_ERR_INVALID_TOKEN for a malformed record, or one whose
 * streams run for the other role. */
ng_status ng_ntlm_export_state(const struct ng_context *ctx, struct ng_writer *w);
ng_status ng_ntlm_import_state(struct ng_context *ctx, struct ng_reader *r);

/* SPNEGO mechListMIC (MS-SPNG §3.3.5.1): an NTLM signature over the DER mechTypes with the
 * session's own sequence, after which that direction's RC4 stream restarts. */
ng_status ng_ntlm_get_mic(struct ng_ntlm_state *st, struct ng_slice mech_types,
                          struct ng_writer *out);
ng_status ng_ntlm_verify_mic(struct ng_ntlm_state *st, struct ng_slice mech_types,
                             struct ng_slice mic);

#endif
