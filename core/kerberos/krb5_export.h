/* ExportSecurityContext / ImportSecurityContext for Kerberos contexts (mechanism.h
 * export_state, import_state): the session, the PAC and any delegated tickets. */
#ifndef NEGRING_CORE_KRB5_EXPORT_H
#define NEGRING_CORE_KRB5_EXPORT_H

#include "reader.h"
#include "security_context.h"
#include "writer.h"

ng_status ng_krb5_export_state(const struct ng_context *ctx, struct ng_writer *w);
ng_status ng_krb5_import_state(struct ng_context *ctx, struct ng_reader *r);

#endif
