/* Negotiate's per-credential package list, as Windows' SEC_WINNT_AUTH_IDENTITY_EX PackageList
 * ("Kerberos", "NTLM", "!NTLM", comma-separated): which mechanisms a Negotiate credential may
 * offer and accept (inbound) or use (outbound). Thread-safe; no allocation. */
#ifndef NEGRING_CORE_PACKAGE_LIST_H
#define NEGRING_CORE_PACKAGE_LIST_H

#include "slice.h"
#include "status.h"

enum {
    NG_MECHSET_KERBEROS = 0x1,
    NG_MECHSET_NTLM = 0x2,
    NG_MECHSET_ALL = NG_MECHSET_KERBEROS | NG_MECHSET_NTLM,
    NG_PACKAGE_LIST_MAX = 1024, /* bytes */
};

/* Parses `list` (UTF-8, not NUL-terminated) into NG_MECHSET_* bits. Names compare without
 * regard to ASCII case and may have blanks around them; "!" excludes a name; if any name is
 * not excluded, only the names listed count. Unknown names are ignored (Windows knows
 * packages negring does not have). An empty list: NG_MECHSET_ALL. NG_ERR_NO_CREDENTIALS when
 * nothing is left; NG_ERR_INVALID_PARAM when longer than NG_PACKAGE_LIST_MAX. */
ng_status ng_package_list_parse(struct ng_slice list, unsigned *mechs);

#endif
