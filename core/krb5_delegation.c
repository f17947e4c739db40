#include "krb5_delegation.h"

#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "krb5_thread.h"

/* Windows and MIT encrypt the KRB-CRED in the ticket session key, some initiators in their
 * subkey: try the subkey first (krb5_rd_cred's choice), then the session key alone. Sequence
 * and time checks are for KRB-CRED messages of their own, not for one inside an AP-REQ. */
static krb5_error_code read_forwarded(krb5_context kctx, krb5_auth_context ac, krb5_data *in,
                                      krb5_creds ***creds)
{
    krb5_int32 flags = 0;
    krb5_keyblock *subkey = NULL;
    krb5_auth_con_getflags(kctx, ac, &flags);
    krb5_auth_con_setflags(kctx, ac, 0);
    krb5_error_code code = krb5_rd_cred(kctx, ac, in, creds, NULL);
    if (code != 0 && krb5_auth_con_getrecvsubkey(kctx, ac, &subkey) == 0 && subkey != NULL) {
        krb5_auth_con_setrecvsubkey(kctx, ac, NULL);
        code = krb5_rd_cred(kctx, ac, in, creds, NULL);
        krb5_auth_con_setrecvsubkey(kctx, ac, subkey);
        krb5_free_keyblock(kctx, subkey);
    }
    krb5_auth_con_setflags(kctx, ac, flags);
    return code;
}

static krb5_error_code store_all(krb5_context kctx, krb5_ccache cc, krb5_creds **creds)
{
    krb5_error_code code = krb5_cc_initialize(kctx, cc, creds[0]->client);
    for (size_t i = 0; code == 0 && creds[i] != NULL; i++)
        code = krb5_cc_store_cred(kctx, cc, creds[i]);
    return code;
}

ng_status ng_krb5_store_delegation(krb5_context kctx, krb5_auth_context ac,
                                   struct ng_slice krb_cred, char **ccache_name)
{
    krb5_data in = {KV5M_DATA, (unsigned int)krb_cred.len, (char *)krb_cred.ptr};
    krb5_creds **creds = NULL;
    krb5_ccache cc = NULL;
    krb5_error_code code = read_forwarded(kctx, ac, &in, &creds);
    if (code == 0 && (creds == NULL || creds[0] == NULL))
        code = KRB5_NO_TKT_SUPPLIED;
    if (code == 0)
        code = krb5_cc_new_unique(kctx, "MEMORY", NULL, &cc);
    if (code == 0)
        code = store_all(kctx, cc, creds);
    ng_status status = code == 0 ? NG_OK : NG_ERR_INVALID_TOKEN;
    if (status == NG_OK) {
        const char *name = krb5_cc_get_name(kctx, cc);
        size_t len = strlen(name) + sizeof("MEMORY:");
        *ccache_name = ng_alloc(len);
        status = *ccache_name ? NG_OK : NG_ERR_NOMEM;
        if (status == NG_OK)
            snprintf(*ccache_name, len, "MEMORY:%s", name);
    }
    if (cc != NULL && status != NG_OK)
        krb5_cc_destroy(kctx, cc);
    else if (cc != NULL)
        krb5_cc_close(kctx, cc);
    krb5_free_tgt_creds(kctx, creds);
    return status;
}

void ng_krb5_delegation_destroy(const char *ccache_name)
{
    krb5_context kctx;
    krb5_ccache cc;
    if (ccache_name == NULL || ng_krb5_thread_context(&kctx) != NG_OK)
        return;
    if (krb5_cc_resolve(kctx, ccache_name, &cc) == 0)
        krb5_cc_destroy(kctx, cc);
}
