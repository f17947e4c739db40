/* The security packages negring offers and their SecPkgInfo values (as Windows reports them). */
#ifndef NEGRING_CORE_PACKAGES_H
#define NEGRING_CORE_PACKAGES_H

#include <negring/sspi.h>

enum ng_package_id { NG_PKG_NEGOTIATE = 0, NG_PKG_KERBEROS, NG_PKG_NTLM, NG_PKG_COUNT };

struct ng_package {
    enum ng_package_id id;
    const char *name;    /* "Negotiate", "Kerberos", "NTLM" */
    const char *comment; /* Windows' comment string */
    ULONG capabilities;  /* SECPKG_FLAG_* */
    USHORT version;
    USHORT rpcid;
    ULONG max_token;
    int available; /* offered by EnumerateSecurityPackages */
};

/* NULL when the name is unknown or the package unavailable; case-insensitive like Windows. */
const struct ng_package *ng_package_find(const char *name);
const struct ng_package *ng_package_get(enum ng_package_id id);

#endif
