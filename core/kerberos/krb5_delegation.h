/* ASC_REQ_DELEGATE: the KRB-CRED a client forwarded in its 0x8003 checksum (RFC 4121
 * §4.1.1.1), decrypted and kept in a MEMORY ccache the server can use to act as the client
 * (e.g. InitializeSecurityContext to a back end). Without the flag nothing is kept. */
#ifndef NEGRING_CORE_KRB5_DELEGATION_H
#define NEGRING_CORE_KRB5_DELEGATION_H

#include <krb5/krb5.h>

#include "reader.h"
#include "slice.h"
#include "status.h"
#include "writer.h"

/* `ac` is the auth context right after krb5_rd_req. On NG_OK *ccache_name ("MEMORY:...",
 * ng_alloc'd) names a ccache holding the forwarded tickets; the caller destroys it with
 * ng_krb5_delegation_destroy. */
ng_status ng_krb5_store_delegation(krb5_context kctx, krb5_auth_context ac,
                                   struct ng_slice krb_cred, char **ccache_name);
void ng_krb5_delegation_destroy(const char *ccache_name);

/* ExportSecurityContext: the tickets of the ccache (NULL: none) as a count and one
 * krb5_marshal_credentials record each; secret (session keys). ImportSecurityContext: the
 * same into a new MEMORY ccache (*ccache_name NULL when there were none). */
ng_status ng_krb5_delegation_export(const char *ccache_name, struct ng_writer *w);
ng_status ng_krb5_delegation_import(struct ng_reader *r, char **ccache_name);

#endif
