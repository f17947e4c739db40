/* Building HTTP/1.1 answers: status line, the headers every answer carries, the RFC 4559
 * challenge, the authenticated identity (headers and JSON), and the body. */
#ifndef RINGSERVER_HTTP_ANSWER_H
#define RINGSERVER_HTTP_ANSWER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "server.h"

struct rs_identity {
    const char *user;    /* as the library names it: alice@REALM or DOMAIN\user */
    const char *package; /* Kerberos, NTLM */
    const char *source;  /* handshake, cache, cookie, connection */
    /* sid-headers: the PAC's SIDs, NULL (or "") when not reported. */
    const char *user_sid, *primary_group_sid;
    const char *group_sids; /* "S-1-..,S-1-..": the JSON body only, never a header */
};

void rs_http_begin(struct rs_out *o, int status);
/* WWW-Authenticate lines offering the listener's schemes (RFC 4559 §4.1). */
void rs_http_challenge(struct rs_out *o, const struct rs_conn *c);
/* WWW-Authenticate: <scheme> <base64 token> (RFC 4559 §5, continuation or mutual auth). */
void rs_http_token(struct rs_out *o, const char *scheme, const uint8_t *tok, size_t len);
/* X-Remote-User / X-Remote-Realm / X-Auth-Mechanism headers and the JSON body; false if the
 * name cannot be put in a header safely (then nothing is written). */
bool rs_http_identity(struct rs_out *o, struct rs_out *body, const struct rs_identity *id);
/* Connection, Content-Type, Content-Length, blank line, body (omitted for HEAD). */
void rs_http_end(struct rs_out *o, bool keep_alive, bool head, const char *content_type,
                 const void *body, size_t body_len);

#endif
