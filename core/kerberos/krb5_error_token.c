#include "krb5_error_token.h"

#include <string.h>

#include "krb5_ap_req.h"
#include "krb5_thread.h"
#include "krb5_token.h"

enum { KRB_ERR_GENERIC = 60 }; /* RFC 4120 §7.5.9 */

/* RFC 4120 §7.5.9 error codes (the libkrb5 codes less ERROR_TABLE_BASE_krb5). */
static krb5_int32 protocol_error(ng_status failure)
{
    krb5_error_code code;
    switch (failure) {
    case NG_ERR_TIME_SKEW:
        code = KRB5KRB_AP_ERR_SKEW;
        break;
    case NG_ERR_CONTEXT_EXPIRED:
        code = KRB5KRB_AP_ERR_TKT_EXPIRED;
        break;
    case NG_ERR_REPLAY:
        code = KRB5KRB_AP_ERR_REPEAT;
        break;
    case NG_ERR_WRONG_PRINCIPAL:
    case NG_ERR_NO_AUTHORITY:
        code = KRB5KRB_AP_ERR_NOT_US;
        break;
    case NG_ERR_LOGON_DENIED: /* the authenticator did not open with the session key */
    case NG_ERR_WRONG_KEY:    /* the service key did not open the ticket */
    case NG_ERR_BAD_PAC:
        code = KRB5KRB_AP_ERR_MODIFIED;
        break;
    case NG_ERR_STALE_KEY: /* RFC 4120 §3.2.3: no key of that version */
        code = KRB5KRB_AP_ERR_BADKEYVER;
        break;
    case NG_ERR_INVALID_TOKEN:
        code = KRB5KRB_AP_ERR_MSG_TYPE;
        break;
    default:
        return KRB_ERR_GENERIC;
    }
    return (krb5_int32)(code - ERROR_TABLE_BASE_krb5);
}

ng_status ng_krb5_error_token(const struct ng_context *ctx, struct ng_slice token,
                              ng_status failure, struct ng_writer *out)
{
    struct ng_slice ap_req;
    struct ng_krb5_ap_req req;
    krb5_context kctx;
    if (ng_krb5_unframe(token, NG_KRB5_TOK_AP_REQ, &ap_req) != NG_OK ||
        ng_krb5_ap_req_parse(ap_req, &req) != NG_OK || req.server.ncomponents == 0)
        return NG_OK;
    NG_GUARD(ng_krb5_thread_context(&kctx));
    /* The ticket's sname and realm, borrowed from the AP-REQ (no copies). */
    krb5_data components[8];
    for (size_t i = 0; i < req.server.ncomponents; i++) {
        struct ng_slice c = req.server.components[i];
        components[i] = (krb5_data){KV5M_DATA, (unsigned int)c.len, (char *)c.ptr};
    }
    krb5_principal_data server = {
        KV5M_PRINCIPAL,
        {KV5M_DATA, (unsigned int)req.server.realm.len, (char *)req.server.realm.ptr},
        components,
        (krb5_int32)req.server.ncomponents,
        KRB5_NT_SRV_INST};
    const char *why = ng_status_name(failure);
    krb5_error err = {.magic = KV5M_ERROR,
                      .error = (krb5_ui_4)protocol_error(failure),
                      .server = &server,
                      .text = {KV5M_DATA, (unsigned int)strlen(why), (char *)why}};
    krb5_us_timeofday(kctx, &err.stime, &err.susec);
    krb5_data der = {0};
    NG_GUARD(ng_krb5_status(krb5_mk_error(kctx, &err, &der)));
    ng_krb5_frame(out, NG_KRB5_TOK_ERROR, ng_slice_of(der.data, der.length));
    krb5_free_data_contents(kctx, &der);
    return ng_writer_status(out);
}
