/* Raw listeners (see raw_listener.h). */
#include "raw_listener.h"

#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "buf.h"
#include "conn.h"
#include "raw_frame.h"
#include "sec_status.h"

static void error_frame(struct rs_conn *c, SECURITY_STATUS s, const char *reason, bool close_after);

/* A frame that could not be built (out of memory) becomes a short 'E' frame, which may still
 * fit where the whole frame did not; if even that fails, rs_conn_send closes the connection. */
static void send_frame(struct rs_conn *c, struct rs_out *o, bool close_after, bool is_error)
{
    if (o->failed && !is_error) {
        rs_out_free(o);
        error_frame(c, SEC_E_INSUFFICIENT_MEMORY, "out of memory", close_after);
        return;
    }
    rs_count(&c->w->metrics.raw_frames);
    c->out = *o;
    c->close_after_send = close_after;
    rs_conn_send(c);
}

static void frame_header(struct rs_out *o, uint32_t len, char type)
{
    rs_out_be32(o, len + 1);
    rs_out_put(o, &type, 1);
}

static void error_frame(struct rs_conn *c, SECURITY_STATUS s, const char *reason, bool close_after)
{
    struct rs_out o = {0};
    size_t n = strlen(reason);
    frame_header(&o, (uint32_t)(4 + 2 + n), 'E');
    rs_out_be32(&o, (uint32_t)s);
    rs_out_be16(&o, (uint16_t)n);
    rs_out_put(&o, reason, n);
    send_frame(c, &o, close_after, true);
}

static void accepted_frame(struct rs_conn *c, const struct rs_leg *leg, const uint8_t *tok)
{
    struct rs_out o = {0};
    size_t un = strlen(leg->user), pn = strlen(leg->package);
    frame_header(&o, (uint32_t)(4 + leg->out_len + 2 + un + 2 + pn), 'A');
    rs_out_be32(&o, leg->out_len);
    rs_out_put(&o, tok, leg->out_len);
    rs_out_be16(&o, (uint16_t)un);
    rs_out_put(&o, leg->user, un);
    rs_out_be16(&o, (uint16_t)pn);
    rs_out_put(&o, leg->package, pn);
    send_frame(c, &o, false, false);
}

static void continue_frame(struct rs_conn *c, const uint8_t *tok, size_t len)
{
    struct rs_out o = {0};
    frame_header(&o, (uint32_t)len, 'C');
    rs_out_put(&o, tok, len);
    send_frame(c, &o, false, false);
}

static void leg(struct rs_conn *c, const uint8_t *tok, size_t len)
{
    struct rs_worker *w = c->w;
    enum rs_mechs mechs = c->lis->cfg->mechs;
    enum rs_package pkg = mechs == RS_MECHS_NTLM ? RS_PKG_NTLM : RS_PKG_NEGOTIATE;
    const char *scheme = pkg == RS_PKG_NTLM ? "NTLM" : "Negotiate";
    struct rs_leg res;
    if (!rs_conn_auth_leg(c, pkg, scheme, tok, len, &res)) {
        error_frame(c, SEC_E_INSUFFICIENT_MEMORY, "too many pending handshakes", false);
        return;
    }
    if (res.status == SEC_I_CONTINUE_NEEDED) {
        continue_frame(c, w->answer, res.out_len);
        return;
    }
    rs_leg_outcome(c, scheme, &res);
    free(res.group_sids); /* never asked for on raw listeners */
    if (res.status == SEC_E_OK)
        accepted_frame(c, &res, w->answer);
    else
        error_frame(c, res.status, rs_status_reason(res.status), false);
}

static size_t consume(struct rs_conn *c, const uint8_t *data, size_t len)
{
    struct rs_raw_frame f = rs_raw_frame_parse(data, len, c->w->srv->cfg.max_token_bytes);
    switch (f.kind) {
    case RS_RAW_NEED_MORE:
        return 0;
    case RS_RAW_TOO_LARGE:
        rs_count(&c->w->metrics.bad_requests);
        rs_handshake_outcome(c, "raw", SEC_E_INVALID_TOKEN, "", "",
                             rs_status_result(SEC_E_INVALID_TOKEN),
                             "frame longer than max-token-bytes");
        error_frame(c, SEC_E_INVALID_TOKEN, "frame too long", true);
        return len;
    case RS_RAW_FRAME:
        break;
    }
    leg(c, f.token.ptr, f.token.len);
    return f.consumed;
}

static void refusal(struct rs_out *o)
{
    static const char reason[] = "too many connections or out of memory";
    frame_header(o, 4 + 2 + sizeof(reason) - 1, 'E');
    rs_out_be32(o, (uint32_t)SEC_E_INSUFFICIENT_MEMORY);
    rs_out_be16(o, sizeof(reason) - 1);
    rs_out_put(o, reason, sizeof(reason) - 1);
}

/* A Kerberos login the farm's replay check turned down (shared_state.h): an 'E' frame. */
static void refuse_held(struct rs_conn *c, bool unavailable)
{
    const char *reason =
        unavailable ? "shared store unavailable" : "authenticator accepted before by another node";
    size_t n = strlen(reason);
    frame_header(&c->out, (uint32_t)(4 + 2 + n), 'E');
    rs_out_be32(&c->out, (uint32_t)(unavailable ? SEC_E_INTERNAL_ERROR : SEC_E_LOGON_DENIED));
    rs_out_be16(&c->out, (uint16_t)n);
    rs_out_put(&c->out, reason, n);
    rs_count(&c->w->metrics.raw_frames);
}

const struct rs_protocol rs_raw_protocol = {consume, refusal, refuse_held};
