/* AcquireCredentialsHandle / FreeCredentialsHandle / QueryCredentialsAttributes: what the
 * caller passes (package, use, principal, pAuthData) read once, then the mechanisms make their
 * parts of the credential (credentials_acquire.h). */
#include <negring/sspi.h>
#include <string.h>

#include "alloc.h"
#include "credentials.h"
#include "credentials_acquire.h"
#include "package_list.h"
#include "sspi_status.h"
#include "timestamp.h"
#include "utf16.h"

static ng_status copy_field(const void *field, ULONG len, bool wide, char **out)
{
    if (field == NULL) {
        *out = ng_strdup("");
        return *out ? NG_OK : NG_ERR_NOMEM;
    }
    size_t ignored;
    if (wide)
        return ng_utf16_to_utf8(field, len, out, &ignored);
    *out = ng_alloc((size_t)len + 1);
    if (*out == NULL)
        return NG_ERR_NOMEM;
    memcpy(*out, field, len);
    return NG_OK;
}

/* SEC_WINNT_AUTH_IDENTITY_A (UTF-8) or _W (UTF-16), as every mechanism reads it. */
static ng_status identity_from_auth(const SEC_WINNT_AUTH_IDENTITY_A *a, struct ng_identity *id)
{
    bool wide = (a->Flags & SEC_WINNT_AUTH_IDENTITY_UNICODE) != 0;
    if (wide == ((a->Flags & SEC_WINNT_AUTH_IDENTITY_ANSI) != 0) || a->User == NULL)
        return NG_ERR_UNKNOWN_CREDS;
    ng_status status = copy_field(a->User, a->UserLength, wide, &id->user);
    if (status == NG_OK)
        status = copy_field(a->Domain, a->DomainLength, wide, &id->domain);
    if (status == NG_OK)
        status = copy_field(a->Password, a->PasswordLength, wide, &id->password);
    if (status != NG_OK)
        ng_identity_free(id);
    return status;
}

/* What pAuthData says: the acceptor settings (NEGRING_ACCEPTOR_AUTH_DATA, any version), the
 * identity (SEC_WINNT_AUTH_IDENTITY_A/W, or the fields of an _EXA/_EXW) and the package list
 * (read for Negotiate only: the other packages ignore it, as on Windows). */
struct auth_input {
    const NEGRING_ACCEPTOR_AUTH_DATA *acceptor;
    const SEC_WINNT_AUTH_IDENTITY_A *identity; /* NULL, the caller's, or `plain` */
    SEC_WINNT_AUTH_IDENTITY_A plain;
    bool negotiate;
    unsigned mechs; /* package_list.h */
};

static ng_status add_package_list(struct auth_input *in, const void *list, ULONG len, bool wide)
{
    char *utf8 = NULL;
    size_t utf8_len = len;
    unsigned listed = NG_MECHSET_ALL;
    if (!in->negotiate || list == NULL || len == 0)
        return NG_OK;
    if (wide)
        NG_GUARD(ng_utf16_to_utf8(list, len, &utf8, &utf8_len));
    ng_status status = ng_package_list_parse(ng_slice_of(wide ? utf8 : list, utf8_len), &listed);
    ng_free(utf8);
    in->mechs &= listed;
    return status != NG_OK ? status : in->mechs != 0 ? NG_OK : NG_ERR_NO_CREDENTIALS;
}

/* SEC_WINNT_AUTH_IDENTITY_EXA/EXW: told apart from the plain form by Version and Length, as
 * Windows does; the fields of both EX forms line up, only the character width differs. */
static ng_status identity_input(const void *auth, struct auth_input *in)
{
    const SEC_WINNT_AUTH_IDENTITY_EXA *ex = auth;
    in->identity = auth;
    if (ex == NULL || ex->Version != SEC_WINNT_AUTH_IDENTITY_VERSION || ex->Length != sizeof(*ex))
        return NG_OK;
    in->plain =
        (SEC_WINNT_AUTH_IDENTITY_A){ex->User,     ex->UserLength,     ex->Domain, ex->DomainLength,
                                    ex->Password, ex->PasswordLength, ex->Flags};
    in->identity = &in->plain;
    bool wide = (ex->Flags & SEC_WINNT_AUTH_IDENTITY_UNICODE) != 0;
    return add_package_list(in, ex->PackageList, ex->PackageListLength, wide);
}

static ng_status read_auth_input(void *auth_data, bool negotiate, struct auth_input *in)
{
    ULONG version = auth_data ? *(const ULONG *)auth_data : 0;
    *in = (struct auth_input){.negotiate = negotiate, .mechs = NG_MECHSET_ALL};
    if (version != NEGRING_ACCEPTOR_AUTH_DATA_VERSION &&
        version != NEGRING_ACCEPTOR_AUTH_DATA_VERSION_2 &&
        version != NEGRING_ACCEPTOR_AUTH_DATA_VERSION_3)
        return identity_input(auth_data, in);
    in->acceptor = auth_data;
    if (version == NEGRING_ACCEPTOR_AUTH_DATA_VERSION_3) {
        const char *list = ((const NEGRING_ACCEPTOR_AUTH_DATA3 *)auth_data)->PackageList;
        /* one byte past the limit: a longer list is refused, not cut */
        size_t len = list ? strnlen(list, NG_PACKAGE_LIST_MAX + 1) : 0;
        NG_GUARD(add_package_list(in, list, (ULONG)len, false));
    }
    return identity_input(in->acceptor->Identity, in);
}

static ng_status new_credentials(const char *principal, const struct ng_package *pkg, ULONG use,
                                 const struct auth_input *in, struct ng_credentials **out)
{
    NG_GUARD(ng_credentials_new(pkg->id, use, out));
    struct ng_credentials *creds = *out;
    creds->mechs = in->mechs; /* all but for Negotiate with a package list */
    if ((use & SECPKG_CRED_INBOUND) && in->acceptor != NULL && in->acceptor->ClockSkewSeconds != 0)
        creds->clock_skew = in->acceptor->ClockSkewSeconds;
    if ((use & SECPKG_CRED_INBOUND) && principal != NULL &&
        (creds->acceptor_principal = ng_strdup(principal)) == NULL)
        return NG_ERR_NOMEM;
    return NG_OK;
}

static ng_status acquire(const char *principal, const char *package, ULONG use, void *auth_data,
                         CredHandle *handle, int64_t *expiry)
{
    const struct ng_package *pkg = package ? ng_package_find(package) : NULL;
    if (pkg == NULL)
        return NG_ERR_PKG_NOT_FOUND;
    use &= ~(ULONG)SECPKG_CRED_DEFAULT;
    if (handle == NULL || use == 0 || (use & ~(ULONG)SECPKG_CRED_BOTH) != 0)
        return NG_ERR_INVALID_PARAM;
    struct auth_input in;
    NG_GUARD(read_auth_input(auth_data, pkg->id == NG_PKG_NEGOTIATE, &in));
    struct ng_identity identity = {0};
    struct ng_credentials *creds = NULL;
    ng_status status = NG_OK;
    if ((use & SECPKG_CRED_OUTBOUND) && in.identity != NULL)
        status = identity_from_auth(in.identity, &identity);
    if (status == NG_OK)
        status = new_credentials(principal, pkg, use, &in, &creds);
    if (status == NG_OK) {
        struct ng_acquire_input mechs = {in.acceptor, in.identity ? &identity : NULL};
        status = ng_credentials_acquire(creds, &mechs);
    }
    ng_identity_free(&identity);
    if (status == NG_OK) {
        *expiry = creds->expiry;
        return ng_credentials_publish(creds, handle);
    }
    ng_credentials_unref(creds);
    return status;
}

SECURITY_STATUS SEC_ENTRY AcquireCredentialsHandleA(LPSTR pszPrincipal, LPSTR pszPackage,
                                                    ULONG fCredentialUse, void *pvLogonId,
                                                    void *pAuthData, SEC_GET_KEY_FN pGetKeyFn,
                                                    void *pvGetKeyArgument,
                                                    PCredHandle phCredential, PTimeStamp ptsExpiry)
{
    int64_t expiry = INT64_MAX;
    ng_status status =
        acquire(pszPrincipal, pszPackage, fCredentialUse, pAuthData, phCredential, &expiry);
    if (status == NG_OK && ptsExpiry != NULL)
        *ptsExpiry = ng_timestamp_from_unix(expiry);
    return ng_sec_status(status);
}

SECURITY_STATUS SEC_ENTRY AcquireCredentialsHandleW(LPWSTR pszPrincipal, LPWSTR pszPackage,
                                                    ULONG fCredentialUse, void *pvLogonId,
                                                    void *pAuthData, SEC_GET_KEY_FN pGetKeyFn,
                                                    void *pvGetKeyArgument,
                                                    PCredHandle phCredential, PTimeStamp ptsExpiry)
{
    char *principal = NULL, *package = NULL;
    size_t ignored;
    ng_status status = NG_OK;
    if (pszPrincipal != NULL)
        status = ng_utf16z_to_utf8(pszPrincipal, &principal, &ignored);
    if (status == NG_OK && pszPackage != NULL)
        status = ng_utf16z_to_utf8(pszPackage, &package, &ignored);
    SECURITY_STATUS result =
        status != NG_OK
            ? ng_sec_status(status)
            : AcquireCredentialsHandleA(principal, package, fCredentialUse, pvLogonId, pAuthData,
                                        pGetKeyFn, pvGetKeyArgument, phCredential, ptsExpiry);
    ng_free(principal);
    ng_free(package);
    return result;
}

SECURITY_STATUS SEC_ENTRY FreeCredentialsHandle(PCredHandle phCredential)
{
    return ng_sec_status(ng_credentials_delete(phCredential));
}

static ng_status credential_name(const CredHandle *handle, char **name)
{
    struct ng_credentials *creds;
    NG_GUARD(ng_credentials_from_handle(handle, &creds));
    const char *source = creds->principal_name       ? creds->principal_name
                         : creds->acceptor_principal ? creds->acceptor_principal
                                                     : "";
    *name = ng_strdup(source);
    ng_credentials_unref(creds);
    return *name ? NG_OK : NG_ERR_NOMEM;
}

SECURITY_STATUS SEC_ENTRY QueryCredentialsAttributesA(PCredHandle phCredential, ULONG ulAttribute,
                                                      void *pBuffer)
{
    if (pBuffer == NULL)
        return SEC_E_INVALID_PARAMETER;
    if (ulAttribute != SECPKG_CRED_ATTR_NAMES)
        return SEC_E_UNSUPPORTED_FUNCTION;
    char *name = NULL;
    ng_status status = credential_name(phCredential, &name);
    ((SecPkgCredentials_NamesA *)pBuffer)->sUserName = name;
    return ng_sec_status(status);
}

SECURITY_STATUS SEC_ENTRY QueryCredentialsAttributesW(PCredHandle phCredential, ULONG ulAttribute,
                                                      void *pBuffer)
{
    if (pBuffer == NULL)
        return SEC_E_INVALID_PARAMETER;
    if (ulAttribute != SECPKG_CRED_ATTR_NAMES)
        return SEC_E_UNSUPPORTED_FUNCTION;
    char *name = NULL;
    SEC_WCHAR *wide = NULL;
    size_t ignored;
    ng_status status = credential_name(phCredential, &name);
    if (status == NG_OK)
        status = ng_utf8z_to_utf16(name, &wide, &ignored);
    ng_free(name);
    ((SecPkgCredentials_NamesW *)pBuffer)->sUserName = wide;
    return ng_sec_status(status);
}
