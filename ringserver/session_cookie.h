/* Signed session cookie, so a browser does not run a handshake on every request.
 * Value: base64url("1|<expiry unix seconds>|<package>|<user>") "." base64url(HMAC-SHA256(key,
 * that payload text)). The MAC is compared in constant time; expired or altered cookies are
 * ignored (the client is asked to authenticate). The key is read once at start. */
#ifndef RINGSERVER_SESSION_COOKIE_H
#define RINGSERVER_SESSION_COOKIE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct rs_cookie_key {
    uint8_t key[64];
    size_t len; /* 0: cookies disabled */
};

/* Reads 32..64 bytes from path. 0 or -1 with a message. */
int rs_cookie_key_load(struct rs_cookie_key *k, const char *path, char *err, size_t errlen);
void rs_cookie_key_wipe(struct rs_cookie_key *k);

/* Appends the cookie value. */
void rs_cookie_make(struct rs_out *o, const struct rs_cookie_key *k, uint64_t expires,
                    const char *package, const char *user);
/* Finds cookie `name` in a Cookie header value and verifies it; true with user/package filled. */
bool rs_cookie_verify(const struct rs_cookie_key *k, const char *name, struct rs_slice header,
                      uint64_t now, char *user, size_t user_len, char *package, size_t pkg_len);

#endif
