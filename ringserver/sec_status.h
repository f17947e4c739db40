/* What a SECURITY_STATUS from the library means to ringserver, from one table: the reason text
 * (logs, raw 'E' frames, JSON errors), the HTTP status answering a failed handshake, and the
 * handshake metrics' result label. Whose fault a failure was decides its class (RFC 4559, RFC
 * 9110 §15), so a client or a front-end (nginx auth_request) can tell "try other credentials"
 * from "try again later" from "the server is broken". Thread-safe (constant data). */
#ifndef RINGSERVER_SEC_STATUS_H
#define RINGSERVER_SEC_STATUS_H

#include <negring/sspi.h>

#include "config.h"
#include "metrics.h"

/* Short reason for a status, for logs and answers ("refused" for one the table lacks). */
const char *rs_status_reason(SECURITY_STATUS s);

/* The HTTP status of a failed handshake. 400: a malformed token on a plain HTTP listener
 * (auth_request answers 401 instead, as nginx passes only 401/403 on); 503: the server ran out
 * of memory or room, a retry may succeed; 500: the server's own error (package, keys, an answer
 * too large for its limits); 401 with a fresh challenge: every other refusal. */
int rs_status_http(SECURITY_STATUS s, enum rs_mode mode);

/* The same split for the handshake metrics and audit log, on every listener kind: a server-side
 * failure (out of memory included) is an error, never a denial of the client's credentials. */
enum rs_result_label rs_status_result(SECURITY_STATUS s);

#endif
