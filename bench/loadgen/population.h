/* A population of Kerberos users (--users N), so that the server sees many clients and, at a set
 * share (--first-use), tickets it has never seen, as in a morning's logon storm.
 *
 * Each user signs in with its password through libnegring (AcquireCredentialsHandle with a
 * SEC_WINNT_AUTH_IDENTITY: an AS exchange, krb5_get_init_creds_password, into a MEMORY ccache
 * of those credentials alone); its first InitializeSecurityContext gets its service ticket (a
 * TGS exchange, krb5_get_credentials, kept in that ccache). That token, one per user, is the
 * warm-up: the server is shown each user's ticket once before the timed phase.
 *
 * Then the pool (population_plan.h says which token is which): a repeat token is the user's
 * next InitializeSecurityContext (the same ticket, a new authenticator); a first-use token is
 * made with credentials of its own for that user, signed in afresh: libnegring takes no ticket
 * from outside, so a new service ticket (a new TGS-REQ: new ticket bytes, a new session key)
 * costs a new AS exchange as well. Those credentials are released once the token is made (a
 * context kept for --verify holds its own reference). Every KDC exchange is done before the
 * timed phase, from --pool-threads threads. */
#ifndef NEGRING_LOADGEN_POPULATION_H
#define NEGRING_LOADGEN_POPULATION_H

#include <negring/sspi.h>
#include <stdbool.h>
#include <stdint.h>

#include "options.h"
#include "tokens.h"

struct lg_user {
    CredHandle cred;
    bool signed_in;
};

struct lg_population {
    const struct lg_options *o;
    const struct lg_auth *auth; /* the service, the flags, the encoding */
    struct lg_user *users;      /* users[u - 1] is user u */
    uint32_t count;
    uint32_t first_use_ppm;
    double sign_in_s;    /* signing every user in and making the warm-up tokens */
    double pool_s;       /* making the pool */
    uint64_t first_uses; /* first-use tokens in the pool */
};

/* Signs in o->users users and makes the warm-up pool: token u - 1 is user u's first. False,
 * with a message, when a user cannot sign in or get a ticket. */
bool lg_population_sign_in(struct lg_population *pop, const struct lg_options *o,
                           const struct lg_auth *a, struct lg_pool *warm);
/* Makes the timed phase's pool of `size` tokens (first uses and repeats); false with a message. */
bool lg_population_make_pool(struct lg_population *pop, struct lg_pool *pool, uint64_t size);
void lg_population_free(struct lg_population *pop);

#endif
