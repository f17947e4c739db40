/* What a connection and a request keep (see ngx_http_negotiate_module.h), the variables that
 * read it and the header filter that sends the mutual-authentication token. */
#include "ngx_http_negotiate_module.h"

static ngx_http_output_header_filter_pt ngx_http_next_header_filter;

/* Deletes a handshake left pending when its connection closes (the client left mid-way, the
 * keep-alive timer fired, nginx shuts down): NTLM's context lives no longer than its
 * connection. */
static void ngx_http_negotiate_conn_cleanup(void *data)
{
    ngx_http_negotiate_conn_t *st = data;
    ne_handshake_reset(&st->hs);
}

/* The connection's state is found by its cleanup handler among the pool's cleanups (a short
 * list): an nginx connection has no per-module slot of its own. */
ngx_http_negotiate_conn_t *ngx_http_negotiate_conn_find(ngx_connection_t *c)
{
    for (ngx_pool_cleanup_t *cln = c->pool->cleanup; cln != NULL; cln = cln->next) {
        if (cln->handler == ngx_http_negotiate_conn_cleanup)
            return cln->data;
    }
    return NULL;
}

ngx_http_negotiate_conn_t *ngx_http_negotiate_conn_get(ngx_connection_t *c)
{
    ngx_http_negotiate_conn_t *st = ngx_http_negotiate_conn_find(c);
    if (st != NULL)
        return st;
    ngx_pool_cleanup_t *cln = ngx_pool_cleanup_add(c->pool, sizeof(ngx_http_negotiate_conn_t));
    if (cln == NULL)
        return NULL;
    st = cln->data;
    ngx_memzero(st, sizeof(*st));
    cln->handler = ngx_http_negotiate_conn_cleanup;
    return st;
}

/* The result belongs to its request only: a later request on the connection, which nginx may
 * allocate at the same address, must not find it. */
static void ngx_http_negotiate_request_cleanup(void *data)
{
    ngx_http_negotiate_conn_t *st = data;
    st->request = NULL;
    ngx_str_null(&st->user);
    ngx_str_null(&st->mech);
    ngx_str_null(&st->mutual);
}

ngx_int_t ngx_http_negotiate_begin_request(ngx_http_negotiate_conn_t *st, ngx_http_request_t *r)
{
    ngx_pool_cleanup_t *cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL)
        return NGX_ERROR;
    cln->handler = ngx_http_negotiate_request_cleanup;
    cln->data = st;
    st->request = r;
    st->request_rc = NGX_HTTP_UNAUTHORIZED;
    return NGX_OK;
}

/* The state of a request the access phase let through, or NULL. */
static ngx_http_negotiate_conn_t *ngx_http_negotiate_authenticated(ngx_http_request_t *r)
{
    ngx_http_negotiate_conn_t *st = ngx_http_negotiate_conn_find(r->connection);
    return st != NULL && st->request == r->main && st->request_rc == NGX_OK ? st : NULL;
}

enum { NGX_HTTP_NEGOTIATE_VAR_USER, NGX_HTTP_NEGOTIATE_VAR_REALM, NGX_HTTP_NEGOTIATE_VAR_MECH };

static ngx_int_t ngx_http_negotiate_variable(ngx_http_request_t *r, ngx_http_variable_value_t *v,
                                             uintptr_t which)
{
    ngx_http_negotiate_conn_t *st = ngx_http_negotiate_authenticated(r);
    if (st == NULL) {
        v->not_found = 1;
        return NGX_OK;
    }
    size_t len;
    const char *realm;
    switch (which) {
    case NGX_HTTP_NEGOTIATE_VAR_USER:
        v->data = st->user.data;
        v->len = st->user.len;
        break;
    case NGX_HTTP_NEGOTIATE_VAR_REALM:
        realm = ne_user_realm((const char *)st->user.data, (const char *)st->mech.data, &len);
        v->data = (u_char *)realm;
        v->len = len;
        break;
    default:
        v->data = st->mech.data;
        v->len = st->mech.len;
        break;
    }
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;
    return NGX_OK;
}

static ngx_http_variable_t ngx_http_negotiate_vars[] = {
    {ngx_string("negotiate_user"), NULL, ngx_http_negotiate_variable, NGX_HTTP_NEGOTIATE_VAR_USER,
     NGX_HTTP_VAR_NOCACHEABLE, 0},
    {ngx_string("negotiate_realm"), NULL, ngx_http_negotiate_variable, NGX_HTTP_NEGOTIATE_VAR_REALM,
     NGX_HTTP_VAR_NOCACHEABLE, 0},
    {ngx_string("negotiate_mech"), NULL, ngx_http_negotiate_variable, NGX_HTTP_NEGOTIATE_VAR_MECH,
     NGX_HTTP_VAR_NOCACHEABLE, 0},
    ngx_http_null_variable,
};

ngx_int_t ngx_http_negotiate_add_variables(ngx_conf_t *cf)
{
    for (ngx_http_variable_t *v = ngx_http_negotiate_vars; v->name.len; v++) {
        ngx_http_variable_t *var = ngx_http_add_variable(cf, &v->name, v->flags);
        if (var == NULL)
            return NGX_ERROR;
        var->get_handler = v->get_handler;
        var->data = v->data;
    }
    return NGX_OK;
}

/* RFC 4559 §5: the final token (Kerberos' AP-REP, SPNEGO's accept-completed) goes back in
 * WWW-Authenticate on the answer itself, whichever module or upstream made it. */
static ngx_int_t ngx_http_negotiate_header_filter(ngx_http_request_t *r)
{
    ngx_http_negotiate_conn_t *st = r == r->main ? ngx_http_negotiate_authenticated(r) : NULL;
    if (st == NULL || st->mutual.len == 0 || r->headers_out.status == NGX_HTTP_UNAUTHORIZED)
        return ngx_http_next_header_filter(r);
    ngx_table_elt_t *h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL)
        return NGX_ERROR;
    h->hash = 1;
    ngx_str_set(&h->key, "WWW-Authenticate");
    h->value = st->mutual;
    return ngx_http_next_header_filter(r);
}

ngx_int_t ngx_http_negotiate_filter_init(ngx_conf_t *cf)
{
    ngx_http_next_header_filter = ngx_http_top_header_filter;
    ngx_http_top_header_filter = ngx_http_negotiate_header_filter;
    return NGX_OK;
}
