/* What an embedding tells its client, or its log, about a failed AcceptSecurityContext: the
 * reason in words and the kind of failure, one table for the nginx module and the Squid
 * helper (the same words as ringserver's log). */
#ifndef NEGRING_EMBED_SEC_STATUS_TEXT_H
#define NEGRING_EMBED_SEC_STATUS_TEXT_H

#include <negring/sspi.h>

enum ne_failure {
    NE_REFUSED,      /* the credentials were refused: ask again (HTTP 401, helper NA) */
    NE_MALFORMED,    /* the client's token is not a token (HTTP 400, helper NA) */
    NE_OVERLOADED,   /* out of memory or a bounded table is full (HTTP 503, helper BH) */
    NE_SERVER_ERROR, /* our own configuration or a bug (HTTP 500, helper BH) */
};

/* "logon denied", "malformed token", ...; never NULL. */
const char *ne_status_reason(SECURITY_STATUS s);
enum ne_failure ne_status_failure(SECURITY_STATUS s);

#endif
