/* A blocking conversation with the shared store, for the threads that may block: the main
 * thread polling the farm's revocations (revocation_poll.c) and `ringserver --revoke`. Every
 * wait is bounded by shared-store-timeout (connect, send, each reply); replies go through the
 * same bounded RESP2 codec as the workers' client (resp.h). Never used on a ring thread: the
 * workers' path is redis_client.h. */
#ifndef RINGSERVER_STORE_SYNC_H
#define RINGSERVER_STORE_SYNC_H

#include <stddef.h>

#include "buf.h"
#include "config.h"
#include "resp.h"
#include "secret.h"

struct rs_store_sync {
    int fd;
    unsigned timeout_ms;
    uint8_t *in; /* the last reply's bytes: its values' slices point here */
    size_t in_len, in_cap;
};

/* Connects (and AUTHs with `password`, when it holds one). 0, or -1 with a message. */
int rs_store_sync_open(struct rs_store_sync *s, const struct rs_config *cfg,
                       const struct rs_secret *password, char *err, size_t errlen);
/* Sends one command and reads its reply into *reply (valid until the next call or close). An
 * error reply is a failure. 0, or -1 with a message (the connection is then unusable). */
int rs_store_sync_call(struct rs_store_sync *s, unsigned argc, const struct rs_slice *argv,
                       struct rs_resp_value *reply, char *err, size_t errlen);
void rs_store_sync_close(struct rs_store_sync *s);

#endif
