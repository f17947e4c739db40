/* RFC 4121 §4.1 the krb5 mechanism's context tokens: GSS framing (either Kerberos OID),
 * a 2-byte TOK_ID, then the Kerberos message. */
#ifndef NEGRING_CORE_KRB5_TOKEN_H
#define NEGRING_CORE_KRB5_TOKEN_H

#include <stdint.h>

#include "slice.h"
#include "status.h"
#include "writer.h"

enum ng_krb5_tok_id {
    NG_KRB5_TOK_AP_REQ = 0x0100,
    NG_KRB5_TOK_AP_REP = 0x0200,
    NG_KRB5_TOK_ERROR = 0x0300,
};

/* The Kerberos message inside `token` (a slice into it) when its TOK_ID is `expected`;
 * NG_ERR_INVALID_TOKEN otherwise (a KRB-ERROR where an AP-REP was due included). */
ng_status ng_krb5_unframe(struct ng_slice token, enum ng_krb5_tok_id expected,
                          struct ng_slice *message);
void ng_krb5_frame(struct ng_writer *out, enum ng_krb5_tok_id tok_id, struct ng_slice message);
/* The frame up to its message, whose message_len octets the caller writes next. */
void ng_krb5_frame_header(struct ng_writer *out, enum ng_krb5_tok_id tok_id, size_t message_len);

#endif
