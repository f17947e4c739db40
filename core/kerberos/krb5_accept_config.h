/* What krb5_rd_req takes from the thread's krb5_context (the permitted enctypes and libdefaults
 * clockskew), read once per krb5_context, so that the accept paths doing without krb5_rd_req
 * (krb5_cached_accept.h, krb5_first_use.h) apply exactly the configuration it would on this
 * thread. Per thread: no lock, no sharing. */
#ifndef NEGRING_CORE_KRB5_ACCEPT_CONFIG_H
#define NEGRING_CORE_KRB5_ACCEPT_CONFIG_H

#include <krb5/krb5.h>
#include <stdbool.h>
#include <stdint.h>

#define NG_KRB5_MAX_PERMITTED 32

struct ng_krb5_accept_config {
    krb5_context kctx; /* the context these were read from */
    int64_t skew;
    size_t npermitted;
    krb5_enctype permitted[NG_KRB5_MAX_PERMITTED]; /* in libkrb5's order of preference */
};

/* NULL when the configuration cannot be read or lists more enctypes than kept: the callers then
 * leave the accept to krb5_rd_req. */
const struct ng_krb5_accept_config *ng_krb5_accept_config(krb5_context kctx);

bool ng_krb5_accept_config_permits(const struct ng_krb5_accept_config *c, int32_t etype);

#endif
