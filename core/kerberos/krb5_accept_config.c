#include "krb5_accept_config.h"

#include <profile.h>
#include <string.h>

#include "security_context.h"

static _Thread_local struct ng_krb5_accept_config config;

static int64_t library_skew(krb5_context kctx)
{
    profile_t profile = NULL;
    int skew = NG_DEFAULT_CLOCK_SKEW;
    if (krb5_get_profile(kctx, &profile) == 0) {
        (void)profile_get_integer(profile, "libdefaults", "clockskew", NULL, skew, &skew);
        profile_release(profile);
    }
    return skew;
}

const struct ng_krb5_accept_config *ng_krb5_accept_config(krb5_context kctx)
{
    if (config.kctx == kctx)
        return &config;
    krb5_enctype *etypes = NULL;
    size_t n = 0;
    if (krb5_get_permitted_enctypes(kctx, &etypes) != 0)
        return NULL;
    while (etypes[n] != ENCTYPE_NULL)
        n++;
    if (n <= NG_KRB5_MAX_PERMITTED) {
        memcpy(config.permitted, etypes, n * sizeof(*etypes));
        config.npermitted = n;
        config.skew = library_skew(kctx);
        config.kctx = kctx;
    }
    krb5_free_enctypes(kctx, etypes);
    return config.kctx == kctx ? &config : NULL;
}

bool ng_krb5_accept_config_permits(const struct ng_krb5_accept_config *c, int32_t etype)
{
    for (size_t i = 0; i < c->npermitted; i++)
        if (c->permitted[i] == etype)
            return true;
    return false;
}
