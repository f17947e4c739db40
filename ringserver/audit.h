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

/* The outcome of a finished leg: the mechanism, user and reason libnegring reported for a
 * failure (counted in negring_auth_failures_total{mech,reason}, logged with reason= the
 * library's reason and detail= its sentence). */
void rs_leg_outcome(struct rs_conn *c, const char *scheme, const struct rs_leg *leg);

#endif
