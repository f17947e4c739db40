/* Signed session cookie, so a browser does not run a handshake on every request.
 * Value: base64url("1|<expiry unix seconds>|<package>|<user>") "." base64url(HMAC-SHA256(key,
 * that payload text)). The MAC is compared in constant time; expired or altered cookies are
 * ignored (the client is asked to authenticate). The key is read at start and again on SIGHUP:
 * cookies signed with the old key then stop working (their clients log in again). */
#ifndef RINGSERVER_SESSION_COOKIE_H
#define RINGSERVER_SESSION_COOKIE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define RS_COOKIE_KEY_MAX 64

/* Replaced by the main thread (reload) while workers sign and verify with it, so the bytes are
 * read under a sequence lock: a reader copies them and retries if a writer came between. */
struct rs_cookie_key {
    _Atomic unsigned seq; /* odd while being written */
    _Atomic size_t len;   /* 0: cookies disabled */
    _Atomic uint64_t words[RS_COOKIE_KEY_MAX / 8];
};

/* Reads 32..64 bytes from path and makes them the key. 0, or -1 with a message and the key
 * unchanged. One writer at a time (the main thread). */
int rs_cookie_key_load(struct rs_cookie_key *k, const char *path, char *err, size_t errlen);
void rs_cookie_key_wipe(struct rs_cookie_key *k);

/* Appends the cookie value. */
void rs_cookie_make(struct rs_out *o, const struct rs_cookie_key *k, uint64_t expires,
                    const char *package, const char *user);
/* Finds cookie `name` in a Cookie header value and verifies it; true with user/package filled. */
bool rs_cookie_verify(const struct rs_cookie_key *k, const char *name, struct rs_slice header,
                      uint64_t now, char *user, size_t user_len, char *package, size_t pkg_len);

#endif
