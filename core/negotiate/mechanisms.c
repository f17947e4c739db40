#include "mechanisms.h"

#include "krb5_mech.h"
#include "ntlm_mech.h"

/* Adding a mechanism: its table here, its OIDs below (docs/architecture.md). */
static const struct ng_mech_ops *const mechanisms[] = {&ng_krb5_mech, &ng_ntlm_mech};

/* Windows offers the legacy Kerberos OID first: Windows 2000 clients know only that one. */
static const struct {
    enum ng_mech oid;
    const struct ng_mech_ops *ops;
} oids[] = {
    {NG_MECH_KRB5_MS, &ng_krb5_mech},
    {NG_MECH_KRB5, &ng_krb5_mech},
    {NG_MECH_NTLM, &ng_ntlm_mech},
};

enum {
    MECHANISM_COUNT = sizeof mechanisms / sizeof mechanisms[0],
    OID_COUNT = sizeof oids / sizeof oids[0],
};

size_t ng_mechanism_count(void)
{
    return MECHANISM_COUNT;
}

const struct ng_mech_ops *ng_mechanism_at(size_t i)
{
    return i < MECHANISM_COUNT ? mechanisms[i] : NULL;
}

size_t ng_mechanism_oid_count(void)
{
    return OID_COUNT;
}

enum ng_mech ng_mechanism_oid_at(size_t i)
{
    return i < OID_COUNT ? oids[i].oid : NG_MECH_NONE;
}

const struct ng_mech_ops *ng_mechanism_for_oid(enum ng_mech oid)
{
    for (size_t i = 0; i < OID_COUNT; i++) {
        if (oids[i].oid == oid)
            return oids[i].ops;
    }
    return NULL;
}

const struct ng_mech_ops *ng_mechanism_for_package(enum ng_package_id package)
{
    for (size_t i = 0; i < MECHANISM_COUNT; i++) {
        if (mechanisms[i]->package == package)
            return mechanisms[i];
    }
    return NULL;
}
