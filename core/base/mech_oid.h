/* The mechanism OIDs Negotiate knows, as DER contents octets (no tag, no length), and the enum
 * the rest of negring uses instead of comparing bytes. All functions are thread-safe; returned
 * slices point at static storage. */
#ifndef NEGRING_CORE_MECH_OID_H
#define NEGRING_CORE_MECH_OID_H

#include "slice.h"

enum ng_mech {
    NG_MECH_NONE = 0,
    NG_MECH_KRB5,    /* 1.2.840.113554.1.2.2 (RFC 4121) */
    NG_MECH_KRB5_MS, /* 1.2.840.48018.1.2.2, the legacy OID Windows 2000 clients announce */
    NG_MECH_NTLM,    /* 1.3.6.1.4.1.311.2.2.10 (MS-NLMP) */
    NG_MECH_NEGOEX,  /* 1.3.6.1.4.1.311.2.2.30 (MS-NEGOEX) */
    NG_MECH_UNKNOWN, /* any other well-formed OID */
};

/* NG_MECH_UNKNOWN for an OID that is none of the above (including an empty one). */
enum ng_mech ng_mech_from_oid(struct ng_slice oid);
/* The contents octets of `mech`; NG_SLICE_EMPTY for NONE and UNKNOWN. */
struct ng_slice ng_mech_oid(enum ng_mech mech);
/* SPNEGO itself, 1.3.6.1.5.5.2 (RFC 4178 §3). */
struct ng_slice ng_spnego_oid(void);

#endif
