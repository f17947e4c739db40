/* The two protocols a listener speaks, as consumers of a connection's received bytes.
 * Each consume call handles at most one request (or frame): it returns the bytes it used
 * (0: incomplete, wait for more) and leaves an answer in c->out sent with rs_conn_send, or
 * closes the connection. */
#ifndef RINGSERVER_PROTOCOL_H
#define RINGSERVER_PROTOCOL_H

#include <stddef.h>
#include <stdint.h>

#include "server.h"

size_t rs_http_consume(struct rs_conn *c, const uint8_t *data, size_t len);
size_t rs_raw_consume(struct rs_conn *c, const uint8_t *data, size_t len);

/* The answer to a connection refused at accept because max-connections was reached. */
void rs_http_refusal(struct rs_out *o);
void rs_raw_refusal(struct rs_out *o);

/* Metrics and the failure log line for a finished (or abandoned) handshake. */
void rs_handshake_outcome(struct rs_conn *c, const char *scheme, SECURITY_STATUS status,
                          const char *package, const char *user, enum rs_result_label result,
                          const char *reason);

#endif
