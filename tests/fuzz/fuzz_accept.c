/* The stateful target: AcceptSecurityContext (Negotiate or Kerberos) driven through a
 * multi-leg sequence with real service keys, so fuzzed bytes reach everything after the parsers:
 * key lookup, libkrb5's decryption, the 0x8003 checksum, channel bindings, the replay cache,
 * the mechListMIC exchange, output buffers, handle bookkeeping.
 *
 * Input: one control byte, then the legs separated by FUZZ_LEG_SEPARATOR. Control bits:
 *   0x01 ASC_REQ_ALLOCATE_MEMORY       0x02 ASC_REQ_EXTENDED_ERROR
 *   0x04 ASC_REQ_ALLOW_CONTEXT_REPLAY  0x08 ASC_REQ_MUTUAL_AUTH | ASC_REQ_DELEGATE
 *   0x10 the Kerberos package instead of Negotiate
 *   0x20 the last leg is a SECBUFFER_CHANNEL_BINDINGS buffer passed with every leg
 *   0x40 a 32-byte output buffer (SEC_E_BUFFER_TOO_SMALL, then the leg again with room)
 *   0x80 the NTLM package (when NEGRING_USER_DB names an account database; else Negotiate)
 * The keys come from the keytab named by NEGRING_FUZZ_KEYTAB (scripts/fuzz.sh starts a realm
 * and makes fresh seed tokens for it with make_seeds.c); NEGRING_USER_DB, read by
 * AcquireCredentialsHandle itself, adds NTLM to Negotiate and enables the NTLM package. Invariants
 * checked after every leg: only statuses a hostile peer may cause (never SEC_E_INTERNAL_ERROR or
 * SEC_E_INSUFFICIENT_MEMORY), an output within the buffer, ASC_RET_ALLOCATED_MEMORY exactly when
 * memory was handed out, no security flags before the last leg, and a deleted context gone. */
#include <negring/sspi.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_check.h"

#define FUZZ_LEG_SEPARATOR     "\xfe\xedLEG"
#define FUZZ_LEG_SEPARATOR_LEN 5
enum { MAX_LEGS = 8, SMALL_OUT = 32, BIG_OUT = 65536 };

static CredHandle negotiate, kerberos, ntlm;
static bool have_ntlm;
static bool trace; /* NEGRING_FUZZ_TRACE=1: print every leg's status (to replay one input) */

static SECURITY_STATUS acquire(const char *package, const char *keytab, PCredHandle cred)
{
    NEGRING_ACCEPTOR_AUTH_DATA data = {NEGRING_ACCEPTOR_AUTH_DATA_VERSION, keytab, 0, NULL};
    TimeStamp expiry;
    return AcquireCredentialsHandleA(NULL, (LPSTR)package, SECPKG_CRED_INBOUND, NULL, &data, NULL,
                                     NULL, cred, &expiry);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *keytab = getenv("NEGRING_FUZZ_KEYTAB");
    trace = getenv("NEGRING_FUZZ_TRACE") != NULL;
    if (keytab == NULL) {
        fprintf(stderr, "fuzz_accept: set NEGRING_FUZZ_KEYTAB (scripts/fuzz.sh does)\n");
        exit(2);
    }
    if (acquire("Negotiate", keytab, &negotiate) != SEC_E_OK ||
        acquire("Kerberos", keytab, &kerberos) != SEC_E_OK) {
        fprintf(stderr, "fuzz_accept: cannot acquire credentials from %s\n", keytab);
        exit(2);
    }
    have_ntlm = getenv("NEGRING_USER_DB") != NULL && acquire("NTLM", keytab, &ntlm) == SEC_E_OK;
    return 0;
}

struct leg {
    const uint8_t *ptr;
    size_t len;
};

static size_t split_legs(const uint8_t *data, size_t size, struct leg *legs)
{
    size_t n = 0, start = 0;
    for (size_t i = 0; n + 1 < MAX_LEGS && i + FUZZ_LEG_SEPARATOR_LEN <= size; i++) {
        if (memcmp(data + i, FUZZ_LEG_SEPARATOR, FUZZ_LEG_SEPARATOR_LEN) == 0) {
            legs[n++] = (struct leg){data + start, i - start};
            start = i + FUZZ_LEG_SEPARATOR_LEN;
            i = start - 1;
        }
    }
    legs[n++] = (struct leg){data + start, size - start};
    return n;
}

static bool hostile_status(SECURITY_STATUS st)
{
    switch (st) {
    case SEC_E_OK:
    case SEC_I_CONTINUE_NEEDED:
    case SEC_E_INVALID_TOKEN:
    case SEC_E_INVALID_PARAMETER: /* a malformed channel-bindings buffer */
    case SEC_E_INVALID_HANDLE:    /* a leg after the context completed or failed */
    case SEC_E_LOGON_DENIED:
    case SEC_E_NO_AUTHENTICATING_AUTHORITY:
    case SEC_E_WRONG_PRINCIPAL:
    case SEC_E_TIME_SKEW:
    case SEC_E_CONTEXT_EXPIRED:
    case SEC_E_BAD_BINDINGS:
    case SEC_E_MESSAGE_ALTERED:
    case SEC_E_OUT_OF_SEQUENCE:
    case SEC_E_BUFFER_TOO_SMALL:
        return true;
    default:
        return false;
    }
}

static uint8_t out_bytes[BIG_OUT];

/* One AcceptSecurityContext call with the invariants checked; frees allocated output. */
static SECURITY_STATUS one_leg(PCredHandle cred, PCtxtHandle ctx, bool first, struct leg in,
                               struct leg bindings, ULONG req, size_t out_cap, PCtxtHandle new_ctx)
{
    SecBuffer in_bufs[2] = {
        {(ULONG)in.len, SECBUFFER_TOKEN, (void *)in.ptr},
        {(ULONG)bindings.len, SECBUFFER_CHANNEL_BINDINGS, (void *)bindings.ptr}};
    SecBufferDesc in_desc = {SECBUFFER_VERSION, bindings.ptr ? 2 : 1, in_bufs};
    bool allocate = (req & ASC_REQ_ALLOCATE_MEMORY) != 0;
    SecBuffer out_buf = {allocate ? 0 : (ULONG)out_cap, SECBUFFER_TOKEN,
                         allocate ? NULL : out_bytes};
    SecBufferDesc out_desc = {SECBUFFER_VERSION, 1, &out_buf};
    ULONG attrs = 0xdeadbeef;
    TimeStamp expiry = {.QuadPart = 0x1122334455667788};
    SECURITY_STATUS st =
        AcceptSecurityContext(cred, first ? NULL : ctx, &in_desc, req, SECURITY_NATIVE_DREP,
                              new_ctx, &out_desc, &attrs, &expiry);
    if (!hostile_status(st)) {
        fprintf(stderr, "fuzz_accept: AcceptSecurityContext returned 0x%08x\n", (unsigned)st);
        abort();
    }
    if (trace)
        fprintf(stderr, "leg (%zu bytes in): 0x%08x, %lu bytes out, attrs 0x%lx\n", in.len,
                (unsigned)st, (unsigned long)out_buf.cbBuffer, (unsigned long)attrs);
    FUZZ_CHECK(attrs != 0xdeadbeef);
    if (allocate) {
        FUZZ_CHECK(((attrs & ASC_RET_ALLOCATED_MEMORY) != 0) == (out_buf.pvBuffer != NULL));
        if (out_buf.pvBuffer != NULL) {
            FUZZ_CHECK(out_buf.cbBuffer > 0);
            FUZZ_CHECK(FreeContextBuffer(out_buf.pvBuffer) == SEC_E_OK);
        }
    } else if (st != SEC_E_BUFFER_TOO_SMALL) {
        FUZZ_CHECK(out_buf.cbBuffer <= out_cap && out_buf.pvBuffer == out_bytes);
    } else {
        FUZZ_CHECK(out_buf.cbBuffer > out_cap); /* the size needed */
    }
    if (st != SEC_E_OK) { /* only non-security flags before the last leg, and no expiry */
        FUZZ_CHECK((attrs & ~(ULONG)ASC_RET_ALLOCATED_MEMORY) == 0);
        FUZZ_CHECK(expiry.QuadPart == 0x1122334455667788);
    }
    return st;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t control = data[0];
    struct leg legs[MAX_LEGS];
    size_t nlegs = split_legs(data + 1, size - 1, legs);
    struct leg bindings = {NULL, 0};
    if ((control & 0x20) && nlegs > 1)
        bindings = legs[--nlegs];
    ULONG req = 0;
    if (control & 0x01)
        req |= ASC_REQ_ALLOCATE_MEMORY;
    if (control & 0x02)
        req |= ASC_REQ_EXTENDED_ERROR;
    if (control & 0x04)
        req |= ASC_REQ_ALLOW_CONTEXT_REPLAY;
    if (control & 0x08)
        req |= ASC_REQ_MUTUAL_AUTH | ASC_REQ_DELEGATE;
    PCredHandle cred = (control & 0x10) ? &kerberos : &negotiate;
    if ((control & 0x80) && have_ntlm)
        cred = &ntlm;
    size_t out_cap = (control & 0x40) ? SMALL_OUT : BIG_OUT;

    CtxtHandle ctx;
    bool have_ctx = false, done = false;
    for (size_t i = 0; i < nlegs && !done; i++) {
        CtxtHandle next;
        SECURITY_STATUS st = one_leg(cred, &ctx, !have_ctx, legs[i], bindings, req, out_cap, &next);
        if (st == SEC_E_BUFFER_TOO_SMALL && out_cap < BIG_OUT) /* again, with room */
            st = one_leg(cred, &ctx, !have_ctx, legs[i], bindings, req, BIG_OUT, &next);
        if (st == SEC_E_OK || st == SEC_I_CONTINUE_NEEDED) {
            ctx = next;
            have_ctx = true;
            done = st == SEC_E_OK;
        } else if (have_ctx) {
            done = true; /* a failed later leg: the caller deletes the context */
        } else {
            FUZZ_CHECK(st != SEC_E_BUFFER_TOO_SMALL);
            done = true;
        }
    }
    if (have_ctx) {
        if (done) {
            SecPkgContext_NamesA names = {0};
            if (QueryContextAttributesA(&ctx, SECPKG_ATTR_NAMES, &names) == SEC_E_OK)
                FreeContextBuffer(names.sUserName);
        }
        FUZZ_CHECK(DeleteSecurityContext(&ctx) == SEC_E_OK);
        FUZZ_CHECK(DeleteSecurityContext(&ctx) == SEC_E_INVALID_HANDLE);
    }
    return 0;
}
