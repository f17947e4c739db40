/* A secret read from a file and replaced on SIGHUP while workers use it: the session cookie's
 * HMAC key and the front-end's shared secret. The main thread is the one writer; workers read
 * the bytes under a sequence lock (copy, and retry if a writer came between), so a reload needs
 * no pause. */
#ifndef RINGSERVER_SECRET_H
#define RINGSERVER_SECRET_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define RS_SECRET_MAX 64

struct rs_secret {
    _Atomic unsigned seq; /* odd while being written */
    _Atomic size_t len;   /* 0: none */
    _Atomic uint64_t words[RS_SECRET_MAX / 8];
};

enum rs_secret_kind {
    RS_SECRET_BYTES, /* any bytes: an HMAC key */
    RS_SECRET_TEXT,  /* printable ASCII without blanks, a final newline dropped: a header value */
};

/* Reads at least `min` (and up to RS_SECRET_MAX) bytes from path and makes them the secret. 0, or
 * -1 with a message and the secret unchanged. */
int rs_secret_load(struct rs_secret *s, const char *path, size_t min, enum rs_secret_kind kind,
                   char *err, size_t errlen);
void rs_secret_wipe(struct rs_secret *s);
/* The secret as of one moment into words; its length (0: none). */
size_t rs_secret_snapshot(const struct rs_secret *s, uint64_t words[RS_SECRET_MAX / 8]);
/* In constant time for a value of the secret's length: the value is the secret (never with
 * none set). */
bool rs_secret_equals(const struct rs_secret *s, struct rs_slice value);

#endif
