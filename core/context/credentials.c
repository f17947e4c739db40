/* AcquireCredentialsHandle / FreeCredentialsHandle / QueryCredentialsAttributes. */
#define _GNU_SOURCE /* secure_getenv */
#include "credentials.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "handle_registry.h"
#include "keystore.h"
#include "krb5_session.h"
#include "krb5_thread.h"
#include "ntlm_crypto.h"
#include "package_list.h"
#include "sspi_status.h"
#include "timestamp.h"
#include "user_database.h"
#include "utf16.h"

enum { DEFAULT_CLOCK_SKEW = 300 };

void ng_credentials_ref(struct ng_credentials *creds)
{
    atomic_fetch_add_explicit(&creds->refs, 1, memory_order_relaxed);
}

static void destroy_memory_ccache(const char *name)
{
    krb5_context kctx;
    krb5_ccache cc;
    if (ng_krb5_thread_context(&kctx) == NG_OK && krb5_cc_resolve(kctx, name, &cc) == 0)
        krb5_cc_destroy(kctx, cc);
}

static void ntlm_identity_free(struct ng_ntlm_identity *id)
{
    if (id == NULL)
        return;
    ng_free(id->user);
    ng_free(id->domain);
    ng_free_secret(id, sizeof(*id));
}

static void ntlm_settings_free(struct ng_credentials *creds)
{
    ng_user_db_free(atomic_load(&creds->users));
    ng_user_db_free_chain(atomic_load(&creds->retired_users));
    ng_free(creds->user_db_path);
    ng_free(creds->ntlm_domain);
    ng_free(creds->ntlm_computer);
    ng_free(creds->dns_domain);
    ng_free(creds->dns_computer);
    ntlm_identity_free(creds->ntlm_identity);
}

void ng_credentials_unref(struct ng_credentials *creds)
{
    if (creds == NULL || atomic_fetch_sub_explicit(&creds->refs, 1, memory_order_acq_rel) != 1)
        return;
    ntlm_settings_free(creds);
    ng_keystore_free(atomic_load(&creds->keys));
    ng_keystore_free_chain(atomic_load(&creds->retired_keys));
    ng_free(creds->keytab_name);
    if (creds->owns_ccache)
        destroy_memory_ccache(creds->ccache_name);
    ng_free(creds->ccache_name);
    ng_free(creds->acceptor_principal);
    ng_free(creds->principal_name);
    ng_free_secret(creds, sizeof(*creds));
}

ng_status ng_credentials_from_handle(const CredHandle *handle, struct ng_credentials **out)
{
    struct ng_table *table = ng_registry_credentials();
    if (handle == NULL || table == NULL)
        return NG_ERR_INVALID_HANDLE;
    struct ng_handle h = {handle->dwLower, handle->dwUpper};
    void *obj = NULL;
    NG_GUARD(ng_table_acquire(table, h, &obj));
    *out = obj;
    ng_credentials_ref(*out);
    ng_table_release(table, h);
    return NG_OK;
}

/* An explicit identity: "user@REALM" from SEC_WINNT_AUTH_IDENTITY_A (UTF-8) or _W (UTF-16). */
struct identity {
    char *principal;
    char *password; /* secret */
};

static void identity_free(struct identity *id)
{
    ng_free(id->principal);
    if (id->password != NULL)
        ng_free_secret(id->password, strlen(id->password));
}

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

static ng_status identity_from_auth(const SEC_WINNT_AUTH_IDENTITY_A *a, struct identity *id)
{
    ng_status status = NG_OK;
    char *user = NULL, *domain = NULL;
    bool wide = (a->Flags & SEC_WINNT_AUTH_IDENTITY_UNICODE) != 0;
    if (wide == ((a->Flags & SEC_WINNT_AUTH_IDENTITY_ANSI) != 0) || a->User == NULL)
        return NG_ERR_UNKNOWN_CREDS;
    NG_GUARD_CLEANUP(copy_field(a->User, a->UserLength, wide, &user));
    NG_GUARD_CLEANUP(copy_field(a->Domain, a->DomainLength, wide, &domain));
    NG_GUARD_CLEANUP(copy_field(a->Password, a->PasswordLength, wide, &id->password));
    size_t len = strlen(user) + strlen(domain) + 2;
    id->principal = ng_alloc(len);
    if (id->principal == NULL)
        NG_FAIL_CLEANUP(NG_ERR_NOMEM);
    if (strchr(user, '@') != NULL || domain[0] == '\0')
        snprintf(id->principal, len, "%s", user);
    else
        snprintf(id->principal, len, "%s@%s", user, domain);
cleanup:
    ng_free(user);
    ng_free(domain);
    return status;
}

/* Gets a TGT for the identity into a MEMORY ccache owned by the credentials. */
static ng_status obtain_tgt(krb5_context kctx, struct ng_credentials *creds,
                            const struct identity *id)
{
    ng_status status = NG_OK;
    krb5_principal client = NULL;
    krb5_ccache cc = NULL;
    krb5_creds tgt = {0};
    char name[64];
    snprintf(name, sizeof(name), "MEMORY:negring-%p", (void *)creds);
    creds->ccache_name = ng_strdup(name);
    if (creds->ccache_name == NULL)
        return NG_ERR_NOMEM;
    if (krb5_parse_name(kctx, id->principal, &client) != 0)
        return NG_ERR_UNKNOWN_CREDS;
    krb5_error_code code =
        krb5_get_init_creds_password(kctx, &tgt, client, id->password, NULL, NULL, 0, NULL, NULL);
    if (code == KRB5KDC_ERR_PREAUTH_FAILED || code == KRB5KDC_ERR_C_PRINCIPAL_UNKNOWN ||
        code == KRB5KRB_AP_ERR_BAD_INTEGRITY)
        NG_FAIL_CLEANUP(NG_ERR_LOGON_DENIED);
    NG_GUARD_CLEANUP(ng_krb5_status(code));
    code = krb5_cc_resolve(kctx, creds->ccache_name, &cc);
    if (code == 0)
        code = krb5_cc_initialize(kctx, cc, client);
    if (code == 0)
        code = krb5_cc_store_cred(kctx, cc, &tgt);
    NG_GUARD_CLEANUP(ng_krb5_status(code));
    creds->owns_ccache = true;
    creds->expiry = tgt.times.endtime;
cleanup:
    if (cc != NULL)
        krb5_cc_close(kctx, cc);
    krb5_free_cred_contents(kctx, &tgt);
    krb5_free_principal(kctx, client);
    return status;
}

/* The latest end time of the tickets in a ccache: what the credentials are good until. */
static int64_t ccache_expiry(krb5_context kctx, krb5_ccache cc)
{
    krb5_cc_cursor cursor;
    krb5_creds c;
    int64_t latest = 0;
    if (krb5_cc_start_seq_get(kctx, cc, &cursor) != 0)
        return 0;
    while (krb5_cc_next_cred(kctx, cc, &cursor, &c) == 0) {
        if (c.times.endtime > latest)
            latest = c.times.endtime;
        krb5_free_cred_contents(kctx, &c);
    }
    krb5_cc_end_seq_get(kctx, cc, &cursor);
    return latest;
}

/* The default ccache must hold a principal and a TGT lifetime we can report. */
static ng_status check_default_ccache(krb5_context kctx, struct ng_credentials *creds)
{
    krb5_ccache cc = NULL;
    krb5_principal client = NULL;
    if (krb5_cc_default(kctx, &cc) != 0)
        return NG_ERR_NO_CREDENTIALS;
    krb5_error_code code = krb5_cc_get_principal(kctx, cc, &client);
    ng_status status =
        code == 0 ? ng_krb5_unparse(kctx, client, &creds->principal_name) : NG_ERR_NO_CREDENTIALS;
    if (status == NG_OK) {
        const char *full = krb5_cc_get_name(kctx, cc);
        const char *type = krb5_cc_get_type(kctx, cc);
        size_t len = strlen(type) + strlen(full) + 2;
        creds->ccache_name = ng_alloc(len);
        if (creds->ccache_name == NULL)
            status = NG_ERR_NOMEM;
        else
            snprintf(creds->ccache_name, len, "%s:%s", type, full);
        creds->expiry = ccache_expiry(kctx, cc);
    }
    krb5_free_principal(kctx, client);
    krb5_cc_close(kctx, cc);
    return status;
}

/* The NTLM side of an explicit identity: user and domain as given, the password kept only as
 * its NT hash. The credentials' name becomes "DOMAIN\user" (or "user" without a domain). */
static ng_status ntlm_identity_from_auth(const SEC_WINNT_AUTH_IDENTITY_A *a,
                                         struct ng_credentials *creds)
{
    bool wide = (a->Flags & SEC_WINNT_AUTH_IDENTITY_UNICODE) != 0;
    if (wide == ((a->Flags & SEC_WINNT_AUTH_IDENTITY_ANSI) != 0) || a->User == NULL)
        return NG_ERR_UNKNOWN_CREDS;
    struct ng_ntlm_identity *id = ng_alloc(sizeof(*id));
    if (id == NULL)
        return NG_ERR_NOMEM;
    creds->ntlm_identity = id;
    char *password = NULL;
    ng_status status = NG_OK;
    NG_GUARD_CLEANUP(copy_field(a->User, a->UserLength, wide, &id->user));
    NG_GUARD_CLEANUP(copy_field(a->Domain, a->DomainLength, wide, &id->domain));
    NG_GUARD_CLEANUP(copy_field(a->Password, a->PasswordLength, wide, &password));
    status = ng_nt_hash(password, strlen(password), id->nt_hash);
    if (status == NG_ERR_INVALID_PARAM)
        status = NG_ERR_UNKNOWN_CREDS;
cleanup:
    if (password != NULL)
        ng_free_secret(password, strlen(password));
    return status;
}

static ng_status ntlm_principal_name(struct ng_credentials *creds)
{
    const struct ng_ntlm_identity *id = creds->ntlm_identity;
    size_t len = strlen(id->user) + strlen(id->domain) + 2;
    ng_free(creds->principal_name);
    creds->principal_name = ng_alloc(len);
    if (creds->principal_name == NULL)
        return NG_ERR_NOMEM;
    if (id->domain[0] == '\0')
        snprintf(creds->principal_name, len, "%s", id->user);
    else
        snprintf(creds->principal_name, len, "%s\\%s", id->domain, id->user);
    return NG_OK;
}

/* Negotiate with an explicit identity whose realm has no reachable KDC: NTLM only, as
 * Windows' Negotiate falls back. A wrong password stays an error (Kerberos answered). */
static bool fall_back_to_ntlm(const struct ng_credentials *creds, ng_status status)
{
    return creds->package == NG_PKG_NEGOTIATE && creds->ntlm_identity != NULL && status != NG_OK &&
           status != NG_ERR_LOGON_DENIED && status != NG_ERR_NOMEM;
}

static ng_status acquire_outbound(krb5_context kctx, struct ng_credentials *creds,
                                  const SEC_WINNT_AUTH_IDENTITY_A *auth)
{
    /* NTLM, or Negotiate whose package list leaves only NTLM. */
    if (creds->package == NG_PKG_NTLM || !(creds->mechs & NG_MECHSET_KERBEROS)) {
        if (auth == NULL)
            return NG_ERR_NO_CREDENTIALS; /* no logon session to take a password from */
        NG_GUARD(ntlm_identity_from_auth(auth, creds));
        return ntlm_principal_name(creds);
    }
    if (auth == NULL)
        return check_default_ccache(kctx, creds);
    if (creds->package == NG_PKG_NEGOTIATE && (creds->mechs & NG_MECHSET_NTLM))
        NG_GUARD(ntlm_identity_from_auth(auth, creds)); /* for the fall back to NTLM */
    struct identity id = {0};
    ng_status status = identity_from_auth(auth, &id);
    if (status == NG_OK)
        status = obtain_tgt(kctx, creds, &id);
    if (fall_back_to_ntlm(creds, status)) {
        identity_free(&id);
        ng_free(creds->ccache_name);
        creds->ccache_name = NULL;
        creds->expiry = INT64_MAX;
        return ntlm_principal_name(creds);
    }
    if (status == NG_OK) {
        creds->principal_name = id.principal;
        id.principal = NULL;
    }
    identity_free(&id);
    return status;
}

static ng_status dup_optional(const char *s, char **out)
{
    if (s == NULL)
        return NG_OK;
    *out = ng_strdup(s);
    return *out ? NG_OK : NG_ERR_NOMEM;
}

/* The host name: full for DNS, first label uppercased (at most 15 characters) for NetBIOS. */
static ng_status host_names(struct ng_credentials *creds)
{
    char host[256] = "localhost";
    if (gethostname(host, sizeof(host) - 1) != 0)
        snprintf(host, sizeof(host), "localhost");
    if (creds->dns_computer == NULL)
        NG_GUARD(dup_optional(host, &creds->dns_computer));
    if (creds->ntlm_computer != NULL)
        return NG_OK;
    host[strcspn(host, ".")] = '\0';
    host[15] = '\0';
    for (char *p = host; *p != '\0'; p++)
        *p = (*p >= 'a' && *p <= 'z') ? (char)(*p - 'a' + 'A') : *p;
    return dup_optional(host, &creds->ntlm_computer);
}

/* NTLM acceptor settings (docs/ntlm.md): from a Version 2 NEGRING_ACCEPTOR_AUTH_DATA, else
 * the NEGRING_USER_DB environment variable. Loads the account database when one is named. */
static ng_status ntlm_inbound(struct ng_credentials *creds, const NEGRING_ACCEPTOR_AUTH_DATA *data)
{
    /* Versions 2 and 3 begin with Version 1's fields, so the caller's pointer is any. */
    const NEGRING_ACCEPTOR_AUTH_DATA2 *v2 =
        data != NULL && data->Version != NEGRING_ACCEPTOR_AUTH_DATA_VERSION
            ? (const NEGRING_ACCEPTOR_AUTH_DATA2 *)(const void *)data
            : NULL;
    const char *path = v2 && v2->UserDatabase ? v2->UserDatabase : secure_getenv("NEGRING_USER_DB");
    if (v2 != NULL) {
        const NEGRING_ACCEPTOR_AUTH_DATA2 *d = v2;
        NG_GUARD(dup_optional(d->NtlmDomain, &creds->ntlm_domain));
        NG_GUARD(dup_optional(d->NtlmComputer, &creds->ntlm_computer));
        NG_GUARD(dup_optional(d->DnsDomain, &creds->dns_domain));
        NG_GUARD(dup_optional(d->DnsComputer, &creds->dns_computer));
        creds->ntlm_options = d->NtlmOptions;
    }
    NG_GUARD(host_names(creds));
    if (path == NULL || path[0] == '\0')
        return NG_ERR_NO_CREDENTIALS;
    NG_GUARD(dup_optional(path, &creds->user_db_path));
    struct ng_user_db *db = NULL;
    NG_GUARD(ng_user_db_load(path, &db, NULL));
    atomic_store(&creds->users, db);
    return NG_OK;
}

static ng_status acquire_inbound(krb5_context kctx, struct ng_credentials *creds,
                                 const char *principal, const NEGRING_ACCEPTOR_AUTH_DATA *data)
{
    const char *keytab = data ? data->Keytab : NULL;
    if (data != NULL && data->ClockSkewSeconds != 0)
        creds->clock_skew = data->ClockSkewSeconds;
    if (principal != NULL) {
        creds->acceptor_principal = ng_strdup(principal);
        if (creds->acceptor_principal == NULL)
            return NG_ERR_NOMEM;
    }
    if (keytab != NULL && (creds->keytab_name = ng_strdup(keytab)) == NULL)
        return NG_ERR_NOMEM;
    ng_status users = NG_ERR_NO_CREDENTIALS;
    if (creds->package != NG_PKG_KERBEROS && (creds->mechs & NG_MECHSET_NTLM)) {
        users = ntlm_inbound(creds, data);
        if (creds->package == NG_PKG_NTLM || (users != NG_OK && users != NG_ERR_NO_CREDENTIALS))
            return users; /* NTLM needs its accounts; a broken file is never ignored */
    }
    if (!(creds->mechs & NG_MECHSET_KERBEROS))
        return users; /* Negotiate limited to NTLM by its package list: no keytab read */
    struct ng_keystore *keys = NULL;
    ng_status status = ng_keystore_load(kctx, keytab, principal, &keys);
    if (status != NG_OK)
        return users == NG_OK ? NG_OK : status; /* Negotiate without a keytab: NTLM only */
    atomic_store(&creds->keys, keys);
    return NG_OK;
}

/* What pAuthData says: the acceptor settings (NEGRING_ACCEPTOR_AUTH_DATA, any version), the
 * identity (SEC_WINNT_AUTH_IDENTITY_A/W, or the fields of an _EXA/_EXW) and the package list
 * (read for Negotiate only: the other packages ignore it, as on Windows). */
struct auth_input {
    const NEGRING_ACCEPTOR_AUTH_DATA *acceptor;
    const SEC_WINNT_AUTH_IDENTITY_A *identity; /* NULL, the caller's, or `plain` */
    SEC_WINNT_AUTH_IDENTITY_A plain;
    bool negotiate;
    unsigned mechs; /* NG_MECHSET_* */
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

static ng_status acquire(const char *principal, const char *package, ULONG use, void *auth_data,
                         CredHandle *handle, int64_t *expiry)
{
    const struct ng_package *pkg = package ? ng_package_find(package) : NULL;
    if (pkg == NULL)
        return NG_ERR_PKG_NOT_FOUND;
    use &= ~(ULONG)SECPKG_CRED_DEFAULT;
    if (handle == NULL || use == 0 || (use & ~(ULONG)SECPKG_CRED_BOTH) != 0)
        return NG_ERR_INVALID_PARAM;
    krb5_context kctx;
    NG_GUARD(ng_krb5_thread_context(&kctx));
    struct auth_input in;
    NG_GUARD(read_auth_input(auth_data, pkg->id == NG_PKG_NEGOTIATE, &in));
    const NEGRING_ACCEPTOR_AUTH_DATA *acceptor = in.acceptor;
    const SEC_WINNT_AUTH_IDENTITY_A *identity = in.identity;
    struct ng_credentials *creds = ng_alloc(sizeof(*creds));
    if (creds == NULL)
        return NG_ERR_NOMEM;
    atomic_init(&creds->refs, 1);
    creds->package = pkg->id;
    creds->use = use;
    creds->mechs = in.mechs; /* all but for Negotiate with a package list */
    creds->clock_skew = DEFAULT_CLOCK_SKEW;
    creds->expiry = INT64_MAX;
    ng_status status = NG_OK;
    if (use & SECPKG_CRED_INBOUND)
        status = acquire_inbound(kctx, creds, principal, acceptor);
    if (status == NG_OK && (use & SECPKG_CRED_OUTBOUND))
        status = acquire_outbound(kctx, creds, identity);
    struct ng_table *table = ng_registry_credentials();
    struct ng_handle h;
    if (status == NG_OK)
        status = table ? ng_table_insert(table, creds, &h) : NG_ERR_NOMEM;
    if (status != NG_OK) {
        ng_credentials_unref(creds);
        return status;
    }
    *expiry = creds->expiry;
    handle->dwLower = h.lower;
    handle->dwUpper = h.upper;
    return NG_OK;
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
    struct ng_table *table = ng_registry_credentials();
    if (phCredential == NULL || table == NULL)
        return SEC_E_INVALID_HANDLE;
    struct ng_handle h = {phCredential->dwLower, phCredential->dwUpper};
    return ng_sec_status(ng_table_remove(table, h));
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
