/* SPNEGO messages: RFC 4178 §4.2 NegotiationToken and the MS-SPNG §2.2.1 NegTokenInit2
 * extension, parsed and encoded without copies or allocation.
 *
 *   NegotiationToken ::= CHOICE { negTokenInit [0] NegTokenInit, negTokenResp [1] NegTokenResp }
 *
 * The first token of a context is GSS-framed (RFC 2743 §3.1) with the SPNEGO OID and carries
 * [0]; every later token is a bare [1]. All functions are thread-safe. */
#ifndef NEGRING_CORE_SPNEGO_H
#define NEGRING_CORE_SPNEGO_H

#include "mech_oid.h"
#include "slice.h"
#include "status.h"
#include "writer.h"

#define NG_SPNEGO_MAX_MECHS 16 /* a longer MechTypeList is rejected as NG_ERR_INVALID_TOKEN */

/* RFC 4178 §4.2.1 ContextFlags, as returned by ng_der_read_bit_string_flags: bit n is named
 * bit n. Advisory only: RFC 4178 says the acceptor should not rely on them. */
#define NG_SPNEGO_FLAG_DELEG    (1u << 0)
#define NG_SPNEGO_FLAG_MUTUAL   (1u << 1)
#define NG_SPNEGO_FLAG_REPLAY   (1u << 2)
#define NG_SPNEGO_FLAG_SEQUENCE (1u << 3)
#define NG_SPNEGO_FLAG_ANON     (1u << 4)
#define NG_SPNEGO_FLAG_CONF     (1u << 5)
#define NG_SPNEGO_FLAG_INTEG    (1u << 6)

/* The hintName a Windows server puts in NegTokenInit2 (MS-SPNG §3.2.5.2). */
#define NG_SPNEGO_HINT_NAME "not_defined_in_RFC4178@please_ignore"

enum ng_spnego_kind {
    NG_SPNEGO_NONE = 0,
    NG_SPNEGO_INIT, /* [0] NegTokenInit or NegTokenInit2 */
    NG_SPNEGO_RESP, /* [1] NegTokenResp */
};

/* RFC 4178 §4.2.2 negState; the wire values are the enum values. */
enum ng_neg_state {
    NG_NEG_STATE_ABSENT = -1,
    NG_NEG_STATE_ACCEPT_COMPLETED = 0,
    NG_NEG_STATE_ACCEPT_INCOMPLETE = 1,
    NG_NEG_STATE_REJECT = 2,
    NG_NEG_STATE_REQUEST_MIC = 3,
};

/* Every slice points into the token given to ng_spnego_parse and lives as long as it does.
 * An absent OPTIONAL field has its has_ flag false and an empty slice. */
struct ng_spnego_init {
    /* The whole MechTypeList SEQUENCE TLV as received: RFC 4178 §5 computes mechListMIC over
     * exactly these octets. */
    struct ng_slice mech_list;
    size_t nmechs;                                  /* 1 .. NG_SPNEGO_MAX_MECHS */
    struct ng_slice mech_oids[NG_SPNEGO_MAX_MECHS]; /* OID contents octets, preference order */
    enum ng_mech mechs[NG_SPNEGO_MAX_MECHS];        /* NG_MECH_UNKNOWN for OIDs we don't know */
    bool has_req_flags;
    uint32_t req_flags; /* NG_SPNEGO_FLAG_* */
    bool has_mech_token;
    struct ng_slice mech_token; /* optimistic token for mechs[0] */
    bool has_neg_hints;         /* MS-SPNG NegTokenInit2 */
    bool has_hint_name;
    struct ng_slice hint_name; /* GeneralString contents */
    bool has_hint_address;
    struct ng_slice hint_address;
    bool has_mech_list_mic;
    struct ng_slice mech_list_mic;
};

struct ng_spnego_resp {
    enum ng_neg_state neg_state;
    enum ng_mech supported_mech;        /* NG_MECH_NONE when absent */
    struct ng_slice supported_mech_oid; /* empty when absent */
    bool has_response_token;
    struct ng_slice response_token;
    bool has_mech_list_mic;
    struct ng_slice mech_list_mic;
};

struct ng_spnego_token {
    enum ng_spnego_kind kind;
    struct ng_spnego_init init; /* valid when kind == NG_SPNEGO_INIT */
    struct ng_spnego_resp resp; /* valid when kind == NG_SPNEGO_RESP */
};

/* Parses an initial token (GSS framing with the SPNEGO OID around [0] NegTokenInit or
 * NegTokenInit2) or a subsequent one (bare [1] NegTokenResp). Fields must be in ascending tag
 * order without duplicates and nothing may trail any value. Anything malformed, truncated or
 * overlong is NG_ERR_INVALID_TOKEN, and *out is then zeroed. A raw Kerberos or NTLM token
 * (no SPNEGO wrapper) is also NG_ERR_INVALID_TOKEN: callers that accept those detect them first.
 * No recursion, no allocation. */
ng_status ng_spnego_parse(struct ng_slice token, struct ng_spnego_token *out);

/* Encoders. Each writes forward into `w` (a fixed buffer reports NG_ERR_BUFFER_TOO_SMALL with
 * w->len the size needed; a growable one allocates) and returns ng_writer_status(w). `mechs`
 * must hold 1 .. NG_SPNEGO_MAX_MECHS known mechanisms, otherwise NG_ERR_INVALID_PARAM is set on
 * the writer and nothing is written. An empty slice (len 0) means the OPTIONAL field is
 * omitted. */

/* The bare MechTypeList SEQUENCE (RFC 4178 §4.2.1): the octets a mechListMIC covers. */
ng_status ng_spnego_write_mech_list(struct ng_writer *w, const enum ng_mech *mechs, size_t n);

/* A GSS-framed NegTokenInit (RFC 4178 §4.2.1), as an initiator sends it. */
ng_status ng_spnego_write_init(struct ng_writer *w, const enum ng_mech *mechs, size_t n,
                               struct ng_slice mech_token, struct ng_slice mech_list_mic);

/* The GSS-framed NegTokenInit2 a Windows server offers first (HTTP 401, SMB2 NEGOTIATE):
 * mechTypes plus negHints { hintName NG_SPNEGO_HINT_NAME } (MS-SPNG §2.2.1, §3.2.5.2). */
ng_status ng_spnego_write_init2_hints(struct ng_writer *w, const enum ng_mech *mechs, size_t n);

/* A bare [1] NegTokenResp (RFC 4178 §4.2.2). neg_state NG_NEG_STATE_ABSENT and supported
 * NG_MECH_NONE omit those fields; NG_MECH_UNKNOWN is NG_ERR_INVALID_PARAM. */
ng_status ng_spnego_write_resp(struct ng_writer *w, enum ng_neg_state neg_state,
                               enum ng_mech supported, struct ng_slice response_token,
                               struct ng_slice mech_list_mic);

#endif
