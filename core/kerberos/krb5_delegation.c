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

enum { MAX_EXPORTED_CREDS = 256 };

/* One record: its length, then the marshalled credentials (wiped once copied out). */
static void write_record(krb5_context kctx, krb5_creds *creds, struct ng_writer *w, uint32_t *n)
{
    krb5_data *data = NULL;
    if (krb5_marshal_credentials(kctx, creds, &data) != 0) {
        w->error = NG_ERR_NOMEM;
        return;
    }
    ng_write_be32(w, data->length);
    ng_write_bytes(w, data->data, data->length);
    explicit_bzero(data->data, data->length);
    krb5_free_data(kctx, data);
    (*n)++;
}

static ng_status count_and_write(krb5_context kctx, krb5_ccache cc, struct ng_writer *w,
                                 uint32_t *n)
{
    krb5_cc_cursor cursor;
    krb5_creds creds;
    if (krb5_cc_start_seq_get(kctx, cc, &cursor) != 0)
        return NG_ERR_NO_CREDENTIALS;
    while (*n < MAX_EXPORTED_CREDS && krb5_cc_next_cred(kctx, cc, &cursor, &creds) == 0) {
        if (w != NULL)
            write_record(kctx, &creds, w, n);
        else
            (*n)++;
        krb5_free_cred_contents(kctx, &creds);
    }
    krb5_cc_end_seq_get(kctx, cc, &cursor);
    return NG_OK; /* the writer keeps its own (sticky) status */
}

ng_status ng_krb5_delegation_export(const char *ccache_name, struct ng_writer *w)
{
    krb5_context kctx;
    krb5_ccache cc;
    uint32_t count = 0, written = 0;
    if (ccache_name == NULL) {
        ng_write_be32(w, 0);
        return NG_OK;
    }
    NG_GUARD(ng_krb5_thread_context(&kctx));
    if (krb5_cc_resolve(kctx, ccache_name, &cc) != 0)
        return NG_ERR_NO_CREDENTIALS;
    ng_status status = count_and_write(kctx, cc, NULL, &count);
    if (status == NG_OK) {
        ng_write_be32(w, count);
        status = count_and_write(kctx, cc, w, &written);
    }
    if (status == NG_OK && written != count)
        status = NG_ERR_INTERNAL; /* the ccache changed under us or a record failed */
    krb5_cc_close(kctx, cc);
    return status;
}

static ng_status import_records(krb5_context kctx, krb5_ccache cc, struct ng_reader *r,
                                uint32_t count)
{
    for (uint32_t i = 0; i < count; i++) {
        uint32_t len = ng_read_be32(r);
        struct ng_slice rec = ng_read_slice(r, len);
        NG_GUARD(ng_reader_status(r));
        krb5_data in = {KV5M_DATA, len, (char *)rec.ptr};
        krb5_creds *creds = NULL;
        if (krb5_unmarshal_credentials(kctx, &in, &creds) != 0)
            return NG_ERR_INVALID_TOKEN;
        krb5_error_code code = i == 0 ? krb5_cc_initialize(kctx, cc, creds->client) : 0;
        if (code == 0)
            code = krb5_cc_store_cred(kctx, cc, creds);
        krb5_free_creds(kctx, creds);
        if (code != 0)
            return NG_ERR_INVALID_TOKEN;
    }
    return NG_OK;
}

ng_status ng_krb5_delegation_import(struct ng_reader *r, char **ccache_name)
{
    krb5_context kctx;
    krb5_ccache cc;
    uint32_t count = ng_read_be32(r);
    *ccache_name = NULL;
    NG_GUARD(ng_reader_status(r));
    if (count == 0)
        return NG_OK;
    if (count > MAX_EXPORTED_CREDS)
        return NG_ERR_INVALID_TOKEN;
    NG_GUARD(ng_krb5_thread_context(&kctx));
    if (krb5_cc_new_unique(kctx, "MEMORY", NULL, &cc) != 0)
        return NG_ERR_NOMEM;
    ng_status status = import_records(kctx, cc, r, count);
    const char *name = krb5_cc_get_name(kctx, cc);
    size_t len = strlen(name) + sizeof("MEMORY:");
    if (status == NG_OK && (*ccache_name = ng_alloc(len)) == NULL)
        status = NG_ERR_NOMEM;
    if (status == NG_OK) {
        snprintf(*ccache_name, len, "MEMORY:%s", name);
        krb5_cc_close(kctx, cc);
    } else {
        krb5_cc_destroy(kctx, cc);
    }
    return status;
}
