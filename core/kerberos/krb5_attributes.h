/* What an established Kerberos context answers about itself (mechanism.h attributes and access
 * token). Thread-safe: the context is held shared by the caller. */
#ifndef NEGRING_CORE_KRB5_ATTRIBUTES_H
#define NEGRING_CORE_KRB5_ATTRIBUTES_H

#include "security_context.h"

ng_status ng_krb5_sizes(const struct ng_context *ctx, SecPkgContext_Sizes *out);
ng_status ng_krb5_session_key_attr(const struct ng_context *ctx, struct ng_slice *key);
ng_status ng_krb5_key_info(const struct ng_context *ctx, struct ng_key_info *out);
ng_status ng_krb5_authority(const struct ng_context *ctx, struct ng_slice *out);
const char *ng_krb5_delegated_ccache(const struct ng_context *ctx);
/* The local account by krb5.conf's auth_to_local rules; the PAC's group SIDs. */
ng_status ng_krb5_fill_access_token(const struct ng_context *ctx, struct ng_access_token *t);

#endif
