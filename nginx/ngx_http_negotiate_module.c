/* The module's directives, its configuration and credentials, and the worker's start (see
 * ngx_http_negotiate_module.h). */
#include "ngx_http_negotiate_module.h"

#include <negring/sspi.h>

static void *ngx_http_negotiate_create_main_conf(ngx_conf_t *cf);
static void *ngx_http_negotiate_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_negotiate_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child);
static char *ngx_http_negotiate_enable(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
static char *ngx_http_negotiate_set_choice(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
static char *ngx_http_negotiate_set_token_size(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
static ngx_int_t ngx_http_negotiate_init(ngx_conf_t *cf);
static ngx_int_t ngx_http_negotiate_init_process(ngx_cycle_t *cycle);

static ngx_conf_enum_t ngx_http_negotiate_mechanisms[] = {
    {ngx_string("negotiate"), NE_MECHS_NEGOTIATE},
    {ngx_string("kerberos"), NE_MECHS_KERBEROS},
    {ngx_string("ntlm"), NE_MECHS_NTLM},
    {ngx_null_string, 0},
};

static ngx_conf_enum_t ngx_http_negotiate_binds[] = {
    {ngx_string("off"), NGX_HTTP_NEGOTIATE_BIND_OFF},
    {ngx_string("ntlm"), NGX_HTTP_NEGOTIATE_BIND_NTLM},
    {ngx_string("all"), NGX_HTTP_NEGOTIATE_BIND_ALL},
    {ngx_null_string, 0},
};

#define NGX_HTTP_NEGOTIATE_LOC_CONF (NGX_HTTP_MAIN_CONF | NGX_HTTP_SRV_CONF | NGX_HTTP_LOC_CONF)

static ngx_command_t ngx_http_negotiate_commands[] = {
    {ngx_string("auth_negotiate"), NGX_HTTP_NEGOTIATE_LOC_CONF | NGX_CONF_FLAG,
     ngx_http_negotiate_enable, NGX_HTTP_LOC_CONF_OFFSET,
     offsetof(ngx_http_negotiate_loc_conf_t, enable), NULL},
    {ngx_string("auth_negotiate_keytab"), NGX_HTTP_NEGOTIATE_LOC_CONF | NGX_CONF_TAKE1,
     ngx_conf_set_str_slot, NGX_HTTP_LOC_CONF_OFFSET,
     offsetof(ngx_http_negotiate_loc_conf_t, keytab), NULL},
    {ngx_string("auth_negotiate_principal"), NGX_HTTP_NEGOTIATE_LOC_CONF | NGX_CONF_TAKE1,
     ngx_conf_set_str_slot, NGX_HTTP_LOC_CONF_OFFSET,
     offsetof(ngx_http_negotiate_loc_conf_t, principal), NULL},
    {ngx_string("auth_negotiate_mechanisms"), NGX_HTTP_NEGOTIATE_LOC_CONF | NGX_CONF_TAKE1,
     ngx_http_negotiate_set_choice, NGX_HTTP_LOC_CONF_OFFSET,
     offsetof(ngx_http_negotiate_loc_conf_t, mechanisms), ngx_http_negotiate_mechanisms},
    {ngx_string("auth_negotiate_ntlm_accounts"), NGX_HTTP_NEGOTIATE_LOC_CONF | NGX_CONF_TAKE1,
     ngx_conf_set_str_slot, NGX_HTTP_LOC_CONF_OFFSET,
     offsetof(ngx_http_negotiate_loc_conf_t, ntlm_accounts), NULL},
    {ngx_string("auth_negotiate_ntlm_domain"), NGX_HTTP_NEGOTIATE_LOC_CONF | NGX_CONF_TAKE1,
     ngx_conf_set_str_slot, NGX_HTTP_LOC_CONF_OFFSET,
     offsetof(ngx_http_negotiate_loc_conf_t, ntlm_domain), NULL},
    {ngx_string("auth_negotiate_clock_skew"), NGX_HTTP_NEGOTIATE_LOC_CONF | NGX_CONF_TAKE1,
     ngx_conf_set_sec_slot, NGX_HTTP_LOC_CONF_OFFSET,
     offsetof(ngx_http_negotiate_loc_conf_t, clock_skew), NULL},
    {ngx_string("auth_negotiate_connection_bound"), NGX_HTTP_NEGOTIATE_LOC_CONF | NGX_CONF_TAKE1,
     ngx_http_negotiate_set_choice, NGX_HTTP_LOC_CONF_OFFSET,
     offsetof(ngx_http_negotiate_loc_conf_t, bind), ngx_http_negotiate_binds},
    {ngx_string("auth_negotiate_max_token_size"), NGX_HTTP_NEGOTIATE_LOC_CONF | NGX_CONF_TAKE1,
     ngx_http_negotiate_set_token_size, NGX_HTTP_LOC_CONF_OFFSET,
     offsetof(ngx_http_negotiate_loc_conf_t, max_token_size), NULL},
    {ngx_string("auth_negotiate_handshake_timeout"), NGX_HTTP_NEGOTIATE_LOC_CONF | NGX_CONF_TAKE1,
     ngx_conf_set_msec_slot, NGX_HTTP_LOC_CONF_OFFSET,
     offsetof(ngx_http_negotiate_loc_conf_t, handshake_timeout), NULL},
    {ngx_string("auth_negotiate_replay_cache"), NGX_HTTP_MAIN_CONF | NGX_CONF_TAKE1,
     ngx_conf_set_size_slot, NGX_HTTP_MAIN_CONF_OFFSET,
     offsetof(ngx_http_negotiate_main_conf_t, replay_cache_size), NULL},
    ngx_null_command,
};

static ngx_http_module_t ngx_http_negotiate_module_ctx = {
    ngx_http_negotiate_add_variables,    /* preconfiguration */
    ngx_http_negotiate_init,             /* postconfiguration */
    ngx_http_negotiate_create_main_conf, /* create main configuration */
    NULL,                                /* init main configuration */
    NULL,                                /* create server configuration */
    NULL,                                /* merge server configuration */
    ngx_http_negotiate_create_loc_conf,  /* create location configuration */
    ngx_http_negotiate_merge_loc_conf,   /* merge location configuration */
};

ngx_module_t ngx_http_negotiate_module = {
    NGX_MODULE_V1,
    &ngx_http_negotiate_module_ctx,  /* module context */
    ngx_http_negotiate_commands,     /* module directives */
    NGX_HTTP_MODULE,                 /* module type */
    NULL,                            /* init master */
    NULL,                            /* init module */
    ngx_http_negotiate_init_process, /* init process */
    NULL,                            /* init thread */
    NULL,                            /* exit thread */
    NULL,                            /* exit process */
    NULL,                            /* exit master */
    NGX_MODULE_V1_PADDING,
};

static void *ngx_http_negotiate_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_negotiate_main_conf_t *mcf = ngx_pcalloc(cf->pool, sizeof(*mcf));
    if (mcf == NULL)
        return NULL;
    mcf->replay_cache_size = NGX_CONF_UNSET_SIZE;
    mcf->all_creds = ngx_array_create(cf->pool, 4, sizeof(ngx_http_negotiate_creds_t *));
    return mcf->all_creds ? mcf : NULL;
}

static void *ngx_http_negotiate_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_negotiate_loc_conf_t *conf = ngx_pcalloc(cf->pool, sizeof(*conf));
    if (conf == NULL)
        return NULL;
    conf->enable = NGX_CONF_UNSET;
    conf->mechanisms = NGX_CONF_UNSET_UINT;
    conf->clock_skew = NGX_CONF_UNSET;
    conf->bind = NGX_CONF_UNSET_UINT;
    conf->max_token_size = NGX_CONF_UNSET_SIZE;
    conf->handshake_timeout = NGX_CONF_UNSET_MSEC;
    return conf;
}

/* "auth_negotiate on|off", remembering where it was turned on: errors found later, when the
 * credentials are acquired, name that line. */
static char *ngx_http_negotiate_enable(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_negotiate_loc_conf_t *lcf = conf;
    char *rv = ngx_conf_set_flag_slot(cf, cmd, conf);
    if (rv != NGX_CONF_OK || !lcf->enable)
        return rv;
    lcf->enabled_at = ngx_pnalloc(cf->pool, cf->conf_file->file.name.len + NGX_INT_T_LEN + 2);
    if (lcf->enabled_at == NULL)
        return NGX_CONF_ERROR;
    *ngx_sprintf(lcf->enabled_at, "%V:%ui", &cf->conf_file->file.name, cf->conf_file->line) = '\0';
    return NGX_CONF_OK;
}

/* One of a directive's words (cmd->post lists them); the error names the directive and every
 * word it takes ("use negotiate, kerberos or ntlm"), which ngx_conf_set_enum_slot does not. */
static char *ngx_http_negotiate_set_choice(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_uint_t *field = (ngx_uint_t *)((u_char *)conf + cmd->offset);
    ngx_conf_enum_t *e = cmd->post;
    ngx_str_t *value = cf->args->elts;
    if (*field != NGX_CONF_UNSET_UINT)
        return "is duplicate";
    ngx_uint_t n;
    for (n = 0; e[n].name.len != 0; n++) {
        if (e[n].name.len == value[1].len && ngx_strcasecmp(e[n].name.data, value[1].data) == 0) {
            *field = e[n].value;
            return NGX_CONF_OK;
        }
    }
    u_char words[128], *p = words, *end = words + sizeof(words);
    for (ngx_uint_t i = 0; i < n; i++)
        p = ngx_slprintf(p, end, "%s%V", i == 0 ? "" : i + 1 == n ? " or " : ", ", &e[i].name);
    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "invalid value \"%V\" in \"%V\": use %*s", &value[1],
                       &cmd->name, p - words, words);
    return NGX_CONF_ERROR;
}

/* A size within bounds that keep a configuration sane: a token below 1 KiB cannot hold a
 * ticket; one above 1 MiB is no token any client makes (a 64 KiB PAC makes about 70 KiB).
 * A returned string is printed after the directive's name. */
static char *ngx_http_negotiate_set_token_size(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    char *rv = ngx_conf_set_size_slot(cf, cmd, conf);
    size_t size = *(size_t *)((u_char *)conf + cmd->offset);
    if (rv == NGX_CONF_OK && (size < 1024 || size > 1048576))
        return "must be between 1k and 1m";
    return rv;
}

static ngx_flag_t ngx_http_negotiate_str_eq(ngx_str_t *a, ngx_str_t *b)
{
    return a->len == b->len && (a->len == 0 || ngx_strncmp(a->data, b->data, a->len) == 0);
}

/* Whether two blocks describe the same credentials (a child then shares its parent's). The
 * http block's own values are never merged, so may still be unset: then they differ. */
static ngx_flag_t ngx_http_negotiate_same_creds(ngx_http_negotiate_loc_conf_t *a,
                                                ngx_http_negotiate_loc_conf_t *b)
{
    return ngx_http_negotiate_str_eq(&a->keytab, &b->keytab) &&
           ngx_http_negotiate_str_eq(&a->principal, &b->principal) &&
           ngx_http_negotiate_str_eq(&a->ntlm_accounts, &b->ntlm_accounts) &&
           ngx_http_negotiate_str_eq(&a->ntlm_domain, &b->ntlm_domain) &&
           a->mechanisms == b->mechanisms && a->clock_skew == b->clock_skew;
}

static const char *ngx_http_negotiate_or_null(ngx_str_t *s)
{
    return s->len ? (const char *)s->data : NULL;
}

static void ngx_http_negotiate_free_creds(void *data)
{
    ngx_http_negotiate_creds_t *creds = data;
    ne_acceptor_free(&creds->acceptor);
}

/* Acquires the credentials `lcf` describes; the configuration's pool frees them. `where`
 * names the "auth_negotiate on" that needs them, for the error. */
static char *ngx_http_negotiate_acquire(ngx_conf_t *cf, ngx_http_negotiate_loc_conf_t *lcf,
                                        u_char *where)
{
    ngx_http_negotiate_main_conf_t *mcf =
        ngx_http_conf_get_module_main_conf(cf, ngx_http_negotiate_module);
    char err[512];
    struct ne_acceptor_config acfg = {
        .keytab = ngx_http_negotiate_or_null(&lcf->keytab),
        .principal = ngx_http_negotiate_or_null(&lcf->principal),
        .user_db = ngx_http_negotiate_or_null(&lcf->ntlm_accounts),
        .ntlm_domain = ngx_http_negotiate_or_null(&lcf->ntlm_domain),
        .clock_skew = (unsigned)lcf->clock_skew,
        .mechs = (enum ne_mechs)lcf->mechanisms,
    };
    ngx_pool_cleanup_t *cln = ngx_pool_cleanup_add(cf->pool, sizeof(ngx_http_negotiate_creds_t));
    ngx_http_negotiate_creds_t **all = ngx_array_push(mcf->all_creds);
    if (cln == NULL || all == NULL)
        return NGX_CONF_ERROR;
    lcf->creds = cln->data;
    *all = lcf->creds;
    if (ne_acceptor_acquire(&lcf->creds->acceptor, &acfg, err, sizeof(err)) != 0) {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "auth_negotiate: %s, for \"auth_negotiate on\" in %s", err, where);
        return NGX_CONF_ERROR;
    }
    cln->handler = ngx_http_negotiate_free_creds;
    return NGX_CONF_OK;
}

/* The settings every block inherits: nginx's str slots leave an unset value empty, so strings
 * are kept NUL-terminated for the SSPI calls (cf. ngx_conf_set_str_slot: values are). */
static void ngx_http_negotiate_merge_values(ngx_http_negotiate_loc_conf_t *prev,
                                            ngx_http_negotiate_loc_conf_t *conf)
{
    ngx_conf_merge_value(conf->enable, prev->enable, 0);
    ngx_conf_merge_str_value(conf->keytab, prev->keytab, "");
    ngx_conf_merge_str_value(conf->principal, prev->principal, "");
    ngx_conf_merge_str_value(conf->ntlm_accounts, prev->ntlm_accounts, "");
    ngx_conf_merge_str_value(conf->ntlm_domain, prev->ntlm_domain, "");
    ngx_conf_merge_uint_value(conf->mechanisms, prev->mechanisms, NE_MECHS_NEGOTIATE);
    ngx_conf_merge_sec_value(conf->clock_skew, prev->clock_skew, 300);
    ngx_conf_merge_uint_value(conf->bind, prev->bind, NGX_HTTP_NEGOTIATE_BIND_NTLM);
    ngx_conf_merge_size_value(conf->max_token_size, prev->max_token_size, 65536);
    ngx_conf_merge_msec_value(conf->handshake_timeout, prev->handshake_timeout, 30000);
    if (conf->enabled_at == NULL)
        conf->enabled_at = prev->enabled_at;
}

static char *ngx_http_negotiate_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_negotiate_loc_conf_t *prev = parent, *conf = child;
    ngx_http_negotiate_merge_values(prev, conf);
    if (!conf->enable)
        return NGX_CONF_OK;
    if (conf->clock_skew <= 0) {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "auth_negotiate_clock_skew must be at least 1s, for \"auth_negotiate on\" "
                      "in %s",
                      conf->enabled_at);
        return NGX_CONF_ERROR;
    }
    ngx_http_negotiate_main_conf_t *mcf =
        ngx_http_conf_get_module_main_conf(cf, ngx_http_negotiate_module);
    mcf->enabled = 1;
    /* A block that changes no credential setting shares its parent's credentials. */
    if (ngx_http_negotiate_same_creds(prev, conf)) {
        if (prev->creds == NULL &&
            ngx_http_negotiate_acquire(cf, prev, conf->enabled_at) != NGX_CONF_OK)
            return NGX_CONF_ERROR;
        conf->creds = prev->creds;
        return NGX_CONF_OK;
    }
    return conf->creds ? NGX_CONF_OK : ngx_http_negotiate_acquire(cf, conf, conf->enabled_at);
}

static ngx_int_t ngx_http_negotiate_init(ngx_conf_t *cf)
{
    ngx_http_negotiate_main_conf_t *mcf =
        ngx_http_conf_get_module_main_conf(cf, ngx_http_negotiate_module);
    if (!mcf->enabled)
        return NGX_OK;
    ngx_http_core_main_conf_t *cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);
    ngx_http_handler_pt *h = ngx_array_push(&cmcf->phases[NGX_HTTP_ACCESS_PHASE].handlers);
    if (h == NULL)
        return NGX_ERROR;
    *h = ngx_http_negotiate_access_handler;
    if (ngx_http_negotiate_filter_init(cf) != NGX_OK)
        return NGX_ERROR;
    return ngx_http_negotiate_zone_add(cf, mcf);
}

/* Each worker makes its Kerberos state before serving, so no request waits for krb5.conf. */
static ngx_int_t ngx_http_negotiate_init_process(ngx_cycle_t *cycle)
{
    ngx_http_negotiate_main_conf_t *mcf =
        ngx_http_cycle_get_module_main_conf(cycle, ngx_http_negotiate_module);
    if (mcf == NULL)
        return NGX_OK;
    ngx_http_negotiate_creds_t **all = mcf->all_creds->elts;
    for (ngx_uint_t i = 0; i < mcf->all_creds->nelts; i++) {
        SECURITY_STATUS s = ne_acceptor_prepare_thread(&all[i]->acceptor);
        if (s != SEC_E_OK)
            ngx_log_error(NGX_LOG_ALERT, cycle->log, 0,
                          "auth_negotiate: cannot prepare Kerberos (krb5.conf?): 0x%08xD; "
                          "Kerberos logins will fail",
                          (uint32_t)s);
    }
    return NGX_OK;
}
