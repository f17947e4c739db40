/* PAC verification on the accepting side.
 *
 * What is checked: the server signature (MS-PAC §2.8.1, keyed with the service key the ticket
 * was encrypted with) and PAC_CLIENT_INFO's name and time against the ticket (§2.7). The KDC
 * signature needs the krbtgt key, which a service never has; as MIT's own acceptor does, it
 * is not checked (Windows services may have a DC check it, MS-APDS; negring has no DC).
 *
 * What a PAC that fails means: the ticket decrypted with our key, so the KDC issued it, but
 * the PAC in it was not signed for us — copied from another ticket, or altered by whoever
 * could rewrite the authorization data. MIT's GSSAPI acceptor keeps such a ticket and only
 * marks the PAC's attributes as unauthenticated; Windows refuses the ticket: the logon fails.
 * negring follows Windows, with SEC_E_LOGON_DENIED (as for KRB_AP_ERR_MODIFIED; inside,
 * NG_ERR_BAD_PAC, so the server's log can say why):
 * its callers (QuerySecurityContextToken, group SIDs) have no "unauthenticated" flag to
 * look at, so accepting the logon while dropping the PAC would silently give a user without
 * groups; refusing is the safe and Windows-compatible answer. Verification happens once, when
 * the ticket is decrypted by libkrb5 and before it enters the ticket cache: the cached path
 * only ever sees logon info that verified (a ticket's bytes never change). */
#include "pac_verify.h"

#include <errno.h>
#include <stdio.h>

#include "alloc.h"
#include "pac_identity.h"
#include "pac_logon_info.h"

ng_status ng_pac_check_contents(struct ng_slice pac, char *why, size_t why_len)
{
    NG_GUARD(ng_pac_check_requestor(pac, why, why_len));
    struct ng_pac_identity id;
    ng_status status = ng_pac_identity_read(pac, &id);
    ng_pac_identity_free(&id);
    if (status == NG_ERR_INVALID_TOKEN)
        snprintf(why, why_len, "a PAC buffer does not parse");
    return status == NG_ERR_INVALID_TOKEN ? NG_ERR_BAD_PAC : status;
}

ng_status ng_pac_verified(krb5_context kctx, const krb5_enc_tkt_part *ticket,
                          const krb5_keyblock *server_key, uint8_t **out, size_t *len, char *why,
                          size_t why_len)
{
    struct ng_slice bytes;
    *out = NULL;
    *len = 0;
    switch (ng_pac_find(ticket->authorization_data, &bytes)) {
    case NG_PAC_NONE:
        return NG_OK;
    case NG_PAC_SEVERAL: /* whose identity? (pac_logon_info.h) */
        snprintf(why, why_len, "the ticket holds more than one PAC");
        return NG_ERR_BAD_PAC;
    case NG_PAC_ONE:
        break;
    }
    krb5_pac pac = NULL;
    krb5_error_code code = krb5_pac_parse(kctx, bytes.ptr, bytes.len, &pac);
    if (code == 0)
        code = krb5_pac_verify(kctx, pac, ticket->times.authtime, ticket->client, server_key, NULL);
    krb5_pac_free(kctx, pac);
    if (code == ENOMEM)
        return NG_ERR_NOMEM;
    if (code != 0) {
        snprintf(why, why_len, "the PAC's server signature or client info does not verify");
        return NG_ERR_BAD_PAC;
    }
    NG_GUARD(ng_pac_check_contents(bytes, why, why_len));
    *out = ng_memdup(bytes.ptr, bytes.len); /* non-NULL even if empty */
    *len = bytes.len;
    return *out != NULL ? NG_OK : NG_ERR_NOMEM;
}
