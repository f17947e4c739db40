/* EnumerateSecurityPackages, QuerySecurityPackageInfo and FreeContextBuffer. */
#include "package_api.h"

#include <malloc.h>
#include <string.h>

#include "alloc.h"
#include "sspi_status.h"

/* Longest package name we could match; longer (or non-ASCII) W names are simply unknown. */
#define NAME_MAX_ASCII 32

static size_t strings_size(const struct ng_package *const *pkgs, size_t count, size_t unit)
{
    size_t chars = 0;
    for (size_t i = 0; i < count; i++)
        chars += strlen(pkgs[i]->name) + 1 + strlen(pkgs[i]->comment) + 1;
    return chars * unit;
}

ng_status ng_package_info_a(const struct ng_package *const *pkgs, size_t count, SecPkgInfoA **out)
{
    size_t head = count * sizeof(SecPkgInfoA);
    SecPkgInfoA *info = ng_alloc(head + strings_size(pkgs, count, sizeof(char)));

    *out = NULL;
    if (info == NULL)
        return NG_ERR_NOMEM;
    char *next = (char *)info + head;
    for (size_t i = 0; i < count; i++) {
        info[i] = (SecPkgInfoA){pkgs[i]->capabilities,
                                pkgs[i]->version,
                                pkgs[i]->rpcid,
                                pkgs[i]->max_token,
                                NULL,
                                NULL};
        size_t n = strlen(pkgs[i]->name) + 1;
        info[i].Name = memcpy(next, pkgs[i]->name, n);
        next += n;
        n = strlen(pkgs[i]->comment) + 1;
        info[i].Comment = memcpy(next, pkgs[i]->comment, n);
        next += n;
    }
    *out = info;
    return NG_OK;
}

/* The table's strings are ASCII (packages.c), so widening is the whole UTF-16 conversion. */
static SEC_WCHAR *widen(SEC_WCHAR *dst, const char *src)
{
    size_t i = 0;
    do {
        dst[i] = (unsigned char)src[i];
    } while (src[i++] != '\0');
    return dst + i;
}

ng_status ng_package_info_w(const struct ng_package *const *pkgs, size_t count, SecPkgInfoW **out)
{
    size_t head = count * sizeof(SecPkgInfoW); /* a multiple of 8: the strings stay aligned */
    SecPkgInfoW *info = ng_alloc(head + strings_size(pkgs, count, sizeof(SEC_WCHAR)));

    *out = NULL;
    if (info == NULL)
        return NG_ERR_NOMEM;
    SEC_WCHAR *next = (SEC_WCHAR *)((char *)info + head);
    for (size_t i = 0; i < count; i++) {
        info[i] = (SecPkgInfoW){pkgs[i]->capabilities,
                                pkgs[i]->version,
                                pkgs[i]->rpcid,
                                pkgs[i]->max_token,
                                NULL,
                                NULL};
        info[i].Name = next;
        next = widen(next, pkgs[i]->name);
        info[i].Comment = next;
        next = widen(next, pkgs[i]->comment);
    }
    *out = info;
    return NG_OK;
}

static size_t available_packages(const struct ng_package *pkgs[NG_PKG_COUNT])
{
    size_t count = 0;
    for (int id = 0; id < NG_PKG_COUNT; id++) {
        const struct ng_package *pkg = ng_package_get((enum ng_package_id)id);
        if (pkg != NULL && pkg->available)
            pkgs[count++] = pkg;
    }
    return count;
}

SECURITY_STATUS SEC_ENTRY EnumerateSecurityPackagesA(PULONG pcPackages, PSecPkgInfoA *ppPackageInfo)
{
    const struct ng_package *pkgs[NG_PKG_COUNT];

    if (pcPackages == NULL || ppPackageInfo == NULL)
        return SEC_E_INVALID_PARAMETER;
    *pcPackages = 0;
    size_t count = available_packages(pkgs);
    ng_status status = ng_package_info_a(pkgs, count, ppPackageInfo);
    if (status == NG_OK)
        *pcPackages = (ULONG)count;
    return ng_sec_status(status);
}

SECURITY_STATUS SEC_ENTRY EnumerateSecurityPackagesW(PULONG pcPackages, PSecPkgInfoW *ppPackageInfo)
{
    const struct ng_package *pkgs[NG_PKG_COUNT];

    if (pcPackages == NULL || ppPackageInfo == NULL)
        return SEC_E_INVALID_PARAMETER;
    *pcPackages = 0;
    size_t count = available_packages(pkgs);
    ng_status status = ng_package_info_w(pkgs, count, ppPackageInfo);
    if (status == NG_OK)
        *pcPackages = (ULONG)count;
    return ng_sec_status(status);
}

SECURITY_STATUS SEC_ENTRY QuerySecurityPackageInfoA(LPSTR pszPackageName,
                                                    PSecPkgInfoA *ppPackageInfo)
{
    if (ppPackageInfo == NULL)
        return SEC_E_INVALID_PARAMETER;
    *ppPackageInfo = NULL;
    if (pszPackageName == NULL)
        return SEC_E_INVALID_PARAMETER;
    const struct ng_package *pkg = ng_package_find(pszPackageName);
    if (pkg == NULL)
        return SEC_E_SECPKG_NOT_FOUND;
    return ng_sec_status(ng_package_info_a(&pkg, 1, ppPackageInfo));
}

/* Narrows a W package name without allocating; false when it cannot name any package. */
static int narrow_name(const SEC_WCHAR *name, char out[NAME_MAX_ASCII + 1])
{
    size_t i = 0;
    for (; name[i] != 0; i++) {
        if (i == NAME_MAX_ASCII || name[i] > 0x7F)
            return 0;
        out[i] = (char)name[i];
    }
    out[i] = '\0';
    return 1;
}

SECURITY_STATUS SEC_ENTRY QuerySecurityPackageInfoW(LPWSTR pszPackageName,
                                                    PSecPkgInfoW *ppPackageInfo)
{
    char name[NAME_MAX_ASCII + 1];

    if (ppPackageInfo == NULL)
        return SEC_E_INVALID_PARAMETER;
    *ppPackageInfo = NULL;
    if (pszPackageName == NULL)
        return SEC_E_INVALID_PARAMETER;
    const struct ng_package *pkg = narrow_name(pszPackageName, name) ? ng_package_find(name) : NULL;
    if (pkg == NULL)
        return SEC_E_SECPKG_NOT_FOUND;
    return ng_sec_status(ng_package_info_w(&pkg, 1, ppPackageInfo));
}

/* Every buffer negring hands out is one ng_alloc block. Some carry secrets (SESSION_KEY) and
 * the caller gives us no size, so every block is wiped over its usable size before the free. */
SECURITY_STATUS SEC_ENTRY FreeContextBuffer(PVOID pvContextBuffer)
{
    if (pvContextBuffer == NULL)
        return SEC_E_OK;
    explicit_bzero(pvContextBuffer, malloc_usable_size(pvContextBuffer));
    ng_free(pvContextBuffer);
    return SEC_E_OK;
}
