#include "mech_oid.h"

static const uint8_t oid_spnego[] = {0x2b, 0x06, 0x01, 0x05, 0x05, 0x02};
static const uint8_t oid_krb5[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02};
static const uint8_t oid_krb5_ms[] = {0x2a, 0x86, 0x48, 0x82, 0xf7, 0x12, 0x01, 0x02, 0x02};
static const uint8_t oid_ntlm[] = {0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x0a};
static const uint8_t oid_negoex[] = {0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x1e};

static const enum ng_mech known[] = {NG_MECH_KRB5, NG_MECH_KRB5_MS, NG_MECH_NTLM, NG_MECH_NEGOEX};

struct ng_slice ng_mech_oid(enum ng_mech mech)
{
    switch (mech) {
    case NG_MECH_KRB5:
        return ng_slice_of(oid_krb5, sizeof(oid_krb5));
    case NG_MECH_KRB5_MS:
        return ng_slice_of(oid_krb5_ms, sizeof(oid_krb5_ms));
    case NG_MECH_NTLM:
        return ng_slice_of(oid_ntlm, sizeof(oid_ntlm));
    case NG_MECH_NEGOEX:
        return ng_slice_of(oid_negoex, sizeof(oid_negoex));
    case NG_MECH_NONE:
    case NG_MECH_UNKNOWN:
        break;
    }
    return NG_SLICE_EMPTY;
}

enum ng_mech ng_mech_from_oid(struct ng_slice oid)
{
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
        if (ng_slice_eq(oid, ng_mech_oid(known[i])))
            return known[i];
    }
    return NG_MECH_UNKNOWN;
}

struct ng_slice ng_spnego_oid(void)
{
    return ng_slice_of(oid_spnego, sizeof(oid_spnego));
}
