/* The mechanisms negring has, in Negotiate's order of preference (Kerberos, then NTLM, as
 * Windows), and the OIDs that name them. The one place that knows which mechanisms exist:
 * everything above finds a mechanism here and calls it through its table (mechanism.h).
 * Thread-safe; everything returned is static. */
#ifndef NEGRING_CORE_MECHANISMS_H
#define NEGRING_CORE_MECHANISMS_H

#include <stddef.h>

#include "mech_oid.h"
#include "mechanism.h"
#include "packages.h"

/* The mechanisms, best first (i < ng_mechanism_count()). */
size_t ng_mechanism_count(void);
const struct ng_mech_ops *ng_mechanism_at(size_t i);

/* The OIDs, in the order a NegTokenInit2 offers them (i < ng_mechanism_oid_count()). */
size_t ng_mechanism_oid_count(void);
enum ng_mech ng_mechanism_oid_at(size_t i);

/* The mechanism an OID (or an SSPI package) stands for; NULL when negring has none. */
const struct ng_mech_ops *ng_mechanism_for_oid(enum ng_mech oid);
const struct ng_mech_ops *ng_mechanism_for_package(enum ng_package_id package);

#endif
