/* packages + package_api: EnumerateSecurityPackages / QuerySecurityPackageInfo report Windows'
 * values, in one FreeContextBuffer-able block. */
#include <stdint.h>

#include "alloc.h"
#include "check.h"
#include "packages.h"

struct expected {
    const char *name, *comment;
    ULONG caps;
    USHORT version, rpcid;
    ULONG max_token;
};

static const struct expected negotiate = {
    "Negotiate", "Microsoft Package Negotiator", 0x00083BB3, 1, 9, 48256};
static const struct expected kerberos = {"Kerberos", "Microsoft Kerberos V1.0", 0x000F3BBF, 1, 16,
                                         48000};
static const struct expected ntlm = {"NTLM", "NTLM Security Package", 0x00082B37, 1, 10, 2888};

static int wide_eq(const SEC_WCHAR *w, const char *ascii)
{
    size_t i = 0;
    for (; ascii[i] != '\0'; i++) {
        if (w[i] != (unsigned char)ascii[i])
            return 0;
    }
    return w[i] == 0;
}

static void check_a(const SecPkgInfoA *info, const struct expected *e)
{
    CHECK_EQ(info->fCapabilities, e->caps);
    CHECK_EQ(info->wVersion, e->version);
    CHECK_EQ(info->wRPCID, e->rpcid);
    CHECK_EQ(info->cbMaxToken, e->max_token);
    CHECK(info->Name != NULL && strcmp(info->Name, e->name) == 0);
    CHECK(info->Comment != NULL && strcmp(info->Comment, e->comment) == 0);
}

static void check_w(const SecPkgInfoW *info, const struct expected *e)
{
    CHECK_EQ(info->fCapabilities, e->caps);
    CHECK_EQ(info->wVersion, e->version);
    CHECK_EQ(info->wRPCID, e->rpcid);
    CHECK_EQ(info->cbMaxToken, e->max_token);
    CHECK(info->Name != NULL && wide_eq(info->Name, e->name));
    CHECK(info->Comment != NULL && wide_eq(info->Comment, e->comment));
    CHECK((uintptr_t)info->Name % sizeof(SEC_WCHAR) == 0);
}

static void test_enumerate_a_lists_negotiate_and_kerberos(void)
{
    ULONG count = 0;
    PSecPkgInfoA info = NULL;

    CHECK_EQ(EnumerateSecurityPackagesA(&count, &info), SEC_E_OK);
    REQUIRE(info != NULL);
    REQUIRE(count == 3);
    check_a(&info[0], &negotiate);
    check_a(&info[1], &kerberos);
    check_a(&info[2], &ntlm);
    CHECK_EQ(FreeContextBuffer(info), SEC_E_OK);
}

static void test_enumerate_w_gives_the_same_values_in_utf16(void)
{
    ULONG count = 0;
    PSecPkgInfoW info = NULL;

    CHECK_EQ(EnumerateSecurityPackagesW(&count, &info), SEC_E_OK);
    REQUIRE(info != NULL);
    REQUIRE(count == 3);
    check_w(&info[0], &negotiate);
    check_w(&info[1], &kerberos);
    check_w(&info[2], &ntlm);
    CHECK_EQ(FreeContextBuffer(info), SEC_E_OK);
}

static void test_query_a_is_case_insensitive(void)
{
    const char *names[] = {"Negotiate", "negotiate", "NEGOTIATE", "nEgOtIaTe"};
    PSecPkgInfoA info = NULL;

    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        CHECK_EQ(QuerySecurityPackageInfoA((LPSTR)names[i], &info), SEC_E_OK);
        REQUIRE(info != NULL);
        check_a(info, &negotiate);
        CHECK_EQ(FreeContextBuffer(info), SEC_E_OK);
    }
    CHECK_EQ(QuerySecurityPackageInfoA("kerberos", &info), SEC_E_OK);
    REQUIRE(info != NULL);
    check_a(info, &kerberos);
    CHECK_EQ(FreeContextBuffer(info), SEC_E_OK);
    CHECK_EQ(QuerySecurityPackageInfoA("ntlm", &info), SEC_E_OK);
    REQUIRE(info != NULL);
    check_a(info, &ntlm);
    CHECK_EQ(FreeContextBuffer(info), SEC_E_OK);
}

static void test_query_w_matches_query_a(void)
{
    SEC_WCHAR negotiate_w[] = {'n', 'E', 'G', 'O', 't', 'i', 'a', 't', 'e', 0};
    SEC_WCHAR kerberos_w[] = {'K', 'e', 'r', 'b', 'e', 'r', 'o', 's', 0};
    PSecPkgInfoW info = NULL;

    CHECK_EQ(QuerySecurityPackageInfoW(negotiate_w, &info), SEC_E_OK);
    REQUIRE(info != NULL);
    check_w(info, &negotiate);
    CHECK_EQ(FreeContextBuffer(info), SEC_E_OK);
    CHECK_EQ(QuerySecurityPackageInfoW(kerberos_w, &info), SEC_E_OK);
    REQUIRE(info != NULL);
    check_w(info, &kerberos);
    CHECK_EQ(FreeContextBuffer(info), SEC_E_OK);
}

static void test_unknown_package_is_not_found(void)
{
    SEC_WCHAR bogus_w[] = {'K', 'e', 'r', 'b', 0x0435, 'r', 'o', 's', 0}; /* Cyrillic e */
    SEC_WCHAR long_w[64];
    PSecPkgInfoA info_a = (PSecPkgInfoA)1;
    PSecPkgInfoW info_w = (PSecPkgInfoW)1;

    for (size_t i = 0; i < 63; i++)
        long_w[i] = 'a';
    long_w[63] = 0;
    CHECK_EQ(QuerySecurityPackageInfoA("Schannel", &info_a), SEC_E_SECPKG_NOT_FOUND);
    CHECK(info_a == NULL);
    CHECK_EQ(QuerySecurityPackageInfoA("Negotiate ", &info_a), SEC_E_SECPKG_NOT_FOUND);
    CHECK_EQ(QuerySecurityPackageInfoA("Negotiat", &info_a), SEC_E_SECPKG_NOT_FOUND);
    CHECK_EQ(QuerySecurityPackageInfoA("", &info_a), SEC_E_SECPKG_NOT_FOUND);
    CHECK_EQ(QuerySecurityPackageInfoA("NTLMv2", &info_a), SEC_E_SECPKG_NOT_FOUND);
    CHECK_EQ(QuerySecurityPackageInfoW(bogus_w, &info_w), SEC_E_SECPKG_NOT_FOUND);
    CHECK(info_w == NULL);
    CHECK_EQ(QuerySecurityPackageInfoW(long_w, &info_w), SEC_E_SECPKG_NOT_FOUND);
    CHECK(ng_package_find("ntlm") == ng_package_get(NG_PKG_NTLM));
    CHECK(ng_package_get(NG_PKG_NTLM) != NULL);
    CHECK(ng_package_get(NG_PKG_COUNT) == NULL);
}

static void test_null_arguments_are_invalid_parameters(void)
{
    ULONG count;
    PSecPkgInfoA info_a;
    PSecPkgInfoW info_w;

    CHECK_EQ(EnumerateSecurityPackagesA(NULL, &info_a), SEC_E_INVALID_PARAMETER);
    CHECK_EQ(EnumerateSecurityPackagesA(&count, NULL), SEC_E_INVALID_PARAMETER);
    CHECK_EQ(EnumerateSecurityPackagesW(NULL, &info_w), SEC_E_INVALID_PARAMETER);
    CHECK_EQ(EnumerateSecurityPackagesW(&count, NULL), SEC_E_INVALID_PARAMETER);
    CHECK_EQ(QuerySecurityPackageInfoA(NULL, &info_a), SEC_E_INVALID_PARAMETER);
    CHECK_EQ(QuerySecurityPackageInfoA("Negotiate", NULL), SEC_E_INVALID_PARAMETER);
    CHECK_EQ(QuerySecurityPackageInfoW(NULL, &info_w), SEC_E_INVALID_PARAMETER);
}

static void test_allocation_failure_is_insufficient_memory(void)
{
    ULONG count = 7;
    PSecPkgInfoA info_a = (PSecPkgInfoA)1;
    PSecPkgInfoW info_w = (PSecPkgInfoW)1;

    ng_alloc_fail_after(1);
    CHECK_EQ(EnumerateSecurityPackagesA(&count, &info_a), SEC_E_INSUFFICIENT_MEMORY);
    CHECK(info_a == NULL);
    CHECK_EQ(count, 0);
    CHECK_EQ(EnumerateSecurityPackagesW(&count, &info_w), SEC_E_INSUFFICIENT_MEMORY);
    CHECK(info_w == NULL);
    CHECK_EQ(QuerySecurityPackageInfoA("Kerberos", &info_a), SEC_E_INSUFFICIENT_MEMORY);
    CHECK_EQ(QuerySecurityPackageInfoW(
                 (SEC_WCHAR[]){'N', 'e', 'g', 'o', 't', 'i', 'a', 't', 'e', 0}, &info_w),
             SEC_E_INSUFFICIENT_MEMORY);
    ng_alloc_fail_after(0);
    CHECK_EQ(EnumerateSecurityPackagesA(&count, &info_a), SEC_E_OK);
    CHECK_EQ(FreeContextBuffer(info_a), SEC_E_OK);
}

static void test_free_context_buffer_null_is_ok(void)
{
    CHECK_EQ(FreeContextBuffer(NULL), SEC_E_OK);
}

int main(void)
{
    RUN(test_enumerate_a_lists_negotiate_and_kerberos);
    RUN(test_enumerate_w_gives_the_same_values_in_utf16);
    RUN(test_query_a_is_case_insensitive);
    RUN(test_query_w_matches_query_a);
    RUN(test_unknown_package_is_not_found);
    RUN(test_null_arguments_are_invalid_parameters);
    RUN(test_allocation_failure_is_insufficient_memory);
    RUN(test_free_context_buffer_null_is_ok);
    return check_report();
}
