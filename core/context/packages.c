#include "packages.h"

#include <stddef.h>

/* Values as Windows reports them (EnumerateSecurityPackages on Windows Server 2019+). */
static const struct ng_package packages[NG_PKG_COUNT] = {
    [NG_PKG_NEGOTIATE] = {NG_PKG_NEGOTIATE, NEGOSSP_NAME_A, "Microsoft Package Negotiator",
                          0x00083BB3, 1, 9, 48256, 1},
    [NG_PKG_KERBEROS] = {NG_PKG_KERBEROS, MICROSOFT_KERBEROS_NAME_A, "Microsoft Kerberos V1.0",
                         0x000F3BBF, 1, 16, 48000, 1},
    [NG_PKG_NTLM] = {NG_PKG_NTLM, NTLMSP_NAME_A, "NTLM Security Package", 0x00082B37, 1, 10, 2888,
                     1},
};

/* Package names are ASCII; locale-free so a Turkish locale cannot change the match. */
static int ascii_lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static int ascii_caseeq(const char *a, const char *b)
{
    for (; *a != '\0' && *b != '\0'; a++, b++) {
        if (ascii_lower((unsigned char)*a) != ascii_lower((unsigned char)*b))
            return 0;
    }
    return *a == *b;
}

const struct ng_package *ng_package_find(const char *name)
{
    if (name == NULL)
        return NULL;
    for (size_t i = 0; i < NG_PKG_COUNT; i++) {
        if (packages[i].available && ascii_caseeq(packages[i].name, name))
            return &packages[i];
    }
    return NULL;
}

/* Every package, available or not: a context remembers its package by id. */
const struct ng_package *ng_package_get(enum ng_package_id id)
{
    if ((unsigned)id >= NG_PKG_COUNT)
        return NULL;
    return &packages[id];
}
