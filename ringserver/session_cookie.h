/* Signed session cookie, so a browser does not run a handshake on every request.
 * Value: base64url("2|<issued>|<expires>|<scope>|<package>|<user>") "." base64url(
 * HMAC-SHA256(key, that payload text)), times in Unix seconds. The MAC is compared in constant
 * time; altered cookies, and cookies of the old format, are refused. The scope names the
 * listener that issued it (its mechanisms and service): browsers send a host's cookies to every
 * port, so the caller refuses a cookie of another scope; `issued` lets it refuse cookies issued
 * before a revocation. The key (secret.h) is read at start and again on SIGHUP: cookies signed
 * with the old key then stop working (their clients log in again). */
#ifndef RINGSERVER_SESSION_COOKIE_H
#define RINGSERVER_SESSION_COOKIE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "secret.h"

#define RS_COOKIE_KEY_MIN 32

struct rs_cookie_claims {
    uint64_t issued, expires;
    char scope[200];  /* no '|' */
    char package[32]; /* no '|' */
    char user[256];
};

/* Appends the cookie value; o->failed when the claims do not fit. */
void rs_cookie_make(struct rs_out *o, const struct rs_secret *key,
                    const struct rs_cookie_claims *c);
/* Finds cookie `name` in a Cookie header value and verifies its MAC and that it has not expired
 * at `now`; true with the claims filled. */
bool rs_cookie_verify(const struct rs_secret *key, const char *name, struct rs_slice header,
                      uint64_t now, struct rs_cookie_claims *out);

#endif
