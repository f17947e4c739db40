/*
 * negring — the Windows SSPI surface (sspi.h) for Linux.
 *
 * Names, structures, sizes and constant values follow Windows' sspi.h and winerror.h, so code
 * written for Windows SSPI ports by recompiling. Differences from Windows are listed in
 * docs/api.md. Strings: the A forms take UTF-8; the W forms take UTF-16 (SEC_WCHAR, 16 bits,
 * as on Windows — not Linux's 32-bit wchar_t).
 *
 * Thread safety: every function may be called from any thread at once. One context handle
 * must not be used by two threads at the same moment (as on Windows); if it is, the second
 * call is refused with SEC_E_INVALID_HANDLE rather than corrupting the context.
 */
#ifndef NEGRING_SSPI_H
#define NEGRING_SSPI_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Everything declared here is libnegring's public ABI, exported from the shared library; the
 * rest of the library is built with hidden visibility. */
#pragma GCC visibility push(default)

#define SEC_ENTRY
#define SEC_FAR

typedef uint32_t ULONG, *PULONG;
typedef int32_t LONG, *PLONG;
typedef uint16_t USHORT, *PUSHORT;
typedef unsigned char UCHAR, *PUCHAR;
typedef unsigned char BOOLEAN;
typedef uintptr_t ULONG_PTR, *PULONG_PTR;
typedef void *PVOID;
typedef char SEC_CHAR;
typedef uint16_t SEC_WCHAR;
typedef uint16_t WCHAR;
typedef char *LPSTR;
typedef SEC_WCHAR *LPWSTR;
typedef LONG SECURITY_STATUS;
typedef intptr_t INT_PTR;

/* ---- Status codes (winerror.h) ---------------------------------------------------------
 * Note: the AcceptSecurityContext (Negotiate) reference page prints SEC_E_INVALID_HANDLE as
 * 0x80100003; that is a misprint. winerror.h defines 0x80090301, which is used here. */
#define SEC_E_OK                          ((SECURITY_STATUS)0x00000000L)
#define SEC_E_INSUFFICIENT_MEMORY         ((SECURITY_STATUS)0x80090300L)
#define SEC_E_INVALID_HANDLE              ((SECURITY_STATUS)0x80090301L)
#define SEC_E_UNSUPPORTED_FUNCTION        ((SECURITY_STATUS)0x80090302L)
#define SEC_E_TARGET_UNKNOWN              ((SECURITY_STATUS)0x80090303L)
#define SEC_E_INTERNAL_ERROR              ((SECURITY_STATUS)0x80090304L)
#define SEC_E_SECPKG_NOT_FOUND            ((SECURITY_STATUS)0x80090305L)
#define SEC_E_NOT_OWNER                   ((SECURITY_STATUS)0x80090306L)
#define SEC_E_CANNOT_INSTALL              ((SECURITY_STATUS)0x80090307L)
#define SEC_E_INVALID_TOKEN               ((SECURITY_STATUS)0x80090308L)
#define SEC_E_CANNOT_PACK                 ((SECURITY_STATUS)0x80090309L)
#define SEC_E_QOP_NOT_SUPPORTED           ((SECURITY_STATUS)0x8009030AL)
#define SEC_E_NO_IMPERSONATION            ((SECURITY_STATUS)0x8009030BL)
#define SEC_E_LOGON_DENIED                ((SECURITY_STATUS)0x8009030CL)
#define SEC_E_UNKNOWN_CREDENTIALS         ((SECURITY_STATUS)0x8009030DL)
#define SEC_E_NO_CREDENTIALS              ((SECURITY_STATUS)0x8009030EL)
#define SEC_E_MESSAGE_ALTERED             ((SECURITY_STATUS)0x8009030FL)
#define SEC_E_OUT_OF_SEQUENCE             ((SECURITY_STATUS)0x80090310L)
#define SEC_E_NO_AUTHENTICATING_AUTHORITY ((SECURITY_STATUS)0x80090311L)
#define SEC_I_CONTINUE_NEEDED             ((SECURITY_STATUS)0x00090312L)
#define SEC_I_COMPLETE_NEEDED             ((SECURITY_STATUS)0x00090313L)
#define SEC_I_COMPLETE_AND_CONTINUE       ((SECURITY_STATUS)0x00090314L)
#define SEC_I_LOCAL_LOGON                 ((SECURITY_STATUS)0x00090315L)
#define SEC_E_BAD_PKGID                   ((SECURITY_STATUS)0x80090316L)
#define SEC_E_CONTEXT_EXPIRED             ((SECURITY_STATUS)0x80090317L)
#define SEC_I_CONTEXT_EXPIRED             ((SECURITY_STATUS)0x00090317L)
#define SEC_E_INCOMPLETE_MESSAGE          ((SECURITY_STATUS)0x80090318L)
#define SEC_E_INCOMPLETE_CREDENTIALS      ((SECURITY_STATUS)0x80090320L)
#define SEC_E_BUFFER_TOO_SMALL            ((SECURITY_STATUS)0x80090321L)
#define SEC_I_INCOMPLETE_CREDENTIALS      ((SECURITY_STATUS)0x00090320L)
#define SEC_I_RENEGOTIATE                 ((SECURITY_STATUS)0x00090321L)
#define SEC_E_WRONG_PRINCIPAL             ((SECURITY_STATUS)0x80090322L)
#define SEC_I_NO_LSA_CONTEXT              ((SECURITY_STATUS)0x00090323L)
#define SEC_E_TIME_SKEW                   ((SECURITY_STATUS)0x80090324L)
#define SEC_E_UNTRUSTED_ROOT              ((SECURITY_STATUS)0x80090325L)
#define SEC_E_ILLEGAL_MESSAGE             ((SECURITY_STATUS)0x80090326L)
#define SEC_E_CERT_UNKNOWN                ((SECURITY_STATUS)0x80090327L)
#define SEC_E_CERT_EXPIRED                ((SECURITY_STATUS)0x80090328L)
#define SEC_E_ENCRYPT_FAILURE             ((SECURITY_STATUS)0x80090329L)
#define SEC_E_DECRYPT_FAILURE             ((SECURITY_STATUS)0x80090330L)
#define SEC_E_ALGORITHM_MISMATCH          ((SECURITY_STATUS)0x80090331L)
#define SEC_E_SECURITY_QOS_FAILED         ((SECURITY_STATUS)0x80090332L)
#define SEC_E_UNFINISHED_CONTEXT_DELETED  ((SECURITY_STATUS)0x80090333L)
#define SEC_E_NO_TGT_REPLY                ((SECURITY_STATUS)0x80090334L)
#define SEC_E_NO_IP_ADDRESSES             ((SECURITY_STATUS)0x80090335L)
#define SEC_E_WRONG_CREDENTIAL_HANDLE     ((SECURITY_STATUS)0x80090336L)
#define SEC_E_CRYPTO_SYSTEM_INVALID       ((SECURITY_STATUS)0x80090337L)
#define SEC_E_MAX_REFERRALS_EXCEEDED      ((SECURITY_STATUS)0x80090338L)
#define SEC_E_MUST_BE_KDC                 ((SECURITY_STATUS)0x80090339L)
#define SEC_E_STRONG_CRYPTO_NOT_SUPPORTED ((SECURITY_STATUS)0x8009033AL)
#define SEC_E_TOO_MANY_PRINCIPALS         ((SECURITY_STATUS)0x8009033BL)
#define SEC_E_NO_PA_DATA                  ((SECURITY_STATUS)0x8009033CL)
#define SEC_E_PKINIT_NAME_MISMATCH        ((SECURITY_STATUS)0x8009033DL)
#define SEC_E_SMARTCARD_LOGON_REQUIRED    ((SECURITY_STATUS)0x8009033EL)
#define SEC_E_SHUTDOWN_IN_PROGRESS        ((SECURITY_STATUS)0x8009033FL)
#define SEC_E_KDC_INVALID_REQUEST         ((SECURITY_STATUS)0x80090340L)
#define SEC_E_KDC_UNABLE_TO_REFER         ((SECURITY_STATUS)0x80090341L)
#define SEC_E_KDC_UNKNOWN_ETYPE           ((SECURITY_STATUS)0x80090342L)
#define SEC_E_UNSUPPORTED_PREAUTH         ((SECURITY_STATUS)0x80090343L)
#define SEC_E_DELEGATION_REQUIRED         ((SECURITY_STATUS)0x80090345L)
#define SEC_E_BAD_BINDINGS                ((SECURITY_STATUS)0x80090346L)
#define SEC_E_MULTIPLE_ACCOUNTS           ((SECURITY_STATUS)0x80090347L)
#define SEC_E_NO_KERB_KEY                 ((SECURITY_STATUS)0x80090348L)
#define SEC_E_INVALID_PARAMETER           ((SECURITY_STATUS)0x8009035DL)
#define SEC_E_DOWNGRADE_DETECTED          ((SECURITY_STATUS)0x80090350L)

/* ---- Handles and basic structures ---------------------------------------------------- */
typedef struct _SecHandle {
    ULONG_PTR dwLower;
    ULONG_PTR dwUpper;
} SecHandle, *PSecHandle;

typedef SecHandle CredHandle, *PCredHandle;
typedef SecHandle CtxtHandle, *PCtxtHandle;

#define SecInvalidateHandle(x)                                                                     \
    ((PSecHandle)(x))->dwLower = ((PSecHandle)(x))->dwUpper = ((ULONG_PTR)((INT_PTR)-1))
#define SecIsValidHandle(x)                                                                        \
    ((((PSecHandle)(x))->dwLower != ((ULONG_PTR)((INT_PTR)-1))) &&                                 \
     (((PSecHandle)(x))->dwUpper != ((ULONG_PTR)((INT_PTR)-1))))

/* 100-nanosecond intervals since 1601-01-01 UTC. */
typedef union _SECURITY_INTEGER {
    struct {
        ULONG LowPart;
        LONG HighPart;
    };
    int64_t QuadPart;
} SECURITY_INTEGER, *PSECURITY_INTEGER, TimeStamp, *PTimeStamp;

typedef struct _SecBuffer {
    ULONG cbBuffer;
    ULONG BufferType;
    void *pvBuffer;
} SecBuffer, *PSecBuffer;

typedef struct _SecBufferDesc {
    ULONG ulVersion;
    ULONG cBuffers;
    PSecBuffer pBuffers;
} SecBufferDesc, *PSecBufferDesc;

#define SECBUFFER_VERSION 0

#define SECBUFFER_EMPTY                 0
#define SECBUFFER_DATA                  1
#define SECBUFFER_TOKEN                 2
#define SECBUFFER_PKG_PARAMS            3
#define SECBUFFER_MISSING               4
#define SECBUFFER_EXTRA                 5
#define SECBUFFER_STREAM_TRAILER        6
#define SECBUFFER_STREAM_HEADER         7
#define SECBUFFER_NEGOTIATION_INFO      8
#define SECBUFFER_PADDING               9
#define SECBUFFER_STREAM                10
#define SECBUFFER_MECHLIST              11
#define SECBUFFER_MECHLIST_SIGNATURE    12
#define SECBUFFER_TARGET                13
#define SECBUFFER_CHANNEL_BINDINGS      14
#define SECBUFFER_CHANGE_PASS_RESPONSE  15
#define SECBUFFER_TARGET_HOST           16
#define SECBUFFER_ALERT                 17
#define SECBUFFER_APPLICATION_PROTOCOLS 18

#define SECBUFFER_ATTRMASK               0xF0000000
#define SECBUFFER_READONLY               0x80000000
#define SECBUFFER_READONLY_WITH_CHECKSUM 0x10000000
#define SECBUFFER_RESERVED               0x60000000

typedef struct _SEC_CHANNEL_BINDINGS {
    ULONG dwInitiatorAddrType;
    ULONG cbInitiatorLength;
    ULONG dwInitiatorOffset;
    ULONG dwAcceptorAddrType;
    ULONG cbAcceptorLength;
    ULONG dwAcceptorOffset;
    ULONG cbApplicationDataLength;
    ULONG dwApplicationDataOffset;
} SEC_CHANNEL_BINDINGS, *PSEC_CHANNEL_BINDINGS;

#define SECURITY_NATIVE_DREP  0x00000010
#define SECURITY_NETWORK_DREP 0x00000000

/* ---- Credentials ------------------------------------------------------------------------ */
#define SECPKG_CRED_INBOUND  0x00000001
#define SECPKG_CRED_OUTBOUND 0x00000002
#define SECPKG_CRED_BOTH     0x00000003
#define SECPKG_CRED_DEFAULT  0x00000004
#define SECPKG_CRED_RESERVED 0xF0000000

#define SEC_WINNT_AUTH_IDENTITY_ANSI    0x1
#define SEC_WINNT_AUTH_IDENTITY_UNICODE 0x2

typedef struct _SEC_WINNT_AUTH_IDENTITY_A {
    unsigned char *User;
    ULONG UserLength;
    unsigned char *Domain;
    ULONG DomainLength;
    unsigned char *Password;
    ULONG PasswordLength;
    ULONG Flags;
} SEC_WINNT_AUTH_IDENTITY_A, *PSEC_WINNT_AUTH_IDENTITY_A;

typedef struct _SEC_WINNT_AUTH_IDENTITY_W {
    unsigned short *User;
    ULONG UserLength;
    unsigned short *Domain;
    ULONG DomainLength;
    unsigned short *Password;
    ULONG PasswordLength;
    ULONG Flags;
} SEC_WINNT_AUTH_IDENTITY_W, *PSEC_WINNT_AUTH_IDENTITY_W;

/* Windows' extended identity (sspi.h): Version = SEC_WINNT_AUTH_IDENTITY_VERSION, Length =
 * sizeof the structure, then the fields of SEC_WINNT_AUTH_IDENTITY_A/W and a PackageList for
 * Negotiate ("Kerberos", "NTLM", "!NTLM", comma-separated; lengths in characters). */
#define SEC_WINNT_AUTH_IDENTITY_VERSION 0x200

typedef struct _SEC_WINNT_AUTH_IDENTITY_EXA {
    ULONG Version;
    ULONG Length;
    unsigned char *User;
    ULONG UserLength;
    unsigned char *Domain;
    ULONG DomainLength;
    unsigned char *Password;
    ULONG PasswordLength;
    ULONG Flags;
    unsigned char *PackageList;
    ULONG PackageListLength;
} SEC_WINNT_AUTH_IDENTITY_EXA, *PSEC_WINNT_AUTH_IDENTITY_EXA;

typedef struct _SEC_WINNT_AUTH_IDENTITY_EXW {
    ULONG Version;
    ULONG Length;
    unsigned short *User;
    ULONG UserLength;
    unsigned short *Domain;
    ULONG DomainLength;
    unsigned short *Password;
    ULONG PasswordLength;
    ULONG Flags;
    unsigned short *PackageList;
    ULONG PackageListLength;
} SEC_WINNT_AUTH_IDENTITY_EXW, *PSEC_WINNT_AUTH_IDENTITY_EXW;

typedef void(SEC_ENTRY *SEC_GET_KEY_FN)(void *Arg, void *Principal, ULONG KeyVer, void **Key,
                                        SECURITY_STATUS *Status);

/* ---- Context requirements and attributes ------------------------------------------------ */
#define ISC_REQ_DELEGATE               0x00000001
#define ISC_REQ_MUTUAL_AUTH            0x00000002
#define ISC_REQ_REPLAY_DETECT          0x00000004
#define ISC_REQ_SEQUENCE_DETECT        0x00000008
#define ISC_REQ_CONFIDENTIALITY        0x00000010
#define ISC_REQ_USE_SESSION_KEY        0x00000020
#define ISC_REQ_PROMPT_FOR_CREDS       0x00000040
#define ISC_REQ_USE_SUPPLIED_CREDS     0x00000080
#define ISC_REQ_ALLOCATE_MEMORY        0x00000100
#define ISC_REQ_USE_DCE_STYLE          0x00000200
#define ISC_REQ_DATAGRAM               0x00000400
#define ISC_REQ_CONNECTION             0x00000800
#define ISC_REQ_CALL_LEVEL             0x00001000
#define ISC_REQ_FRAGMENT_SUPPLIED      0x00002000
#define ISC_REQ_EXTENDED_ERROR         0x00004000
#define ISC_REQ_STREAM                 0x00008000
#define ISC_REQ_INTEGRITY              0x00010000
#define ISC_REQ_IDENTIFY               0x00020000
#define ISC_REQ_NULL_SESSION           0x00040000
#define ISC_REQ_MANUAL_CRED_VALIDATION 0x00080000
#define ISC_REQ_RESERVED1              0x00100000
#define ISC_REQ_FRAGMENT_TO_FIT        0x00200000
#define ISC_REQ_FORWARD_CREDENTIALS    0x00400000
#define ISC_REQ_NO_INTEGRITY           0x00800000
#define ISC_REQ_USE_HTTP_STYLE         0x01000000
#define ISC_REQ_UNVERIFIED_TARGET_NAME 0x20000000
#define ISC_REQ_CONFIDENTIALITY_ONLY   0x40000000

#define ISC_RET_DELEGATE               0x00000001
#define ISC_RET_MUTUAL_AUTH            0x00000002
#define ISC_RET_REPLAY_DETECT          0x00000004
#define ISC_RET_SEQUENCE_DETECT        0x00000008
#define ISC_RET_CONFIDENTIALITY        0x00000010
#define ISC_RET_USE_SESSION_KEY        0x00000020
#define ISC_RET_USED_COLLECTED_CREDS   0x00000040
#define ISC_RET_USED_SUPPLIED_CREDS    0x00000080
#define ISC_RET_ALLOCATED_MEMORY       0x00000100
#define ISC_RET_USED_DCE_STYLE         0x00000200
#define ISC_RET_DATAGRAM               0x00000400
#define ISC_RET_CONNECTION             0x00000800
#define ISC_RET_INTERMEDIATE_RETURN    0x00001000
#define ISC_RET_CALL_LEVEL             0x00002000
#define ISC_RET_EXTENDED_ERROR         0x00004000
#define ISC_RET_STREAM                 0x00008000
#define ISC_RET_INTEGRITY              0x00010000
#define ISC_RET_IDENTIFY               0x00020000
#define ISC_RET_NULL_SESSION           0x00040000
#define ISC_RET_MANUAL_CRED_VALIDATION 0x00080000
#define ISC_RET_RESERVED1              0x00100000
#define ISC_RET_FRAGMENT_ONLY          0x00200000
#define ISC_RET_FORWARD_CREDENTIALS    0x00400000
#define ISC_RET_USED_HTTP_STYLE        0x01000000
#define ISC_RET_NO_ADDITIONAL_TOKEN    0x02000000
#define ISC_RET_REAUTHENTICATION       0x08000000
#define ISC_RET_CONFIDENTIALITY_ONLY   0x40000000

#define ASC_REQ_DELEGATE               0x00000001
#define ASC_REQ_MUTUAL_AUTH            0x00000002
#define ASC_REQ_REPLAY_DETECT          0x00000004
#define ASC_REQ_SEQUENCE_DETECT        0x00000008
#define ASC_REQ_CONFIDENTIALITY        0x00000010
#define ASC_REQ_USE_SESSION_KEY        0x00000020
#define ASC_REQ_SESSION_TICKET         0x00000040
#define ASC_REQ_ALLOCATE_MEMORY        0x00000100
#define ASC_REQ_USE_DCE_STYLE          0x00000200
#define ASC_REQ_DATAGRAM               0x00000400
#define ASC_REQ_CONNECTION             0x00000800
#define ASC_REQ_CALL_LEVEL             0x00001000
#define ASC_REQ_FRAGMENT_SUPPLIED      0x00002000
#define ASC_REQ_EXTENDED_ERROR         0x00008000
#define ASC_REQ_STREAM                 0x00010000
#define ASC_REQ_INTEGRITY              0x00020000
#define ASC_REQ_LICENSING              0x00040000
#define ASC_REQ_IDENTIFY               0x00080000
#define ASC_REQ_ALLOW_NULL_SESSION     0x00100000
#define ASC_REQ_ALLOW_NON_USER_LOGONS  0x00200000
#define ASC_REQ_ALLOW_CONTEXT_REPLAY   0x00400000
#define ASC_REQ_FRAGMENT_TO_FIT        0x00800000
#define ASC_REQ_NO_TOKEN               0x01000000
#define ASC_REQ_PROXY_BINDINGS         0x04000000
#define ASC_REQ_ALLOW_MISSING_BINDINGS 0x10000000

#define ASC_RET_DELEGATE              0x00000001
#define ASC_RET_MUTUAL_AUTH           0x00000002
#define ASC_RET_REPLAY_DETECT         0x00000004
#define ASC_RET_SEQUENCE_DETECT       0x00000008
#define ASC_RET_CONFIDENTIALITY       0x00000010
#define ASC_RET_USE_SESSION_KEY       0x00000020
#define ASC_RET_SESSION_TICKET        0x00000040
#define ASC_RET_ALLOCATED_MEMORY      0x00000100
#define ASC_RET_USED_DCE_STYLE        0x00000200
#define ASC_RET_DATAGRAM              0x00000400
#define ASC_RET_CONNECTION            0x00000800
#define ASC_RET_CALL_LEVEL            0x00002000
#define ASC_RET_THIRD_LEG_FAILED      0x00004000
#define ASC_RET_EXTENDED_ERROR        0x00008000
#define ASC_RET_STREAM                0x00010000
#define ASC_RET_INTEGRITY             0x00020000
#define ASC_RET_LICENSING             0x00040000
#define ASC_RET_IDENTIFY              0x00080000
#define ASC_RET_NULL_SESSION          0x00100000
#define ASC_RET_ALLOW_NON_USER_LOGONS 0x00200000
#define ASC_RET_ALLOW_CONTEXT_REPLAY  0x00400000
#define ASC_RET_FRAGMENT_ONLY         0x00800000
#define ASC_RET_NO_TOKEN              0x01000000
#define ASC_RET_NO_ADDITIONAL_TOKEN   0x02000000

/* ---- Per-message protection and context export ---------------------------------------- */
/* fQOP of EncryptMessage / *pfQOP of DecryptMessage: integrity only, no encryption. */
#define SECQOP_WRAP_NO_ENCRYPT 0x80000001
#define SECQOP_WRAP_OOB_DATA   0x40000000
#define KERB_WRAP_NO_ENCRYPT   0x80000001

/* fFlags of ExportSecurityContext. */
#define SECPKG_CONTEXT_EXPORT_RESET_NEW  0x00000001
#define SECPKG_CONTEXT_EXPORT_DELETE_OLD 0x00000002
#define SECPKG_CONTEXT_EXPORT_TO_KERNEL  0x00000004

/* ---- Packages ----------------------------------------------------------------------------- */
#define SECPKG_FLAG_INTEGRITY                    0x00000001
#define SECPKG_FLAG_PRIVACY                      0x00000002
#define SECPKG_FLAG_TOKEN_ONLY                   0x00000004
#define SECPKG_FLAG_DATAGRAM                     0x00000008
#define SECPKG_FLAG_CONNECTION                   0x00000010
#define SECPKG_FLAG_MULTI_REQUIRED               0x00000020
#define SECPKG_FLAG_CLIENT_ONLY                  0x00000040
#define SECPKG_FLAG_EXTENDED_ERROR               0x00000080
#define SECPKG_FLAG_IMPERSONATION                0x00000100
#define SECPKG_FLAG_ACCEPT_WIN32_NAME            0x00000200
#define SECPKG_FLAG_STREAM                       0x00000400
#define SECPKG_FLAG_NEGOTIABLE                   0x00000800
#define SECPKG_FLAG_GSS_COMPATIBLE               0x00001000
#define SECPKG_FLAG_LOGON                        0x00002000
#define SECPKG_FLAG_ASCII_BUFFERS                0x00004000
#define SECPKG_FLAG_FRAGMENT                     0x00008000
#define SECPKG_FLAG_MUTUAL_AUTH                  0x00010000
#define SECPKG_FLAG_DELEGATION                   0x00020000
#define SECPKG_FLAG_READONLY_WITH_CHECKSUM       0x00040000
#define SECPKG_FLAG_RESTRICTED_TOKENS            0x00080000
#define SECPKG_FLAG_NEGO_EXTENDER                0x00100000
#define SECPKG_FLAG_NEGOTIABLE2                  0x00200000
#define SECPKG_FLAG_APPCONTAINER_PASSTHROUGH     0x00400000
#define SECPKG_FLAG_APPCONTAINER_CHECKS          0x00800000
#define SECPKG_FLAG_CREDENTIAL_ISOLATION_ENABLED 0x01000000
#define SECPKG_FLAG_APPLY_LOOPBACK               0x02000000

#define SECPKG_ID_NONE 0xFFFF

#define NEGOSSP_NAME_A            "Negotiate"
#define MICROSOFT_KERBEROS_NAME_A "Kerberos"
#define NTLMSP_NAME_A             "NTLM"

typedef struct _SecPkgInfoA {
    ULONG fCapabilities;
    USHORT wVersion;
    USHORT wRPCID;
    ULONG cbMaxToken;
    SEC_CHAR *Name;
    SEC_CHAR *Comment;
} SecPkgInfoA, *PSecPkgInfoA;

typedef struct _SecPkgInfoW {
    ULONG fCapabilities;
    USHORT wVersion;
    USHORT wRPCID;
    ULONG cbMaxToken;
    SEC_WCHAR *Name;
    SEC_WCHAR *Comment;
} SecPkgInfoW, *PSecPkgInfoW;

/* ---- Context attributes -------------------------------------------------------------------- */
#define SECPKG_ATTR_SIZES                    0
#define SECPKG_ATTR_NAMES                    1
#define SECPKG_ATTR_LIFESPAN                 2
#define SECPKG_ATTR_DCE_INFO                 3
#define SECPKG_ATTR_STREAM_SIZES             4
#define SECPKG_ATTR_KEY_INFO                 5
#define SECPKG_ATTR_AUTHORITY                6
#define SECPKG_ATTR_PROTO_INFO               7
#define SECPKG_ATTR_PASSWORD_EXPIRY          8
#define SECPKG_ATTR_SESSION_KEY              9
#define SECPKG_ATTR_PACKAGE_INFO             10
#define SECPKG_ATTR_USER_FLAGS               11
#define SECPKG_ATTR_NEGOTIATION_INFO         12
#define SECPKG_ATTR_NATIVE_NAMES             13
#define SECPKG_ATTR_FLAGS                    14
#define SECPKG_ATTR_USE_VALIDATED            15
#define SECPKG_ATTR_CREDENTIAL_NAME          16
#define SECPKG_ATTR_TARGET_INFORMATION       17
#define SECPKG_ATTR_ACCESS_TOKEN             18
#define SECPKG_ATTR_TARGET                   19
#define SECPKG_ATTR_AUTHENTICATION_ID        20
#define SECPKG_ATTR_LOGOFF_TIME              21
#define SECPKG_ATTR_NEGO_KEYS                22
#define SECPKG_ATTR_PROMPTING_NEEDED         24
#define SECPKG_ATTR_UNIQUE_BINDINGS          25
#define SECPKG_ATTR_ENDPOINT_BINDINGS        26
#define SECPKG_ATTR_CLIENT_SPECIFIED_TARGET  27
#define SECPKG_ATTR_LAST_CLIENT_TOKEN_STATUS 30
#define SECPKG_ATTR_NEGO_PKG_INFO            31
#define SECPKG_ATTR_NEGO_STATUS              32
#define SECPKG_ATTR_CONTEXT_DELETED          33

/* negring extension for QueryContextAttributes: after ASC_RET_DELEGATE, the name of the
 * MEMORY ccache holding the client's forwarded tickets ("MEMORY:..."), usable as KRB5CCNAME or
 * by gss_krb5_import_cred; lives as long as the context. Freed with FreeContextBuffer. */
#define SECPKG_ATTR_NEGRING_DELEGATED_CCACHE 0x4E470200u

typedef struct _SecPkgContext_NegringDelegatedCcacheA {
    SEC_CHAR *sCcacheName;
} SecPkgContext_NegringDelegatedCcacheA;

#define SECPKG_CRED_ATTR_NAMES 1
/* negring extension for SetCredentialsAttributes: re-read the keytab of INBOUND credentials
 * (after a key rollover); handshakes in flight finish with the keys they started with. */
#define SECPKG_CRED_ATTR_NEGRING_RELOAD_KEYS 0x4E470100u
/* negring extension for SetCredentialsAttributes (pBuffer NULL, cbBuffer 0): prepares the
 * calling thread for accepts with these credentials, so its first AcceptSecurityContext does no
 * file I/O: the thread's krb5_context is made (krb5.conf read) and the configuration the
 * Kerberos accept takes from it is loaded; for inbound credentials the process's replay cache
 * is made and all its memory backed (2^NEGRING_REPLAY_CACHE_LOG2 x 8 bytes, 32 MiB by default),
 * so that no accept pays a page fault. Call it once on each worker thread at start (an
 * event-loop thread must not block later). SEC_E_OK, also for NTLM-only credentials (nothing
 * to prepare); SEC_E_INTERNAL_ERROR when krb5.conf cannot be read, SEC_E_INSUFFICIENT_MEMORY
 * when the replay cache cannot be made. */
#define SECPKG_CRED_ATTR_NEGRING_PREPARE_THREAD 0x4E470101u
/* negring extension for SetCredentialsAttributes (pBuffer a ULONG, cbBuffer sizeof(ULONG)):
 * the Extended Protection policy of INBOUND credentials, for Kerberos (the 0x8003 checksum's
 * Bnd) and NTLM (MsvAvChannelBindings) alike, as IIS's extendedProtection tokenChecking:
 * WHEN_SUPPLIED (the default): a client's bindings must match the SECBUFFER_CHANNEL_BINDINGS
 * passed to AcceptSecurityContext (SEC_E_BAD_BINDINGS otherwise); a client that sends none is
 * accepted. REQUIRED: a client that sends none is refused too (SEC_E_BAD_BINDINGS), and so is
 * every client when the caller passes no bindings. Takes effect for the contexts started after
 * it; SEC_E_INVALID_PARAMETER for another value or size, SEC_E_WRONG_CREDENTIAL_HANDLE for
 * OUTBOUND credentials. */
#define SECPKG_CRED_ATTR_NEGRING_CHANNEL_BINDINGS 0x4E470102u
#define NEGRING_CHANNEL_BINDINGS_WHEN_SUPPLIED    0u
#define NEGRING_CHANNEL_BINDINGS_REQUIRED         1u

#define SECPKG_NEGOTIATION_COMPLETE      0
#define SECPKG_NEGOTIATION_OPTIMISTIC    1
#define SECPKG_NEGOTIATION_IN_PROGRESS   2
#define SECPKG_NEGOTIATION_DIRECT        3
#define SECPKG_NEGOTIATION_TRY_MULTICRED 4

typedef struct _SecPkgContext_Sizes {
    ULONG cbMaxToken;
    ULONG cbMaxSignature;
    ULONG cbBlockSize;
    ULONG cbSecurityTrailer;
} SecPkgContext_Sizes, *PSecPkgContext_Sizes;

typedef struct _SecPkgContext_StreamSizes {
    ULONG cbHeader;
    ULONG cbTrailer;
    ULONG cbMaximumMessage;
    ULONG cBuffers;
    ULONG cbBlockSize;
} SecPkgContext_StreamSizes, *PSecPkgContext_StreamSizes;

typedef struct _SecPkgContext_NamesA {
    SEC_CHAR *sUserName;
} SecPkgContext_NamesA, *PSecPkgContext_NamesA;

typedef struct _SecPkgContext_NamesW {
    SEC_WCHAR *sUserName;
} SecPkgContext_NamesW, *PSecPkgContext_NamesW;

typedef struct _SecPkgContext_NativeNamesA {
    SEC_CHAR *sClientName;
    SEC_CHAR *sServerName;
} SecPkgContext_NativeNamesA, *PSecPkgContext_NativeNamesA;

typedef struct _SecPkgContext_NativeNamesW {
    SEC_WCHAR *sClientName;
    SEC_WCHAR *sServerName;
} SecPkgContext_NativeNamesW, *PSecPkgContext_NativeNamesW;

typedef struct _SecPkgContext_Lifespan {
    TimeStamp tsStart;
    TimeStamp tsExpiry;
} SecPkgContext_Lifespan, *PSecPkgContext_Lifespan;

typedef struct _SecPkgContext_NegotiationInfoA {
    PSecPkgInfoA PackageInfo;
    ULONG NegotiationState;
} SecPkgContext_NegotiationInfoA, *PSecPkgContext_NegotiationInfoA;

typedef struct _SecPkgContext_NegotiationInfoW {
    PSecPkgInfoW PackageInfo;
    ULONG NegotiationState;
} SecPkgContext_NegotiationInfoW, *PSecPkgContext_NegotiationInfoW;

typedef struct _SecPkgContext_PackageInfoA {
    PSecPkgInfoA PackageInfo;
} SecPkgContext_PackageInfoA, *PSecPkgContext_PackageInfoA;

typedef struct _SecPkgContext_PackageInfoW {
    PSecPkgInfoW PackageInfo;
} SecPkgContext_PackageInfoW, *PSecPkgContext_PackageInfoW;

typedef struct _SecPkgContext_SessionKey {
    ULONG SessionKeyLength;
    unsigned char *SessionKey;
} SecPkgContext_SessionKey, *PSecPkgContext_SessionKey;

typedef struct _SecPkgContext_Flags {
    ULONG Flags;
} SecPkgContext_Flags, *PSecPkgContext_Flags;

typedef struct _SecPkgContext_KeyInfoA {
    SEC_CHAR *sSignatureAlgorithmName;
    SEC_CHAR *sEncryptAlgorithmName;
    ULONG KeySize;
    ULONG SignatureAlgorithm;
    ULONG EncryptAlgorithm;
} SecPkgContext_KeyInfoA, *PSecPkgContext_KeyInfoA;

typedef struct _SecPkgContext_KeyInfoW {
    SEC_WCHAR *sSignatureAlgorithmName;
    SEC_WCHAR *sEncryptAlgorithmName;
    ULONG KeySize;
    ULONG SignatureAlgorithm;
    ULONG EncryptAlgorithm;
} SecPkgContext_KeyInfoW, *PSecPkgContext_KeyInfoW;

typedef struct _SecPkgContext_AuthorityA {
    SEC_CHAR *sAuthorityName;
} SecPkgContext_AuthorityA, *PSecPkgContext_AuthorityA;

typedef struct _SecPkgContext_AuthorityW {
    SEC_WCHAR *sAuthorityName;
} SecPkgContext_AuthorityW, *PSecPkgContext_AuthorityW;

/* SECPKG_ATTR_ACCESS_TOKEN: the negring access token (include/negring/access_token.h) of an
 * accepted context; it lives as long as the context: do not close it. */
typedef struct _SecPkgContext_AccessToken {
    void *AccessToken;
} SecPkgContext_AccessToken, *PSecPkgContext_AccessToken;

/* SECPKG_ATTR_DCE_INFO: AuthzSvc RPC_C_AUTHZ_NAME and pPac the client's name (UTF-8 for the A
 * form, UTF-16 for W), freed with FreeContextBuffer. */
#define RPC_C_AUTHZ_NONE 0
#define RPC_C_AUTHZ_NAME 1
#define RPC_C_AUTHZ_DCE  2

typedef struct _SecPkgContext_DceInfo {
    ULONG AuthzSvc;
    void *pPac;
} SecPkgContext_DceInfo, *PSecPkgContext_DceInfo;

typedef struct _SecPkgContext_TargetInformation {
    ULONG MarshalledTargetInfoLength;
    unsigned char *MarshalledTargetInfo;
} SecPkgContext_TargetInformation, *PSecPkgContext_TargetInformation;

/* SECPKG_ATTR_CLIENT_SPECIFIED_TARGET: the service principal the client asked for (UTF-16, as
 * Windows declares it for both forms). */
typedef struct _SecPkgContext_ClientSpecifiedTarget {
    SEC_WCHAR *sTargetName;
} SecPkgContext_ClientSpecifiedTarget, *PSecPkgContext_ClientSpecifiedTarget;

typedef enum _SECPKG_ATTR_LCT_STATUS {
    SecPkgAttrLastClientTokenYes,
    SecPkgAttrLastClientTokenNo,
    SecPkgAttrLastClientTokenMaybe
} SECPKG_ATTR_LCT_STATUS,
    *PSECPKG_ATTR_LCT_STATUS;

typedef struct _SecPkgContext_LastClientTokenStatus {
    SECPKG_ATTR_LCT_STATUS LastClientTokenStatus;
} SecPkgContext_LastClientTokenStatus, *PSecPkgContext_LastClientTokenStatus;

typedef struct _SecPkgCredentials_NamesA {
    SEC_CHAR *sUserName;
} SecPkgCredentials_NamesA, *PSecPkgCredentials_NamesA;

typedef struct _SecPkgCredentials_NamesW {
    SEC_WCHAR *sUserName;
} SecPkgCredentials_NamesW, *PSecPkgCredentials_NamesW;

/* ---- negring extension: acceptor credentials from a named keytab --------------------------
 * Pass a NEGRING_ACCEPTOR_AUTH_DATA as pAuthData of AcquireCredentialsHandle (INBOUND or BOTH)
 * to name the keytab ("FILE:/path", or a plain path); without it KRB5_KTNAME (or the system
 * default keytab) is used. The Version field tells it apart from SEC_WINNT_AUTH_IDENTITY. */
#define NEGRING_ACCEPTOR_AUTH_DATA_VERSION 0x4E470001u

typedef struct _NEGRING_ACCEPTOR_AUTH_DATA {
    ULONG Version;                       /* NEGRING_ACCEPTOR_AUTH_DATA_VERSION */
    const char *Keytab;                  /* keytab name; NULL: KRB5_KTNAME or the default */
    ULONG ClockSkewSeconds;              /* 0: the krb5 profile's clockskew (default 300) */
    PSEC_WINNT_AUTH_IDENTITY_A Identity; /* with SECPKG_CRED_BOTH: outbound identity, or NULL */
} NEGRING_ACCEPTOR_AUTH_DATA, *PNEGRING_ACCEPTOR_AUTH_DATA;

/* Version 2: the same first fields, then the NTLM acceptor's settings (docs/ntlm.md). Pass it
 * as pAuthData for "NTLM" or "Negotiate" INBOUND credentials that accept NTLM. */
#define NEGRING_ACCEPTOR_AUTH_DATA_VERSION_2 0x4E470002u

typedef struct _NEGRING_ACCEPTOR_AUTH_DATA2 {
    ULONG Version;                       /* NEGRING_ACCEPTOR_AUTH_DATA_VERSION_2 */
    const char *Keytab;                  /* as in NEGRING_ACCEPTOR_AUTH_DATA */
    ULONG ClockSkewSeconds;              /* also the NTLM time stamp window (default 300) */
    PSEC_WINNT_AUTH_IDENTITY_A Identity; /* as in NEGRING_ACCEPTOR_AUTH_DATA */
    const char *UserDatabase; /* NTLM accounts file; NULL: $NEGRING_USER_DB, else no NTLM */
    const char *NtlmDomain;   /* NetBIOS domain named in CHALLENGE; NULL: the file's first */
    const char *NtlmComputer; /* NetBIOS computer name; NULL: the host name, uppercased */
    const char *DnsDomain;    /* MsvAvDnsDomainName; NULL: omitted */
    const char *DnsComputer;  /* MsvAvDnsComputerName; NULL: the host name */
    ULONG NtlmOptions;        /* NEGRING_NTLM_* below */
} NEGRING_ACCEPTOR_AUTH_DATA2, *PNEGRING_ACCEPTOR_AUTH_DATA2;

/* Version 3: Version 2's fields, then PackageList, the mechanisms "Negotiate" credentials may
 * use, as Windows' SEC_WINNT_AUTH_IDENTITY_EX PackageList: names separated by commas, each
 * "Kerberos" or "NTLM", "!" before a name excludes it ("!NTLM"); with any name not excluded
 * only the names listed are used. NULL or "": every mechanism the keys allow. Unknown names
 * (packages Windows has and negring does not) are ignored; a list that leaves no mechanism
 * fails with SEC_E_NO_CREDENTIALS, one over 1024 bytes with SEC_E_INVALID_PARAMETER. Other
 * packages ignore it, as on Windows. A Negotiate
 * credential without Kerberos (or NTLM) never offers it and refuses its tokens, raw or in
 * SPNEGO, with SEC_E_LOGON_DENIED (docs/api.md). */
#define NEGRING_ACCEPTOR_AUTH_DATA_VERSION_3 0x4E470003u

typedef struct _NEGRING_ACCEPTOR_AUTH_DATA3 {
    ULONG Version;      /* NEGRING_ACCEPTOR_AUTH_DATA_VERSION_3 */
    const char *Keytab; /* as in NEGRING_ACCEPTOR_AUTH_DATA2 ... */
    ULONG ClockSkewSeconds;
    PSEC_WINNT_AUTH_IDENTITY_A Identity;
    const char *UserDatabase;
    const char *NtlmDomain;
    const char *NtlmComputer;
    const char *DnsDomain;
    const char *DnsComputer;
    ULONG NtlmOptions;       /* ... to here */
    const char *PackageList; /* "Kerberos", "NTLM", "!NTLM", ...; NULL: all */
} NEGRING_ACCEPTOR_AUTH_DATA3, *PNEGRING_ACCEPTOR_AUTH_DATA3;

/* NtlmOptions. With a principal passed to AcquireCredentialsHandle, NTLM also checks the
 * client's MsvAvTargetName against it (MS-NLMP §3.2.5.1.2), as the TARGET_NAME_* flags say. */
/* REQUIRE_BINDINGS: refuse clients that send no channel bindings. ALLOW_ANONYMOUS: accept the
 * anonymous logon ("NT AUTHORITY\\ANONYMOUS LOGON", ASC_RET_NULL_SESSION, no session key), as
 * ASC_REQ_ALLOW_NULL_SESSION does for one context. */
#define NEGRING_NTLM_REQUIRE_BINDINGS 0x1u
#define NEGRING_NTLM_ALLOW_ANONYMOUS  0x2u
/* The target name policy (with a principal; docs/ntlm.md), Windows' three SPN target name
 * validation levels ("Microsoft network server: Server SPN target name validation level": off,
 * accept if provided by client, required from client). Neither flag: a target name the client
 * supplies must name the principal's service (service class and host, any port); none is
 * accepted. TARGET_NAME_OFF: not looked at. TARGET_NAME_REQUIRED: one must be supplied and name
 * it. Both: SEC_E_INVALID_PARAMETER. */
#define NEGRING_NTLM_TARGET_NAME_OFF      0x4u
#define NEGRING_NTLM_TARGET_NAME_REQUIRED 0x8u

/* ---- negring extension: why an AcceptSecurityContext leg failed ---------------------------
 * Windows writes the reason for a refused logon to its event log only; the caller sees one
 * SECURITY_STATUS (SEC_E_LOGON_DENIED for most). A server that wants the reason for its own logs
 * adds to pOutput a SecBuffer of type SECBUFFER_NEGRING_FAILURE whose pvBuffer points at a
 * NEGRING_FAILURE_INFO (cbBuffer = its size; the caller's memory, never allocated). Every
 * AcceptSecurityContext call that finds it clears it, and a call that fails fills it: the
 * reason, the mechanism the failure happened in, the client's name when the mechanism had
 * learned it (NTLM's AUTHENTICATE names the user; a Kerberos ticket does once decrypted), and
 * a sentence in the mechanism's terms (for a key the keytab lacks: the ticket's key version
 * and type against those the keytab holds). The client is told nothing more than the status.
 * A buffer of another size is left alone. docs/api.md lists which failure gives which reason. */
#define SECBUFFER_NEGRING_FAILURE 0x4E47u

/* Windows' rpcdce.h values, the wRPCID of each package. */
#ifndef RPC_C_AUTHN_WINNT
#define RPC_C_AUTHN_GSS_NEGOTIATE 9
#define RPC_C_AUTHN_WINNT         10
#define RPC_C_AUTHN_GSS_KERBEROS  16
#endif

#define NEGRING_REASON_NONE             0  /* the call did not fail */
#define NEGRING_REASON_OTHER            1  /* nothing to add to the SECURITY_STATUS */
#define NEGRING_REASON_MALFORMED        2  /* a token that does not parse */
#define NEGRING_REASON_NO_MECHANISM     3  /* nothing in common with the client's offer */
#define NEGRING_REASON_REPLAY           4  /* an authenticator (or AUTHENTICATE) seen before */
#define NEGRING_REASON_CLOCK_SKEW       5  /* the client's time is outside the skew window */
#define NEGRING_REASON_EXPIRED          6  /* the ticket has expired or is not yet valid */
#define NEGRING_REASON_BAD_PAC          7  /* the ticket's PAC does not verify */
#define NEGRING_REASON_STALE_KEY        8  /* no key of the ticket's kvno/enctype in the keytab */
#define NEGRING_REASON_WRONG_KEY        9  /* the key of that kvno/enctype does not decrypt it */
#define NEGRING_REASON_WRONG_SERVICE    10 /* the ticket or target name is for another service */
#define NEGRING_REASON_UNKNOWN_REALM    11 /* a realm (NTLM: domain) we hold no keys for */
#define NEGRING_REASON_UNKNOWN_USER     12 /* NTLM: no such account */
#define NEGRING_REASON_WRONG_PASSWORD   13 /* NTLM: the response does not verify */
#define NEGRING_REASON_ACCOUNT_DISABLED 14 /* NTLM: the account is disabled */
#define NEGRING_REASON_BAD_BINDINGS     15 /* channel bindings differ */
#define NEGRING_REASON_TAMPERED         16 /* a MIC (NTLM's, SPNEGO's mechListMIC) fails */
#define NEGRING_REASON_POLICY           17 /* NTLMv1/LM, anonymous, a mechanism left out */
#define NEGRING_REASON_RESOURCES        18 /* out of memory or table room */
#define NEGRING_REASON_LOGON_DENIED     19 /* refused, with no finer reason */

typedef struct _NEGRING_FAILURE_INFO {
    ULONG Reason;          /* NEGRING_REASON_* */
    USHORT MechanismRpcId; /* the failing mechanism's package wRPCID: RPC_C_AUTHN_GSS_KERBEROS,
                            * RPC_C_AUTHN_WINNT (NTLM); 0 before a mechanism was chosen */
    USHORT Reserved;
    SECURITY_STATUS Status; /* what the call returned */
    char UserName[256];     /* UTF-8, as the mechanism spells it ("alice@REALM",
                             * "DOMAIN\\alice"); "" when not known; cut to 255 bytes */
    char Detail[256];       /* UTF-8, in the mechanism's terms; "" when there is nothing more */
} NEGRING_FAILURE_INFO, *PNEGRING_FAILURE_INFO;

/* A short fixed name of a reason ("replay", "stale_key", ...), for logs and metric labels;
 * "unknown" for a value this version does not define. Thread-safe. */
const char *negring_failure_reason_name(ULONG Reason);

/* ---- Functions --------------------------------------------------------------------------- */
SECURITY_STATUS SEC_ENTRY EnumerateSecurityPackagesA(PULONG pcPackages,
                                                     PSecPkgInfoA *ppPackageInfo);
SECURITY_STATUS SEC_ENTRY EnumerateSecurityPackagesW(PULONG pcPackages,
                                                     PSecPkgInfoW *ppPackageInfo);
SECURITY_STATUS SEC_ENTRY QuerySecurityPackageInfoA(LPSTR pszPackageName,
                                                    PSecPkgInfoA *ppPackageInfo);
SECURITY_STATUS SEC_ENTRY QuerySecurityPackageInfoW(LPWSTR pszPackageName,
                                                    PSecPkgInfoW *ppPackageInfo);

SECURITY_STATUS SEC_ENTRY AcquireCredentialsHandleA(LPSTR pszPrincipal, LPSTR pszPackage,
                                                    ULONG fCredentialUse, void *pvLogonId,
                                                    void *pAuthData, SEC_GET_KEY_FN pGetKeyFn,
                                                    void *pvGetKeyArgument,
                                                    PCredHandle phCredential, PTimeStamp ptsExpiry);
SECURITY_STATUS SEC_ENTRY AcquireCredentialsHandleW(LPWSTR pszPrincipal, LPWSTR pszPackage,
                                                    ULONG fCredentialUse, void *pvLogonId,
                                                    void *pAuthData, SEC_GET_KEY_FN pGetKeyFn,
                                                    void *pvGetKeyArgument,
                                                    PCredHandle phCredential, PTimeStamp ptsExpiry);
SECURITY_STATUS SEC_ENTRY FreeCredentialsHandle(PCredHandle phCredential);
SECURITY_STATUS SEC_ENTRY QueryCredentialsAttributesA(PCredHandle phCredential, ULONG ulAttribute,
                                                      void *pBuffer);
SECURITY_STATUS SEC_ENTRY QueryCredentialsAttributesW(PCredHandle phCredential, ULONG ulAttribute,
                                                      void *pBuffer);
SECURITY_STATUS SEC_ENTRY SetCredentialsAttributesA(PCredHandle phCredential, ULONG ulAttribute,
                                                    void *pBuffer, ULONG cbBuffer);
SECURITY_STATUS SEC_ENTRY SetCredentialsAttributesW(PCredHandle phCredential, ULONG ulAttribute,
                                                    void *pBuffer, ULONG cbBuffer);

SECURITY_STATUS SEC_ENTRY AcceptSecurityContext(PCredHandle phCredential, PCtxtHandle phContext,
                                                PSecBufferDesc pInput, ULONG fContextReq,
                                                ULONG TargetDataRep, PCtxtHandle phNewContext,
                                                PSecBufferDesc pOutput, PULONG pfContextAttr,
                                                PTimeStamp ptsTimeStamp);
SECURITY_STATUS SEC_ENTRY InitializeSecurityContextA(
    PCredHandle phCredential, PCtxtHandle phContext, SEC_CHAR *pszTargetName, ULONG fContextReq,
    ULONG Reserved1, ULONG TargetDataRep, PSecBufferDesc pInput, ULONG Reserved2,
    PCtxtHandle phNewContext, PSecBufferDesc pOutput, PULONG pfContextAttr, PTimeStamp ptsExpiry);
SECURITY_STATUS SEC_ENTRY InitializeSecurityContextW(
    PCredHandle phCredential, PCtxtHandle phContext, SEC_WCHAR *pszTargetName, ULONG fContextReq,
    ULONG Reserved1, ULONG TargetDataRep, PSecBufferDesc pInput, ULONG Reserved2,
    PCtxtHandle phNewContext, PSecBufferDesc pOutput, PULONG pfContextAttr, PTimeStamp ptsExpiry);
SECURITY_STATUS SEC_ENTRY CompleteAuthToken(PCtxtHandle phContext, PSecBufferDesc pToken);
SECURITY_STATUS SEC_ENTRY ApplyControlToken(PCtxtHandle phContext, PSecBufferDesc pInput);
SECURITY_STATUS SEC_ENTRY DeleteSecurityContext(PCtxtHandle phContext);
SECURITY_STATUS SEC_ENTRY FreeContextBuffer(PVOID pvContextBuffer);
SECURITY_STATUS SEC_ENTRY QueryContextAttributesA(PCtxtHandle phContext, ULONG ulAttribute,
                                                  void *pBuffer);
SECURITY_STATUS SEC_ENTRY QueryContextAttributesW(PCtxtHandle phContext, ULONG ulAttribute,
                                                  void *pBuffer);
SECURITY_STATUS SEC_ENTRY ImpersonateSecurityContext(PCtxtHandle phContext);
SECURITY_STATUS SEC_ENTRY RevertSecurityContext(PCtxtHandle phContext);
SECURITY_STATUS SEC_ENTRY QuerySecurityContextToken(PCtxtHandle phContext, void **Token);
SECURITY_STATUS SEC_ENTRY MakeSignature(PCtxtHandle phContext, ULONG fQOP, PSecBufferDesc pMessage,
                                        ULONG MessageSeqNo);
SECURITY_STATUS SEC_ENTRY VerifySignature(PCtxtHandle phContext, PSecBufferDesc pMessage,
                                          ULONG MessageSeqNo, PULONG pfQOP);
SECURITY_STATUS SEC_ENTRY EncryptMessage(PCtxtHandle phContext, ULONG fQOP, PSecBufferDesc pMessage,
                                         ULONG MessageSeqNo);
SECURITY_STATUS SEC_ENTRY DecryptMessage(PCtxtHandle phContext, PSecBufferDesc pMessage,
                                         ULONG MessageSeqNo, PULONG pfQOP);
SECURITY_STATUS SEC_ENTRY ExportSecurityContext(PCtxtHandle phContext, ULONG fFlags,
                                                PSecBuffer pPackedContext, void **pToken);
SECURITY_STATUS SEC_ENTRY ImportSecurityContextA(LPSTR pszPackage, PSecBuffer pPackedContext,
                                                 void *Token, PCtxtHandle phContext);
SECURITY_STATUS SEC_ENTRY ImportSecurityContextW(LPWSTR pszPackage, PSecBuffer pPackedContext,
                                                 void *Token, PCtxtHandle phContext);

/* ---- The dispatch table (same field order as Windows) ------------------------------------ */
#define SECURITY_SUPPORT_PROVIDER_INTERFACE_VERSION   1
#define SECURITY_SUPPORT_PROVIDER_INTERFACE_VERSION_2 2
#define SECURITY_SUPPORT_PROVIDER_INTERFACE_VERSION_3 3
#define SECURITY_SUPPORT_PROVIDER_INTERFACE_VERSION_4 4

typedef SECURITY_STATUS(SEC_ENTRY *ENUMERATE_SECURITY_PACKAGES_FN_A)(PULONG, PSecPkgInfoA *);
typedef SECURITY_STATUS(SEC_ENTRY *ENUMERATE_SECURITY_PACKAGES_FN_W)(PULONG, PSecPkgInfoW *);
typedef SECURITY_STATUS(SEC_ENTRY *QUERY_CREDENTIALS_ATTRIBUTES_FN_A)(PCredHandle, ULONG, void *);
typedef SECURITY_STATUS(SEC_ENTRY *QUERY_CREDENTIALS_ATTRIBUTES_FN_W)(PCredHandle, ULONG, void *);
typedef SECURITY_STATUS(SEC_ENTRY *ACQUIRE_CREDENTIALS_HANDLE_FN_A)(LPSTR, LPSTR, ULONG, void *,
                                                                    void *, SEC_GET_KEY_FN, void *,
                                                                    PCredHandle, PTimeStamp);
typedef SECURITY_STATUS(SEC_ENTRY *ACQUIRE_CREDENTIALS_HANDLE_FN_W)(LPWSTR, LPWSTR, ULONG, void *,
                                                                    void *, SEC_GET_KEY_FN, void *,
                                                                    PCredHandle, PTimeStamp);
typedef SECURITY_STATUS(SEC_ENTRY *FREE_CREDENTIALS_HANDLE_FN)(PCredHandle);
typedef SECURITY_STATUS(SEC_ENTRY *INITIALIZE_SECURITY_CONTEXT_FN_A)(PCredHandle, PCtxtHandle,
                                                                     SEC_CHAR *, ULONG, ULONG,
                                                                     ULONG, PSecBufferDesc, ULONG,
                                                                     PCtxtHandle, PSecBufferDesc,
                                                                     PULONG, PTimeStamp);
typedef SECURITY_STATUS(SEC_ENTRY *INITIALIZE_SECURITY_CONTEXT_FN_W)(PCredHandle, PCtxtHandle,
                                                                     SEC_WCHAR *, ULONG, ULONG,
                                                                     ULONG, PSecBufferDesc, ULONG,
                                                                     PCtxtHandle, PSecBufferDesc,
                                                                     PULONG, PTimeStamp);
typedef SECURITY_STATUS(SEC_ENTRY *ACCEPT_SECURITY_CONTEXT_FN)(PCredHandle, PCtxtHandle,
                                                               PSecBufferDesc, ULONG, ULONG,
                                                               PCtxtHandle, PSecBufferDesc, PULONG,
                                                               PTimeStamp);
typedef SECURITY_STATUS(SEC_ENTRY *COMPLETE_AUTH_TOKEN_FN)(PCtxtHandle, PSecBufferDesc);
typedef SECURITY_STATUS(SEC_ENTRY *DELETE_SECURITY_CONTEXT_FN)(PCtxtHandle);
typedef SECURITY_STATUS(SEC_ENTRY *APPLY_CONTROL_TOKEN_FN)(PCtxtHandle, PSecBufferDesc);
typedef SECURITY_STATUS(SEC_ENTRY *QUERY_CONTEXT_ATTRIBUTES_FN_A)(PCtxtHandle, ULONG, void *);
typedef SECURITY_STATUS(SEC_ENTRY *QUERY_CONTEXT_ATTRIBUTES_FN_W)(PCtxtHandle, ULONG, void *);
typedef SECURITY_STATUS(SEC_ENTRY *IMPERSONATE_SECURITY_CONTEXT_FN)(PCtxtHandle);
typedef SECURITY_STATUS(SEC_ENTRY *REVERT_SECURITY_CONTEXT_FN)(PCtxtHandle);
typedef SECURITY_STATUS(SEC_ENTRY *MAKE_SIGNATURE_FN)(PCtxtHandle, ULONG, PSecBufferDesc, ULONG);
typedef SECURITY_STATUS(SEC_ENTRY *VERIFY_SIGNATURE_FN)(PCtxtHandle, PSecBufferDesc, ULONG, PULONG);
typedef SECURITY_STATUS(SEC_ENTRY *FREE_CONTEXT_BUFFER_FN)(PVOID);
typedef SECURITY_STATUS(SEC_ENTRY *QUERY_SECURITY_PACKAGE_INFO_FN_A)(SEC_CHAR *, PSecPkgInfoA *);
typedef SECURITY_STATUS(SEC_ENTRY *QUERY_SECURITY_PACKAGE_INFO_FN_W)(SEC_WCHAR *, PSecPkgInfoW *);
typedef SECURITY_STATUS(SEC_ENTRY *EXPORT_SECURITY_CONTEXT_FN)(PCtxtHandle, ULONG, PSecBuffer,
                                                               void **);
typedef SECURITY_STATUS(SEC_ENTRY *IMPORT_SECURITY_CONTEXT_FN_A)(SEC_CHAR *, PSecBuffer, void *,
                                                                 PCtxtHandle);
typedef SECURITY_STATUS(SEC_ENTRY *IMPORT_SECURITY_CONTEXT_FN_W)(SEC_WCHAR *, PSecBuffer, void *,
                                                                 PCtxtHandle);
typedef SECURITY_STATUS(SEC_ENTRY *ADD_CREDENTIALS_FN_A)(PCredHandle, SEC_CHAR *, SEC_CHAR *, ULONG,
                                                         void *, SEC_GET_KEY_FN, void *,
                                                         PTimeStamp);
typedef SECURITY_STATUS(SEC_ENTRY *ADD_CREDENTIALS_FN_W)(PCredHandle, SEC_WCHAR *, SEC_WCHAR *,
                                                         ULONG, void *, SEC_GET_KEY_FN, void *,
                                                         PTimeStamp);
typedef SECURITY_STATUS(SEC_ENTRY *QUERY_SECURITY_CONTEXT_TOKEN_FN)(PCtxtHandle, void **);
typedef SECURITY_STATUS(SEC_ENTRY *ENCRYPT_MESSAGE_FN)(PCtxtHandle, ULONG, PSecBufferDesc, ULONG);
typedef SECURITY_STATUS(SEC_ENTRY *DECRYPT_MESSAGE_FN)(PCtxtHandle, PSecBufferDesc, ULONG, PULONG);
typedef SECURITY_STATUS(SEC_ENTRY *SET_CONTEXT_ATTRIBUTES_FN_A)(PCtxtHandle, ULONG, void *, ULONG);
typedef SECURITY_STATUS(SEC_ENTRY *SET_CONTEXT_ATTRIBUTES_FN_W)(PCtxtHandle, ULONG, void *, ULONG);
typedef SECURITY_STATUS(SEC_ENTRY *SET_CREDENTIALS_ATTRIBUTES_FN_A)(PCredHandle, ULONG, void *,
                                                                    ULONG);
typedef SECURITY_STATUS(SEC_ENTRY *SET_CREDENTIALS_ATTRIBUTES_FN_W)(PCredHandle, ULONG, void *,
                                                                    ULONG);
typedef SECURITY_STATUS(SEC_ENTRY *CHANGE_PASSWORD_FN_A)(SEC_CHAR *, SEC_CHAR *, SEC_CHAR *,
                                                         SEC_CHAR *, SEC_CHAR *, BOOLEAN, ULONG,
                                                         PSecBufferDesc);
typedef SECURITY_STATUS(SEC_ENTRY *CHANGE_PASSWORD_FN_W)(SEC_WCHAR *, SEC_WCHAR *, SEC_WCHAR *,
                                                         SEC_WCHAR *, SEC_WCHAR *, BOOLEAN, ULONG,
                                                         PSecBufferDesc);

typedef struct _SECURITY_FUNCTION_TABLE_A {
    ULONG dwVersion;
    ENUMERATE_SECURITY_PACKAGES_FN_A EnumerateSecurityPackagesA;
    QUERY_CREDENTIALS_ATTRIBUTES_FN_A QueryCredentialsAttributesA;
    ACQUIRE_CREDENTIALS_HANDLE_FN_A AcquireCredentialsHandleA;
    FREE_CREDENTIALS_HANDLE_FN FreeCredentialsHandle;
    void *Reserved2;
    INITIALIZE_SECURITY_CONTEXT_FN_A InitializeSecurityContextA;
    ACCEPT_SECURITY_CONTEXT_FN AcceptSecurityContext;
    COMPLETE_AUTH_TOKEN_FN CompleteAuthToken;
    DELETE_SECURITY_CONTEXT_FN DeleteSecurityContext;
    APPLY_CONTROL_TOKEN_FN ApplyControlToken;
    QUERY_CONTEXT_ATTRIBUTES_FN_A QueryContextAttributesA;
    IMPERSONATE_SECURITY_CONTEXT_FN ImpersonateSecurityContext;
    REVERT_SECURITY_CONTEXT_FN RevertSecurityContext;
    MAKE_SIGNATURE_FN MakeSignature;
    VERIFY_SIGNATURE_FN VerifySignature;
    FREE_CONTEXT_BUFFER_FN FreeContextBuffer;
    QUERY_SECURITY_PACKAGE_INFO_FN_A QuerySecurityPackageInfoA;
    void *Reserved3;
    void *Reserved4;
    EXPORT_SECURITY_CONTEXT_FN ExportSecurityContext;
    IMPORT_SECURITY_CONTEXT_FN_A ImportSecurityContextA;
    ADD_CREDENTIALS_FN_A AddCredentialsA;
    void *Reserved8;
    QUERY_SECURITY_CONTEXT_TOKEN_FN QuerySecurityContextToken;
    ENCRYPT_MESSAGE_FN EncryptMessage;
    DECRYPT_MESSAGE_FN DecryptMessage;
    SET_CONTEXT_ATTRIBUTES_FN_A SetContextAttributesA;
    SET_CREDENTIALS_ATTRIBUTES_FN_A SetCredentialsAttributesA;
    CHANGE_PASSWORD_FN_A ChangeAccountPasswordA;
} SecurityFunctionTableA, *PSecurityFunctionTableA;

typedef struct _SECURITY_FUNCTION_TABLE_W {
    ULONG dwVersion;
    ENUMERATE_SECURITY_PACKAGES_FN_W EnumerateSecurityPackagesW;
    QUERY_CREDENTIALS_ATTRIBUTES_FN_W QueryCredentialsAttributesW;
    ACQUIRE_CREDENTIALS_HANDLE_FN_W AcquireCredentialsHandleW;
    FREE_CREDENTIALS_HANDLE_FN FreeCredentialsHandle;
    void *Reserved2;
    INITIALIZE_SECURITY_CONTEXT_FN_W InitializeSecurityContextW;
    ACCEPT_SECURITY_CONTEXT_FN AcceptSecurityContext;
    COMPLETE_AUTH_TOKEN_FN CompleteAuthToken;
    DELETE_SECURITY_CONTEXT_FN DeleteSecurityContext;
    APPLY_CONTROL_TOKEN_FN ApplyControlToken;
    QUERY_CONTEXT_ATTRIBUTES_FN_W QueryContextAttributesW;
    IMPERSONATE_SECURITY_CONTEXT_FN ImpersonateSecurityContext;
    REVERT_SECURITY_CONTEXT_FN RevertSecurityContext;
    MAKE_SIGNATURE_FN MakeSignature;
    VERIFY_SIGNATURE_FN VerifySignature;
    FREE_CONTEXT_BUFFER_FN FreeContextBuffer;
    QUERY_SECURITY_PACKAGE_INFO_FN_W QuerySecurityPackageInfoW;
    void *Reserved3;
    void *Reserved4;
    EXPORT_SECURITY_CONTEXT_FN ExportSecurityContext;
    IMPORT_SECURITY_CONTEXT_FN_W ImportSecurityContextW;
    ADD_CREDENTIALS_FN_W AddCredentialsW;
    void *Reserved8;
    QUERY_SECURITY_CONTEXT_TOKEN_FN QuerySecurityContextToken;
    ENCRYPT_MESSAGE_FN EncryptMessage;
    DECRYPT_MESSAGE_FN DecryptMessage;
    SET_CONTEXT_ATTRIBUTES_FN_W SetContextAttributesW;
    SET_CREDENTIALS_ATTRIBUTES_FN_W SetCredentialsAttributesW;
    CHANGE_PASSWORD_FN_W ChangeAccountPasswordW;
} SecurityFunctionTableW, *PSecurityFunctionTableW;

PSecurityFunctionTableA SEC_ENTRY InitSecurityInterfaceA(void);
PSecurityFunctionTableW SEC_ENTRY InitSecurityInterfaceW(void);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif

#endif /* NEGRING_SSPI_H */
