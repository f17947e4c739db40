/* The record of a finished (or abandoned) handshake: its metrics and, for a failure (or any
 * outcome with log-success), one structured log line with the reason. */
#ifndef RINGSERVER_AUDIT_H
#define RINGSERVER_AUDIT_H

#include <negring/sspi.h>

#include "metrics.h"
#include "server.h"

void rs_handshake_outcome(struct rs_conn *c, const char *scheme, SECURITY_STATUS status,
                          const char *package, const char *user, enum rs_result_label result,
                          const char *reason);

#endif
