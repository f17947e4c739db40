#include "krb5_tickets.h"

#include "krb5_gss_checksum.h"
#include "krb5_token.h"

krb5_creds *ng_test_service_ticket(krb5_context k, const struct ng_test_realm *realm)
{
    krb5_ccache cc = NULL;
    krb5_creds in = {0}, *creds = NULL;
    if (krb5_cc_resolve(k, realm->ccache, &cc) != 0 ||
        krb5_cc_get_principal(k, cc, &in.client) != 0 ||
        krb5_parse_name(k, realm->service, &in.server) != 0 ||
        krb5_get_credentials(k, 0, cc, &in, &creds) != 0)
        creds = NULL;
    krb5_free_cred_contents(k, &in);
    if (cc != NULL)
        krb5_cc_close(k, cc);
    return creds;
}

int ng_test_ap_req(krb5_context k, krb5_creds *creds, bool mutual, struct ng_writer *out)
{
    uint8_t checksum[24] = {16}; /* Lgth 16: zero bindings, no flags */
    krb5_data checksum_data = {KV5M_DATA, sizeof(checksum), (char *)checksum};
    krb5_auth_context ac = NULL;
    krb5_data ap = {0};
    krb5_error_code code = krb5_auth_con_init(k, &ac);
    if (code == 0)
        code = krb5_auth_con_set_req_cksumtype(k, ac, NG_GSS_CHECKSUM_TYPE);
    if (code == 0)
        code = krb5_mk_req_extended(k, &ac, mutual ? AP_OPTS_MUTUAL_REQUIRED : 0, &checksum_data,
                                    creds, &ap);
    if (code == 0)
        ng_krb5_frame(out, NG_KRB5_TOK_AP_REQ, ng_slice_of(ap.data, ap.length));
    krb5_free_data_contents(k, &ap);
    if (ac != NULL)
        krb5_auth_con_free(k, ac);
    return code == 0 && out->error == NG_OK ? 0 : -1;
}
