/* Which session cookies no longer log in, beyond their MAC and expiry: sessions an operator
 * revoked (revocation-file, "UNIX-SECONDS USER" lines: that user's cookies issued at or before
 * that second), and NTLM sessions of accounts the account file no longer holds or holds
 * disabled. Read at start and on SIGHUP on the main thread into an immutable snapshot, which
 * workers read without a lock (server.h: the old one is freed once every worker has passed
 * the top of its loop). Kerberos accounts live in the KDC, which ringserver cannot see: a
 * principal disabled there is revoked here with `ringserver --revoke`. */
#ifndef RINGSERVER_REVOCATION_H
#define RINGSERVER_REVOCATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

struct rs_revocation;

/* The revocation file (none configured: no revocations) and the NTLM account file
 * (cfg->user_db, else $NEGRING_USER_DB; none: no NTLM sessions to check). 0, or -1 with a
 * message and *out untouched. */
int rs_revocation_load(const struct rs_config *cfg, struct rs_revocation **out, char *err,
                       size_t errlen);
void rs_revocation_free(struct rs_revocation *r);
/* False when the session of `user`, logged in with `package` ("Kerberos", "NTLM") and issued
 * at `issued`, is revoked. NULL: none is. Names compare without case. */
bool rs_revocation_allows(const struct rs_revocation *r, const char *package, const char *user,
                          uint64_t issued);
/* A revocation from elsewhere (the farm's, shared_revocations.h) added to a snapshot that is not
 * published yet; rs_revocation_seal once after the last. 0, or -1 (no memory). */
int rs_revocation_add(struct rs_revocation *r, const char *user, size_t user_len, uint64_t before);
void rs_revocation_seal(struct rs_revocation *r);
/* Appends "<now> <user>" to the revocation file. 0, or -1 with a message. */
int rs_revocation_append(const char *path, const char *user, uint64_t now, char *err,
                         size_t errlen);

#endif
