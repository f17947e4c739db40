/* The initiating side (InitializeSecurityContext) fed a hostile server's replies: SPNEGO
 * NegTokenResp, the Kerberos AP-REP (RFC 4120 §5.5.2) and the NTLM CHALLENGE (MS-NLMP §2.2.1.2)
 * reach our parsers from whatever server a client (the load generator, an embedding proxy)
 * talks to. Each input starts a real context -- the first call makes an AP-REQ from the realm's
 * ccache (scripts/fuzz.sh) or an NTLM NEGOTIATE -- and then hands it the replies.
 *
 * Input: a control byte, then the server's replies separated by "\xfe\xedLEG".
 *   0x03 package: 0 Negotiate, 1 Kerberos, 2 NTLM (identity EXAMPLE\alice), 3 Negotiate as 2
 *   0x04 ISC_REQ_MUTUAL_AUTH     0x08 ISC_REQ_ALLOCATE_MEMORY
 * Only statuses a hostile server may cause are allowed, outputs stay within their buffers, and
 * a failed context is refused for further legs. */
#define _GNU_SOURCE /* memmem */
#include <negring/sspi.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_check.h"

#define LEG_SEPARATOR     "\xfe\xedLEG"
#define LEG_SEPARATOR_LEN 5
enum { MAX_LEGS = 4, OUT_CAP = 65536 };

static CredHandle creds[4];
static bool have[4];

static bool acquire(const char *package, void *auth, PCredHandle cred)
{
    TimeStamp expiry;
    return AcquireCredentialsHandleA(NULL, (LPSTR)package, SECPKG_CRED_OUTBOUND, NULL, auth, NULL,
                                     NULL, cred, &expiry) == SEC_E_OK;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    static unsigned char user[] = "alice", domain[] = "EXAMPLE", password[] = "alice-Pass-1";
    SEC_WINNT_AUTH_IDENTITY_A id = {user,
                                    sizeof(user) - 1,
                                    domain,
                                    sizeof(domain) - 1,
                                    password,
                                    sizeof(password) - 1,
                                    SEC_WINNT_AUTH_IDENTITY_ANSI};
    have[0] = acquire("Negotiate", NULL, &creds[0]);
    have[1] = acquire("Kerberos", NULL, &creds[1]);
    have[2] = acquire("NTLM", &id, &creds[2]);
    have[3] = acquire("Negotiate", &id, &creds[3]);
    if (!have[0]) {
        fprintf(stderr, "fuzz_initialize: no outbound Kerberos credentials (KRB5CCNAME)\n");
        exit(2);
    }
    return 0;
}

static bool server_status(SECURITY_STATUS st)
{
    switch (st) {
    case SEC_E_OK:
    case SEC_I_CONTINUE_NEEDED:
    case SEC_E_INVALID_TOKEN:
    case SEC_E_INVALID_HANDLE: /* a leg after completion or failure */
    case SEC_E_LOGON_DENIED:
    case SEC_E_MESSAGE_ALTERED:
    case SEC_E_OUT_OF_SEQUENCE:
    case SEC_E_TIME_SKEW:
    case SEC_E_UNSUPPORTED_FUNCTION:
    case SEC_E_TARGET_UNKNOWN:
    case SEC_E_WRONG_PRINCIPAL:
    case SEC_E_NO_AUTHENTICATING_AUTHORITY:
        return true;
    default:
        return false;
    }
}

static uint8_t out_bytes[OUT_CAP];

static SECURITY_STATUS leg(PCredHandle cred, PCtxtHandle ctx, bool first, const uint8_t *in,
                           size_t in_len, ULONG req)
{
    bool allocate = (req & ISC_REQ_ALLOCATE_MEMORY) != 0;
    SecBuffer ib = {(ULONG)in_len, SECBUFFER_TOKEN, (void *)in};
    SecBufferDesc id = {SECBUFFER_VERSION, 1, &ib};
    SecBuffer ob = {allocate ? 0 : OUT_CAP, SECBUFFER_TOKEN, allocate ? NULL : out_bytes};
    SecBufferDesc od = {SECBUFFER_VERSION, 1, &ob};
    ULONG attrs = 0;
    SECURITY_STATUS st = InitializeSecurityContextA(cred, first ? NULL : ctx, "HTTP/localhost", req,
                                                    0, SECURITY_NATIVE_DREP, first ? NULL : &id, 0,
                                                    ctx, &od, &attrs, NULL);
    if (!server_status(st)) {
        fprintf(stderr, "fuzz_initialize: InitializeSecurityContext returned 0x%08x\n",
                (unsigned)st);
        abort();
    }
    if (allocate) {
        FUZZ_CHECK(((attrs & ISC_RET_ALLOCATED_MEMORY) != 0) == (ob.pvBuffer != NULL));
        if (ob.pvBuffer != NULL)
            FUZZ_CHECK(FreeContextBuffer(ob.pvBuffer) == SEC_E_OK);
    } else {
        FUZZ_CHECK(ob.cbBuffer <= OUT_CAP && ob.pvBuffer == out_bytes);
    }
    return st;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t control = data[0];
    unsigned pkg = control & 0x03;
    if (!have[pkg])
        pkg = 0;
    ULONG req = ((control & 0x04) ? ISC_REQ_MUTUAL_AUTH : 0) |
                ((control & 0x08) ? ISC_REQ_ALLOCATE_MEMORY : 0) | ISC_REQ_INTEGRITY;
    CtxtHandle ctx;
    if (leg(&creds[pkg], &ctx, true, NULL, 0, req) != SEC_I_CONTINUE_NEEDED)
        return 0; /* e.g. the KDC is unreachable: nothing to fuzz this time */
    const uint8_t *p = data + 1, *end = data + size;
    bool alive = true;
    for (int i = 0; i < MAX_LEGS && alive; i++) {
        const uint8_t *sep = memmem(p, (size_t)(end - p), LEG_SEPARATOR, LEG_SEPARATOR_LEN);
        const uint8_t *stop = sep ? sep : end;
        SECURITY_STATUS st = leg(&creds[pkg], &ctx, false, p, (size_t)(stop - p), req);
        alive = st == SEC_I_CONTINUE_NEEDED && sep != NULL;
        if (st != SEC_E_OK && st != SEC_I_CONTINUE_NEEDED) { /* failed: refused from now on */
            SECURITY_STATUS again = leg(&creds[pkg], &ctx, false, p, (size_t)(stop - p), req);
            FUZZ_CHECK(again != SEC_E_OK && again != SEC_I_CONTINUE_NEEDED);
        }
        if (sep == NULL)
            break;
        p = sep + LEG_SEPARATOR_LEN;
    }
    DeleteSecurityContext(&ctx);
    return 0;
}
