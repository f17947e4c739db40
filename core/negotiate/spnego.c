/* RFC 4178 §4.2 and MS-SPNG §2.2.1. Parsing walks each SEQUENCE with OPTIONAL-field reads in
 * ascending tag order and then demands the SEQUENCE be fully consumed, so out-of-order,
 * duplicate, unknown and trailing fields all leave bytes behind and are rejected. Encoding
 * computes every subtree's size first and then writes headers and contents forward. */
#include "spnego.h"

#include "der.h"
#include "gss_framing.h"

/* ---- Parsing ---------------------------------------------------------------------------- */

/* RFC 4178 §4.2.1: MechTypeList ::= SEQUENCE OF MechType. */
static void parse_mech_list(struct ng_reader *field, struct ng_spnego_init *init)
{
    struct ng_der_tlv list;
    if (!ng_der_read_tlv(field, &list) || list.tag != NG_DER_SEQUENCE) {
        ng_reader_fail(field);
        return;
    }
    init->mech_list = list.whole;
    struct ng_reader items = ng_reader_of(list.value);
    while (items.len > 0 && !items.failed) {
        if (init->nmechs == NG_SPNEGO_MAX_MECHS) {
            ng_reader_fail(&items);
            break;
        }
        struct ng_slice oid = ng_der_read_oid(&items);
        init->mech_oids[init->nmechs] = oid;
        init->mechs[init->nmechs] = ng_mech_from_oid(oid);
        init->nmechs++;
    }
    /* §4.2.1: mechTypes holds "one or more" mechanisms. */
    if (items.failed || init->nmechs == 0)
        ng_reader_fail(field);
}

/* MS-SPNG §2.2.1: NegHints ::= SEQUENCE {
 *     hintName [0] GeneralString OPTIONAL, hintAddress [1] OCTET STRING OPTIONAL } */
static void parse_neg_hints(struct ng_reader *field, struct ng_spnego_init *init)
{
    struct ng_reader seq = ng_der_read_expect(field, NG_DER_SEQUENCE);
    struct ng_reader f;
    init->has_neg_hints = true;
    if (ng_der_read_optional(&seq, NG_DER_CONTEXT(0), &f)) {
        init->hint_name = ng_der_read_general_string(&f);
        init->has_hint_name = true;
        ng_der_finish(&seq, &f);
    }
    if (ng_der_read_optional(&seq, NG_DER_CONTEXT(1), &f)) {
        init->hint_address = ng_der_read_octet_string(&f);
        init->has_hint_address = true;
        ng_der_finish(&seq, &f);
    }
    ng_der_finish(field, &seq);
}

/* An OPTIONAL [tag] EXPLICIT OCTET STRING field. */
static struct ng_slice parse_explicit_octets(struct ng_reader *seq, uint8_t tag, bool *has)
{
    struct ng_reader f;
    if (!ng_der_read_optional(seq, tag, &f))
        return NG_SLICE_EMPTY;
    struct ng_slice s = ng_der_read_octet_string(&f);
    ng_der_finish(seq, &f);
    *has = !seq->failed;
    return s;
}

/* RFC 4178 §4.2.1 NegTokenInit:
 *     mechTypes [0], reqFlags [1], mechToken [2], mechListMIC [3] OCTET STRING
 * MS-SPNG §2.2.1 NegTokenInit2:
 *     mechTypes [0], reqFlags [1], mechToken [2], negHints [3] SEQUENCE, mechListMIC [4]
 * The two differ at [3]; its inner tag (SEQUENCE vs OCTET STRING) tells them apart. */
static void parse_init_body(struct ng_reader *seq, struct ng_spnego_init *init)
{
    struct ng_reader f = ng_der_read_expect(seq, NG_DER_CONTEXT(0));
    parse_mech_list(&f, init);
    ng_der_finish(seq, &f);
    if (ng_der_read_optional(seq, NG_DER_CONTEXT(1), &f)) {
        init->req_flags = ng_der_read_bit_string_flags(&f);
        init->has_req_flags = true;
        ng_der_finish(seq, &f);
    }
    init->mech_token = parse_explicit_octets(seq, NG_DER_CONTEXT(2), &init->has_mech_token);
    if (ng_der_read_optional(seq, NG_DER_CONTEXT(3), &f)) {
        if (ng_der_peek_tag(&f, NG_DER_SEQUENCE)) {
            parse_neg_hints(&f, init);
        } else {
            init->mech_list_mic = ng_der_read_octet_string(&f);
            init->has_mech_list_mic = true;
        }
        ng_der_finish(seq, &f);
    }
    /* An RFC 4178 mechListMIC in [3] ends the SEQUENCE; a [4] after it stays unread. */
    if (!init->has_mech_list_mic)
        init->mech_list_mic =
            parse_explicit_octets(seq, NG_DER_CONTEXT(4), &init->has_mech_list_mic);
}

/* RFC 4178 §4.2.2 NegTokenResp:
 *     negState [0] ENUMERATED, supportedMech [1] MechType, responseToken [2] OCTET STRING,
 *     mechListMIC [3] OCTET STRING -- all OPTIONAL */
static void parse_resp_body(struct ng_reader *seq, struct ng_spnego_resp *resp)
{
    struct ng_reader f;
    resp->neg_state = NG_NEG_STATE_ABSENT;
    if (ng_der_read_optional(seq, NG_DER_CONTEXT(0), &f)) {
        uint32_t state = ng_der_read_enumerated(&f);
        if (state > (uint32_t)NG_NEG_STATE_REQUEST_MIC)
            ng_reader_fail(&f);
        resp->neg_state = (enum ng_neg_state)state;
        ng_der_finish(seq, &f);
    }
    if (ng_der_read_optional(seq, NG_DER_CONTEXT(1), &f)) {
        resp->supported_mech_oid = ng_der_read_oid(&f);
        resp->supported_mech = ng_mech_from_oid(resp->supported_mech_oid);
        ng_der_finish(seq, &f);
    }
    resp->response_token = parse_explicit_octets(seq, NG_DER_CONTEXT(2), &resp->has_response_token);
    resp->mech_list_mic = parse_explicit_octets(seq, NG_DER_CONTEXT(3), &resp->has_mech_list_mic);
}

/* NegotiationToken: `choice` ([0] or [1]) wrapping one SEQUENCE, nothing after it. */
static struct ng_reader open_choice(struct ng_reader *r, uint8_t choice, struct ng_reader *outer)
{
    *outer = ng_der_read_expect(r, choice);
    return ng_der_read_expect(outer, NG_DER_SEQUENCE);
}

static bool close_choice(struct ng_reader *r, struct ng_reader *outer, struct ng_reader *seq)
{
    ng_der_finish(outer, seq);
    ng_der_finish(r, outer);
    return ng_reader_done(r);
}

static ng_status parse_initial(struct ng_slice token, struct ng_spnego_init *init)
{
    struct ng_slice oid, inner;
    if (ng_gss_frame_parse(token, &oid, &inner) != NG_OK || !ng_slice_eq(oid, ng_spnego_oid()))
        return NG_ERR_INVALID_TOKEN;
    struct ng_reader r = ng_reader_of(inner), outer;
    struct ng_reader seq = open_choice(&r, NG_DER_CONTEXT(0), &outer);
    parse_init_body(&seq, init);
    return close_choice(&r, &outer, &seq) ? NG_OK : NG_ERR_INVALID_TOKEN;
}

static ng_status parse_subsequent(struct ng_slice token, struct ng_spnego_resp *resp)
{
    struct ng_reader r = ng_reader_of(token), outer;
    struct ng_reader seq = open_choice(&r, NG_DER_CONTEXT(1), &outer);
    parse_resp_body(&seq, resp);
    return close_choice(&r, &outer, &seq) ? NG_OK : NG_ERR_INVALID_TOKEN;
}

ng_status ng_spnego_parse(struct ng_slice token, struct ng_spnego_token *out)
{
    struct ng_reader r = ng_reader_of(token);
    uint8_t first = ng_peek_u8(&r);
    ng_status status = NG_ERR_INVALID_TOKEN;
    *out = (struct ng_spnego_token){0};
    if (!r.failed && first == NG_DER_APPLICATION(0)) {
        out->kind = NG_SPNEGO_INIT;
        status = parse_initial(token, &out->init);
    } else if (!r.failed && first == NG_DER_CONTEXT(1)) {
        out->kind = NG_SPNEGO_RESP;
        status = parse_subsequent(token, &out->resp);
    }
    if (status != NG_OK)
        *out = (struct ng_spnego_token){0};
    return status;
}

/* ---- Encoding --------------------------------------------------------------------------- */

static ng_status invalid_param(struct ng_writer *w)
{
    w->error = NG_ERR_INVALID_PARAM;
    return w->error;
}

static bool mechs_valid(const enum ng_mech *mechs, size_t n)
{
    if (mechs == NULL || n == 0 || n > NG_SPNEGO_MAX_MECHS)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (ng_mech_oid(mechs[i]).len == 0)
            return false;
    }
    return true;
}

static size_t mech_list_content_size(const enum ng_mech *mechs, size_t n)
{
    size_t content = 0;
    for (size_t i = 0; i < n; i++)
        content = ng_der_size_add(content, ng_der_tlv_size(ng_mech_oid(mechs[i]).len));
    return content;
}

/* Size of the whole MechTypeList SEQUENCE TLV. */
static size_t mech_list_size(const enum ng_mech *mechs, size_t n)
{
    return ng_der_tlv_size(mech_list_content_size(mechs, n));
}

static void write_mech_list(struct ng_writer *w, const enum ng_mech *mechs, size_t n)
{
    ng_der_write_header(w, NG_DER_SEQUENCE, mech_list_content_size(mechs, n));
    for (size_t i = 0; i < n; i++)
        ng_der_write_oid(w, ng_mech_oid(mechs[i]));
}

/* An OPTIONAL [tag] EXPLICIT OCTET STRING, omitted when empty. */
static size_t explicit_octets_size(struct ng_slice s)
{
    return s.len == 0 ? 0 : ng_der_tlv_size(ng_der_tlv_size(s.len));
}

static void write_explicit_octets(struct ng_writer *w, uint8_t tag, struct ng_slice s)
{
    if (s.len == 0)
        return;
    ng_der_write_header(w, tag, ng_der_tlv_size(s.len));
    ng_der_write_octet_string(w, s);
}

/* Frame + [0] + SEQUENCE headers around `seq_len` octets of NegTokenInit(2) fields. */
static void write_init_headers(struct ng_writer *w, size_t seq_len)
{
    size_t choice_len = ng_der_tlv_size(seq_len);
    ng_gss_frame_write_header(w, ng_spnego_oid(), ng_der_tlv_size(choice_len));
    ng_der_write_header(w, NG_DER_CONTEXT(0), choice_len);
    ng_der_write_header(w, NG_DER_SEQUENCE, seq_len);
}

ng_status ng_spnego_write_mech_list(struct ng_writer *w, const enum ng_mech *mechs, size_t n)
{
    if (!mechs_valid(mechs, n))
        return invalid_param(w);
    write_mech_list(w, mechs, n);
    return ng_writer_status(w);
}

/* RFC 4178 §4.2.1. */
ng_status ng_spnego_write_init(struct ng_writer *w, const enum ng_mech *mechs, size_t n,
                               struct ng_slice mech_token, struct ng_slice mech_list_mic)
{
    if (!mechs_valid(mechs, n))
        return invalid_param(w);
    size_t list_len = mech_list_size(mechs, n);
    size_t seq_len = ng_der_tlv_size(list_len);
    seq_len = ng_der_size_add(seq_len, explicit_octets_size(mech_token));
    seq_len = ng_der_size_add(seq_len, explicit_octets_size(mech_list_mic));
    write_init_headers(w, seq_len);
    ng_der_write_header(w, NG_DER_CONTEXT(0), list_len);
    write_mech_list(w, mechs, n);
    write_explicit_octets(w, NG_DER_CONTEXT(2), mech_token);
    write_explicit_octets(w, NG_DER_CONTEXT(3), mech_list_mic);
    return ng_writer_status(w);
}

/* MS-SPNG §2.2.1 NegTokenInit2 with negHints [3] { hintName [0] }, as in §3.2.5.2. */
ng_status ng_spnego_write_init2_hints(struct ng_writer *w, const enum ng_mech *mechs, size_t n)
{
    if (!mechs_valid(mechs, n))
        return invalid_param(w);
    struct ng_slice hint = ng_slice_of(NG_SPNEGO_HINT_NAME, sizeof(NG_SPNEGO_HINT_NAME) - 1);
    size_t name_len = ng_der_tlv_size(hint.len);   /* contents of hintName [0] */
    size_t hints_len = ng_der_tlv_size(name_len);  /* contents of the NegHints SEQUENCE */
    size_t field_len = ng_der_tlv_size(hints_len); /* contents of negHints [3] */
    size_t list_len = mech_list_size(mechs, n);
    size_t seq_len = ng_der_size_add(ng_der_tlv_size(list_len), ng_der_tlv_size(field_len));
    write_init_headers(w, seq_len);
    ng_der_write_header(w, NG_DER_CONTEXT(0), list_len);
    write_mech_list(w, mechs, n);
    ng_der_write_header(w, NG_DER_CONTEXT(3), field_len);
    ng_der_write_header(w, NG_DER_SEQUENCE, hints_len);
    ng_der_write_header(w, NG_DER_CONTEXT(0), name_len);
    ng_der_write_general_string(w, hint);
    return ng_writer_status(w);
}

/* RFC 4178 §4.2.2. */
ng_status ng_spnego_write_resp(struct ng_writer *w, enum ng_neg_state neg_state,
                               enum ng_mech supported, struct ng_slice response_token,
                               struct ng_slice mech_list_mic)
{
    struct ng_slice oid = ng_mech_oid(supported);
    if (neg_state < NG_NEG_STATE_ABSENT || neg_state > NG_NEG_STATE_REQUEST_MIC ||
        (supported != NG_MECH_NONE && oid.len == 0))
        return invalid_param(w);
    bool has_state = neg_state != NG_NEG_STATE_ABSENT;
    size_t state_len =
        has_state ? ng_der_tlv_size(ng_der_uint_content_size((uint32_t)neg_state)) : 0;
    size_t mech_len = oid.len ? ng_der_tlv_size(oid.len) : 0;
    size_t seq_len =
        (has_state ? ng_der_tlv_size(state_len) : 0) + (oid.len ? ng_der_tlv_size(mech_len) : 0);
    seq_len = ng_der_size_add(seq_len, explicit_octets_size(response_token));
    seq_len = ng_der_size_add(seq_len, explicit_octets_size(mech_list_mic));
    ng_der_write_header(w, NG_DER_CONTEXT(1), ng_der_tlv_size(seq_len));
    ng_der_write_header(w, NG_DER_SEQUENCE, seq_len);
    if (has_state) {
        ng_der_write_header(w, NG_DER_CONTEXT(0), state_len);
        ng_der_write_enumerated(w, (uint32_t)neg_state);
    }
    if (oid.len) {
        ng_der_write_header(w, NG_DER_CONTEXT(1), mech_len);
        ng_der_write_oid(w, oid);
    }
    write_explicit_octets(w, NG_DER_CONTEXT(2), response_token);
    write_explicit_octets(w, NG_DER_CONTEXT(3), mech_list_mic);
    return ng_writer_status(w);
}
