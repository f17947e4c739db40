/* The HTTP status that answers a failed handshake (RFC 4559, RFC 9110 §15): whose fault it was
 * decides the class, so a client or a front-end (nginx auth_request) can tell "try other
 * credentials" from "try again later" from "the server is broken". */
#ifndef RINGSERVER_HTTP_STATUS_H
#define RINGSERVER_HTTP_STATUS_H

#include <negring/sspi.h>

#include "config.h"
#include "metrics.h"

/* 400: a malformed token on a plain HTTP listener (auth_request answers 401 instead, as nginx
 * passes only 401/403 on); 503: the server ran out of memory or room, a retry may succeed;
 * 500: the server's own error (package, keys, an answer too large for its limits);
 * 401 with a fresh challenge: every other refusal. */
int rs_http_failure_status(SECURITY_STATUS s, enum rs_mode mode);

/* The same split for the handshake metrics and audit log, on every listener kind: a server-side
 * failure (out of memory included) is an error, never a denial of the client's credentials. */
enum rs_result_label rs_result_of(SECURITY_STATUS s);

#endif
