#include "token_pool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gss_peer.h"
#include "realm.h"

static struct ng_test_realm realm;
static int realm_state; /* 0 not tried, 1 running, -1 failed */
static struct bench_token *tokens;
static size_t ntokens, cap;

struct ng_test_realm *bench_realm(void)
{
    if (realm_state == 0)
        realm_state = ng_test_realm_start(&realm) == 0 ? 1 : -1;
    return realm_state == 1 ? &realm : NULL;
}

/* One initial token: the flags curl and browsers ask for (mutual authentication, so the
 * acceptor builds an AP-REP). */
static int make_token(struct bench_token *out)
{
    struct ng_gss_initiator c;
    OM_uint32 flags = GSS_C_MUTUAL_FLAG | GSS_C_REPLAY_FLAG | GSS_C_SEQUENCE_FLAG |
                      GSS_C_CONF_FLAG | GSS_C_INTEG_FLAG;
    if (ng_gss_initiator_init(&c, "HTTP@localhost", gss_mech_spnego, flags, NULL) != 0)
        return -1;
    gss_buffer_desc tok = GSS_C_EMPTY_BUFFER;
    OM_uint32 major = ng_gss_initiator_step(&c, NULL, 0, &tok);
    int rc = -1;
    if (major == GSS_S_CONTINUE_NEEDED && tok.length > 0) {
        out->data = malloc(tok.length);
        if (out->data != NULL) {
            memcpy(out->data, tok.value, tok.length);
            out->len = tok.length;
            rc = 0;
        }
    } else {
        ng_gss_initiator_report(&c, "gss_init_sec_context");
    }
    OM_uint32 minor;
    gss_release_buffer(&minor, &tok);
    ng_gss_initiator_free(&c);
    return rc;
}

int bench_pool_ensure(size_t n)
{
    if (bench_realm() == NULL)
        return -1;
    if (n > cap) {
        struct bench_token *grown = realloc(tokens, n * sizeof(*grown));
        if (grown == NULL)
            return -1;
        tokens = grown;
        cap = n;
    }
    while (ntokens < n) {
        if (make_token(&tokens[ntokens]) != 0)
            return -1;
        ntokens++;
    }
    return 0;
}

const struct bench_token *bench_pool_token(size_t i)
{
    return &tokens[i];
}
