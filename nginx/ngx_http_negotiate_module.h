/* Negotiate (RFC 4559: Kerberos, NTLM) inside nginx: AcceptSecurityContext runs in the worker
 * on the request's own connection, so NTLM's and SPNEGO's legs stay on the client's connection
 * (what auth_request cannot do). docs/nginx.md is the operator's guide.
 *
 * Files: ngx_http_negotiate_module.c (directives, configuration, credentials, worker start),
 * ngx_http_negotiate_handler.c (the access phase: Authorization, legs, answers),
 * ngx_http_negotiate_state.c (what a connection and a request keep: the pending context, a
 * bound login, the result; the variables and the mutual-authentication header),
 * ngx_http_negotiate_zone.c (the replay table the workers share). The SSPI work itself is in
 * ../embed/acceptor.c, shared with the Squid helper. */
#ifndef NGX_HTTP_NEGOTIATE_MODULE_H
#define NGX_HTTP_NEGOTIATE_MODULE_H

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "acceptor.h"

/* auth_negotiate_connection_bound */
#define NGX_HTTP_NEGOTIATE_BIND_OFF  0
#define NGX_HTTP_NEGOTIATE_BIND_NTLM 1
#define NGX_HTTP_NEGOTIATE_BIND_ALL  2

/* Acceptor credentials, acquired in the master while the configuration is read and inherited
 * by the workers; freed with the configuration's pool (a reload acquires new ones). */
typedef struct {
    struct ne_acceptor acceptor;
} ngx_http_negotiate_creds_t;

typedef struct {
    ngx_flag_t enable;
    ngx_str_t keytab;
    ngx_str_t principal;
    ngx_str_t ntlm_accounts;
    ngx_str_t ntlm_domain;
    ngx_uint_t mechanisms; /* NE_MECHS_* */
    time_t clock_skew;
    ngx_uint_t bind; /* NGX_HTTP_NEGOTIATE_BIND_* */
    size_t max_token_size;
    ngx_msec_t handshake_timeout;
    ngx_http_negotiate_creds_t *creds; /* when enabled; shared with blocks that inherit it */
    u_char *enabled_at;                /* "file:line" of "auth_negotiate on", for errors */
} ngx_http_negotiate_loc_conf_t;

typedef struct {
    size_t replay_cache_size;
    ngx_shm_zone_t *replay_zone;
    ngx_flag_t enabled;     /* some block has auth_negotiate on */
    ngx_array_t *all_creds; /* every ngx_http_negotiate_creds_t acquired: prepared per worker */
} ngx_http_negotiate_main_conf_t;

/* What a connection keeps between requests. Allocated from the connection's pool on its first
 * Authorization header; its cleanup deletes a pending context when the connection closes. */
typedef struct {
    struct ne_handshake hs; /* the pending leg's context, if any */
    ngx_http_negotiate_creds_t *hs_creds;
    ngx_msec_t hs_started;

    /* auth_negotiate_connection_bound: the login this connection carries */
    ngx_http_negotiate_creds_t *bound_creds; /* NULL: none */
    u_char bound_user[256];
    u_char bound_mech[16];

    /* The request being answered, while it lives (its pool's cleanup clears it), and what the
     * access phase decided for it: an internal redirect runs the phase again on the same
     * request, which must not submit the same token twice. */
    ngx_http_request_t *request;
    ngx_int_t request_rc; /* NGX_OK, or the HTTP status it was refused with */
    ngx_str_t user;       /* the result, for the variables */
    ngx_str_t mech;
    ngx_str_t mutual; /* base64 of the final token, sent in WWW-Authenticate */
} ngx_http_negotiate_conn_t;

extern ngx_module_t ngx_http_negotiate_module;

/* ngx_http_negotiate_handler.c */
ngx_int_t ngx_http_negotiate_access_handler(ngx_http_request_t *r);

/* ngx_http_negotiate_state.c */
ngx_http_negotiate_conn_t *ngx_http_negotiate_conn_find(ngx_connection_t *c);
ngx_http_negotiate_conn_t *ngx_http_negotiate_conn_get(ngx_connection_t *c);
ngx_int_t ngx_http_negotiate_begin_request(ngx_http_negotiate_conn_t *st, ngx_http_request_t *r);
ngx_int_t ngx_http_negotiate_add_variables(ngx_conf_t *cf);
ngx_int_t ngx_http_negotiate_filter_init(ngx_conf_t *cf);

/* ngx_http_negotiate_zone.c */
ngx_int_t ngx_http_negotiate_zone_add(ngx_conf_t *cf, ngx_http_negotiate_main_conf_t *mcf);
struct ne_replay_table *ngx_http_negotiate_zone_table(ngx_http_negotiate_main_conf_t *mcf);

#endif
