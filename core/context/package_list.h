/* Negotiate's per-credential package list, as Windows' SEC_WINNT_AUTH_IDENTITY_EX PackageList
 * ("Kerberos", "NTLM", "!NTLM", comma-separated): which mechanisms a Negotiate credential may
 * offer and accept (inbound) or use (outbound). Thread-safe; no allocation. */
#ifndef NEGRING_CORE_PACKAGE_LIST_H
#define NEGRING_CORE_PACKAGE_LIST_H

#include "packages.h"
#include "slice.h"
#include "status.h"

/* A set of the packages Negotiate may use: one bit per package id. */
static inline unsigned ng_mechset_of(enum ng_package_id package)
{
    return 1u << package;
}

enum {
    NG_MECHSET_ALL = ((1u << NG_PKG_COUNT) - 1) & ~(1u << NG_PKG_NEGOTIATE),
    NG_PACKAGE_LIST_MAX = 1024, /* bytes */
};

/* Parses `list` (UTF-8, not NUL-terminated) into a set of packages (ng_mechset_of). Names compare
 * without regard to ASCII case and may have blanks around them; "!" excludes a name; if any name is
 * not excluded, only the names listed count. Unknown names are ignored (Windows knows
 * packages negring does not have). An empty list: NG_MECHSET_ALL. NG_ERR_NO_CREDENTIALS when
 * nothing is left; NG_ERR_INVALID_PARAM when longer than NG_PACKAGE_LIST_MAX. */
ng_status ng_package_list_parse(struct ng_slice list, unsigned *mechs);

#endif
