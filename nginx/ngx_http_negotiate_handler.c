/* The access phase: the Authorization header (RFC 4559), one AcceptSecurityContext leg on the
 * connection's pending context, and the answer (see ngx_http_negotiate_module.h). */
#include "ngx_http_negotiate_module.h"

#include "sec_status_text.h"

typedef enum {
    NGX_HTTP_NEGOTIATE_TOKEN,     /* Negotiate or NTLM with a well-formed base64 token */
    NGX_HTTP_NEGOTIATE_NOT_OURS,  /* another scheme (Basic, Bearer, ...) */
    NGX_HTTP_NEGOTIATE_MALFORMED, /* our scheme, but no token, not base64, or too long */
} ngx_http_negotiate_parse_e;

static ngx_flag_t ngx_http_negotiate_base64_char(u_char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '/';
}

/* RFC 7235 §2.1 credentials = auth-scheme 1*SP token68, read from the header's value (nginx
 * has already removed the spaces around it). A token68 of Negotiate or NTLM is strict base64:
 * the alphabet, then at most two '=' and nothing after them. `max` bounds the decoded size. */
static ngx_http_negotiate_parse_e ngx_http_negotiate_parse(ngx_str_t *value, size_t max,
                                                           enum ne_scheme *scheme, ngx_str_t *token)
{
    u_char *p = value->data, *end = value->data + value->len;
    u_char *space = ngx_strlchr(p, end, ' ');
    size_t scheme_len = (space ? space : end) - p;
    if (scheme_len == 9 && ngx_strncasecmp(p, (u_char *)"Negotiate", 9) == 0)
        *scheme = NE_SCHEME_NEGOTIATE;
    else if (scheme_len == 4 && ngx_strncasecmp(p, (u_char *)"NTLM", 4) == 0)
        *scheme = NE_SCHEME_NTLM;
    else
        return NGX_HTTP_NEGOTIATE_NOT_OURS;
    for (p += scheme_len; p < end && *p == ' '; p++) {
    }
    token->data = p;
    token->len = end - p;
    if (token->len == 0 || token->len > ngx_base64_encoded_length(max))
        return NGX_HTTP_NEGOTIATE_MALFORMED;
    size_t padding = 0;
    for (; p < end; p++) {
        if (*p == '=' && ++padding <= 2)
            continue;
        if (padding > 0 || !ngx_http_negotiate_base64_char(*p))
            return NGX_HTTP_NEGOTIATE_MALFORMED;
    }
    return padding == 0 || token->len % 4 == 0 ? NGX_HTTP_NEGOTIATE_TOKEN
                                               : NGX_HTTP_NEGOTIATE_MALFORMED;
}

static ngx_int_t ngx_http_negotiate_add_challenge(ngx_http_request_t *r, const char *scheme,
                                                  ngx_str_t *token)
{
    ngx_table_elt_t *h = ngx_list_push(&r->headers_out.headers);
    size_t len = ngx_strlen(scheme) + (token ? 1 + token->len : 0);
    u_char *value = ngx_pnalloc(r->pool, len);
    if (h == NULL || value == NULL)
        return NGX_ERROR;
    u_char *p = ngx_cpymem(value, scheme, ngx_strlen(scheme));
    if (token != NULL) {
        *p++ = ' ';
        ngx_memcpy(p, token->data, token->len);
    }
    h->hash = 1;
    ngx_str_set(&h->key, "WWW-Authenticate");
    h->value.data = value;
    h->value.len = len;
    if (r->headers_out.www_authenticate == NULL)
        r->headers_out.www_authenticate = h;
    return NGX_OK;
}

/* 401 with a challenge for every scheme the location takes (a fresh start). */
static ngx_int_t ngx_http_negotiate_challenge(ngx_http_request_t *r,
                                              ngx_http_negotiate_loc_conf_t *lcf)
{
    struct ne_acceptor *a = &lcf->creds->acceptor;
    if ((ne_acceptor_takes(a, NE_SCHEME_NEGOTIATE) &&
         ngx_http_negotiate_add_challenge(r, "Negotiate", NULL) != NGX_OK) ||
        (ne_acceptor_takes(a, NE_SCHEME_NTLM) &&
         ngx_http_negotiate_add_challenge(r, "NTLM", NULL) != NGX_OK))
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    return NGX_HTTP_UNAUTHORIZED;
}

static const char *ngx_http_negotiate_scheme_name(enum ne_scheme scheme)
{
    return scheme == NE_SCHEME_NTLM ? "NTLM" : "Negotiate";
}

/* A copy of `s` with a NUL after it (the variables read the realm out of the user name). */
static ngx_int_t ngx_http_negotiate_copy(ngx_pool_t *pool, ngx_str_t *dst, const u_char *s,
                                         size_t len)
{
    dst->data = ngx_pnalloc(pool, len + 1);
    if (dst->data == NULL)
        return NGX_ERROR;
    *ngx_cpymem(dst->data, s, len) = '\0';
    dst->len = len;
    return NGX_OK;
}

/* A request with no Authorization: the login its connection carries, or a challenge. */
static ngx_int_t ngx_http_negotiate_no_credentials(ngx_http_request_t *r,
                                                   ngx_http_negotiate_loc_conf_t *lcf,
                                                   ngx_http_negotiate_conn_t *st)
{
    if (st == NULL || st->bound_creds == NULL || st->bound_creds != lcf->creds)
        return ngx_http_negotiate_challenge(r, lcf);
    if (ngx_http_negotiate_begin_request(st, r) != NGX_OK ||
        ngx_http_negotiate_copy(r->pool, &st->user, st->bound_user, ngx_strlen(st->bound_user)) !=
            NGX_OK ||
        ngx_http_negotiate_copy(r->pool, &st->mech, st->bound_mech, ngx_strlen(st->bound_mech)) !=
            NGX_OK)
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    st->request_rc = NGX_OK;
    return NGX_OK;
}

static ngx_int_t ngx_http_negotiate_accepted(ngx_http_request_t *r,
                                             ngx_http_negotiate_loc_conf_t *lcf,
                                             ngx_http_negotiate_conn_t *st, struct ne_leg *leg)
{
    size_t user_len = ngx_strlen(leg->user);
    if (ngx_http_negotiate_copy(r->pool, &st->user, (u_char *)leg->user, user_len) != NGX_OK ||
        ngx_http_negotiate_copy(r->pool, &st->mech, (u_char *)leg->package,
                                ngx_strlen(leg->package)) != NGX_OK)
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    if (leg->out_len > 0) {
        ngx_str_t out = {leg->out_len, leg->out};
        st->mutual.data =
            ngx_pnalloc(r->pool, sizeof("Negotiate ") - 1 + ngx_base64_encoded_length(out.len));
        if (st->mutual.data == NULL)
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        ngx_str_t b64 = {0, ngx_cpymem(st->mutual.data, "Negotiate ", sizeof("Negotiate ") - 1)};
        ngx_encode_base64(&b64, &out);
        st->mutual.len = sizeof("Negotiate ") - 1 + b64.len;
    }
    ngx_flag_t ntlm = ngx_strcmp(leg->package, "NTLM") == 0;
    if (lcf->bind == NGX_HTTP_NEGOTIATE_BIND_ALL ||
        (lcf->bind == NGX_HTTP_NEGOTIATE_BIND_NTLM && ntlm)) {
        st->bound_creds = lcf->creds;
        ngx_cpystrn(st->bound_user, (u_char *)leg->user, sizeof(st->bound_user));
        ngx_cpystrn(st->bound_mech, (u_char *)leg->package, sizeof(st->bound_mech));
    }
    st->request_rc = NGX_OK;
    return NGX_OK;
}

static ngx_int_t ngx_http_negotiate_refused(ngx_http_request_t *r,
                                            ngx_http_negotiate_loc_conf_t *lcf,
                                            enum ne_scheme scheme, struct ne_leg *leg)
{
    enum ne_failure failure = ne_status_failure(leg->status);
    ngx_uint_t level = failure == NE_MALFORMED ? NGX_LOG_INFO : NGX_LOG_ERR;
    ngx_log_error(level, r->connection->log, 0, "auth_negotiate: %s login refused: %s (0x%08xD)",
                  ngx_http_negotiate_scheme_name(scheme), leg->reason, (uint32_t)leg->status);
    switch (failure) {
    case NE_REFUSED:
        return ngx_http_negotiate_challenge(r, lcf);
    case NE_MALFORMED:
        return NGX_HTTP_BAD_REQUEST;
    case NE_OVERLOADED:
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    case NE_SERVER_ERROR:
        break;
    }
    return NGX_HTTP_INTERNAL_SERVER_ERROR;
}

/* Room for any answer token: Negotiate's cbMaxToken is 48,256 bytes. One worker runs one leg
 * at a time, on its one thread, so one buffer serves them all. */
static u_char ngx_http_negotiate_out[65536];

static ngx_int_t ngx_http_negotiate_leg(ngx_http_request_t *r, ngx_http_negotiate_loc_conf_t *lcf,
                                        ngx_http_negotiate_conn_t *st, enum ne_scheme scheme,
                                        ngx_str_t *b64)
{
    ngx_http_negotiate_main_conf_t *mcf =
        ngx_http_get_module_main_conf(r, ngx_http_negotiate_module);
    struct ne_replay_table *replay = ngx_http_negotiate_zone_table(mcf);
    ngx_str_t in = {0, ngx_pnalloc(r->pool, ngx_base64_decoded_length(b64->len))};
    if (replay == NULL || in.data == NULL)
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    if (ngx_decode_base64(&in, b64) != NGX_OK || in.len > lcf->max_token_size)
        return NGX_HTTP_BAD_REQUEST;
    /* A handshake pending under other credentials (another location), or for too long, is
     * dropped; the token then starts a new one or is refused. */
    if (st->hs.active &&
        (st->hs_creds != lcf->creds || ngx_current_msec - st->hs_started > lcf->handshake_timeout))
        ne_handshake_reset(&st->hs);
    ngx_flag_t was_active = st->hs.active;
    struct ne_leg leg = {.out = ngx_http_negotiate_out, .out_cap = sizeof(ngx_http_negotiate_out)};
    ne_handshake_leg(&st->hs, &lcf->creds->acceptor, replay, scheme, in.data, in.len, ngx_time(),
                     &leg);
    st->hs_creds = lcf->creds;
    if (st->hs.active && !was_active)
        st->hs_started = ngx_current_msec;
    if (leg.status == SEC_E_OK)
        return ngx_http_negotiate_accepted(r, lcf, st, &leg);
    if (leg.status != SEC_I_CONTINUE_NEEDED)
        return ngx_http_negotiate_refused(r, lcf, scheme, &leg);
    ngx_str_t out = {leg.out_len, leg.out};
    ngx_str_t token = {0, ngx_pnalloc(r->pool, ngx_base64_encoded_length(out.len))};
    if (token.data == NULL)
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    ngx_encode_base64(&token, &out);
    return ngx_http_negotiate_add_challenge(r, ngx_http_negotiate_scheme_name(scheme), &token) ==
                   NGX_OK
               ? NGX_HTTP_UNAUTHORIZED
               : NGX_HTTP_INTERNAL_SERVER_ERROR;
}

ngx_int_t ngx_http_negotiate_access_handler(ngx_http_request_t *r)
{
    ngx_http_negotiate_loc_conf_t *lcf = ngx_http_get_module_loc_conf(r, ngx_http_negotiate_module);
    if (!lcf->enable)
        return NGX_DECLINED;
    ngx_http_negotiate_conn_t *st = ngx_http_negotiate_conn_find(r->connection);
    /* An internal redirect runs the phase again: the same request gets the same decision
     * (its token, already consumed, would now be a replay). */
    if (st != NULL && st->request == r)
        return st->request_rc;
    if (r->headers_in.authorization == NULL)
        return ngx_http_negotiate_no_credentials(r, lcf, st);
    enum ne_scheme scheme;
    ngx_str_t token;
    switch (ngx_http_negotiate_parse(&r->headers_in.authorization->value, lcf->max_token_size,
                                     &scheme, &token)) {
    case NGX_HTTP_NEGOTIATE_NOT_OURS:
        return ngx_http_negotiate_challenge(r, lcf);
    case NGX_HTTP_NEGOTIATE_MALFORMED:
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "auth_negotiate: malformed Authorization header (no token, not base64, or "
                      "over auth_negotiate_max_token_size)");
        return NGX_HTTP_BAD_REQUEST;
    case NGX_HTTP_NEGOTIATE_TOKEN:
        break;
    }
    if (!ne_acceptor_takes(&lcf->creds->acceptor, scheme)) /* e.g. NTLM at a Kerberos location */
        return ngx_http_negotiate_challenge(r, lcf);
    st = ngx_http_negotiate_conn_get(r->connection);
    if (st == NULL || ngx_http_negotiate_begin_request(st, r) != NGX_OK)
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    st->bound_creds = NULL; /* a new Authorization header starts over */
    ngx_int_t rc = ngx_http_negotiate_leg(r, lcf, st, scheme, &token);
    st->request_rc = rc;
    return rc;
}
