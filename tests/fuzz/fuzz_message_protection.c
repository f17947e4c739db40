/* DecryptMessage and VerifySignature (core/sspi/message_protection.c, RFC 4121 §4.2.6 Wrap and MIC
 * tokens, MS-NLMP §3.4 for NTLM) on an established acceptor context: after logon any client
 * chooses these bytes. LLVMFuzzerInitialize runs one real handshake (our initiator with the
 * realm's ccache against our acceptor with its keytab, Negotiate, mutual, integrity and
 * confidentiality), then every input is one message to the acceptor.
 *
 * Input: a control byte, then the message.
 *   0x01 VerifySignature (else DecryptMessage)
 *   0x02 SECBUFFER_STREAM holding the whole message (DecryptMessage only)
 *   0x04 sealed by the client first: the message is plaintext, the client's EncryptMessage
 *        (or MakeSignature) protects it, and the two bytes after the control byte name one
 *        byte of the result to XOR with the third (0: none) -- so valid tokens with one
 *        corrupted byte reach every check, whatever keys this run's handshake made
 *   0x08 sign only (SECQOP_WRAP_NO_ENCRYPT) when sealing
 * Otherwise the first byte after the control byte is the TOKEN buffer's length and the rest
 * is split into TOKEN and DATA. Only statuses a peer may cause are allowed. */
#include <negring/sspi.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_check.h"

enum { MAX_TOKEN = 16384 };

static CredHandle client_cred, server_cred;
static CtxtHandle client, server;

static void fail(const char *what, SECURITY_STATUS st)
{
    fprintf(stderr, "fuzz_message_protection: %s: 0x%08x\n", what, (unsigned)st);
    exit(2);
}

static ULONG step(bool accept, bool first, uint8_t *in, ULONG in_len, uint8_t *out,
                  SECURITY_STATUS *st)
{
    SecBuffer ib = {in_len, SECBUFFER_TOKEN, in}, ob = {MAX_TOKEN, SECBUFFER_TOKEN, out};
    SecBufferDesc id = {SECBUFFER_VERSION, 1, &ib}, od = {SECBUFFER_VERSION, 1, &ob};
    ULONG attrs;
    if (accept)
        *st = AcceptSecurityContext(&server_cred, first ? NULL : &server, &id, 0,
                                    SECURITY_NATIVE_DREP, &server, &od, &attrs, NULL);
    else
        *st = InitializeSecurityContextA(
            &client_cred, first ? NULL : &client, "HTTP/localhost",
            ISC_REQ_MUTUAL_AUTH | ISC_REQ_CONFIDENTIALITY | ISC_REQ_INTEGRITY, 0,
            SECURITY_NATIVE_DREP, first ? NULL : &id, 0, &client, &od, &attrs, NULL);
    return ob.cbBuffer;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *keytab = getenv("NEGRING_FUZZ_KEYTAB");
    if (keytab == NULL) {
        fprintf(stderr, "fuzz_message_protection: set NEGRING_FUZZ_KEYTAB (scripts/fuzz.sh)\n");
        exit(2);
    }
    NEGRING_ACCEPTOR_AUTH_DATA data = {NEGRING_ACCEPTOR_AUTH_DATA_VERSION, keytab, 0, NULL};
    TimeStamp expiry;
    SECURITY_STATUS st = AcquireCredentialsHandleA(NULL, "Negotiate", SECPKG_CRED_INBOUND, NULL,
                                                   &data, NULL, NULL, &server_cred, &expiry);
    if (st != SEC_E_OK)
        fail("inbound credentials", st);
    st = AcquireCredentialsHandleA(NULL, "Negotiate", SECPKG_CRED_OUTBOUND, NULL, NULL, NULL, NULL,
                                   &client_cred, &expiry);
    if (st != SEC_E_OK)
        fail("outbound credentials", st);
    static uint8_t a[MAX_TOKEN], b[MAX_TOKEN];
    SECURITY_STATUS cst, sst = SEC_I_CONTINUE_NEEDED;
    ULONG len = step(false, true, NULL, 0, a, &cst);
    for (int leg = 0; leg < 4 && cst == SEC_I_CONTINUE_NEEDED; leg++) {
        len = step(true, leg == 0, a, len, b, &sst);
        if (sst != SEC_E_OK && sst != SEC_I_CONTINUE_NEEDED)
            fail("AcceptSecurityContext", sst);
        if (len == 0)
            break;
        len = step(false, false, b, len, a, &cst);
    }
    if (cst != SEC_E_OK || sst != SEC_E_OK)
        fail("handshake", cst != SEC_E_OK ? cst : sst);
    return 0;
}

static bool peer_status(SECURITY_STATUS st)
{
    switch (st) {
    case SEC_E_OK:
    case SEC_E_MESSAGE_ALTERED:
    case SEC_E_INVALID_TOKEN:
    case SEC_E_OUT_OF_SEQUENCE:
    case SEC_E_INCOMPLETE_MESSAGE:
    case SEC_E_INVALID_PARAMETER:
    case SEC_E_BUFFER_TOO_SMALL:
    case SEC_E_QOP_NOT_SUPPORTED:
        return true;
    default:
        return false;
    }
}

/* The client protects `plain` into token | data (contiguous in `out`); returns the length. */
static size_t client_protect(bool sign, bool sign_only, const uint8_t *plain, size_t n,
                             uint8_t *out)
{
    SecPkgContext_Sizes sizes;
    if (QueryContextAttributesA(&client, SECPKG_ATTR_SIZES, &sizes) != SEC_E_OK)
        abort();
    size_t tok = sign ? sizes.cbMaxSignature : sizes.cbSecurityTrailer;
    memcpy(out + tok, plain, n);
    SecBuffer bufs[2] = {{(ULONG)tok, SECBUFFER_TOKEN, out}, {(ULONG)n, SECBUFFER_DATA, out + tok}};
    SecBufferDesc d = {SECBUFFER_VERSION, 2, bufs};
    SECURITY_STATUS st =
        sign ? MakeSignature(&client, 0, &d, 0)
             : EncryptMessage(&client, sign_only ? SECQOP_WRAP_NO_ENCRYPT : 0, &d, 0);
    FUZZ_CHECK(st == SEC_E_OK);
    /* The token may be shorter than its buffer: close the gap so the stream is contiguous. */
    memmove(out + bufs[0].cbBuffer, out + tok, n);
    return bufs[0].cbBuffer + n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t msg[MAX_TOKEN * 2];
    if (size < 2 || size > MAX_TOKEN)
        return 0;
    uint8_t control = data[0];
    bool verify = control & 0x01, stream = (control & 0x02) && !verify;
    size_t len, token_len;
    if (control & 0x04) {
        if (size < 4)
            return 0;
        len = client_protect(verify, control & 0x08, data + 4, size - 4, msg);
        size_t at = ((size_t)data[1] << 8 | data[2]) % (len + 1);
        if (at < len)
            msg[at] ^= data[3];
        token_len = len - (size - 4);
    } else {
        len = size - 2;
        memcpy(msg, data + 2, len);
        token_len = data[1] < len ? data[1] : len;
    }
    SecBuffer bufs[2];
    if (stream) {
        bufs[0] = (SecBuffer){(ULONG)len, SECBUFFER_STREAM, msg};
        bufs[1] = (SecBuffer){0, SECBUFFER_DATA, NULL};
    } else {
        bufs[0] = (SecBuffer){(ULONG)token_len, SECBUFFER_TOKEN, msg};
        bufs[1] = (SecBuffer){(ULONG)(len - token_len), SECBUFFER_DATA, msg + token_len};
    }
    SecBufferDesc d = {SECBUFFER_VERSION, 2, bufs};
    ULONG qop = 0;
    SECURITY_STATUS st =
        verify ? VerifySignature(&server, &d, 0, &qop) : DecryptMessage(&server, &d, 0, &qop);
    if (getenv("NEGRING_FUZZ_TRACE") != NULL)
        fprintf(stderr, "%s (%zu bytes): 0x%08x\n", verify ? "verify" : "decrypt", len,
                (unsigned)st);
    if (!peer_status(st)) {
        fprintf(stderr, "fuzz_message_protection: 0x%08x\n", (unsigned)st);
        abort();
    }
    if (st == SEC_E_OK && stream) /* the plaintext lies inside the stream buffer */
        FUZZ_CHECK(bufs[1].pvBuffer == NULL ||
                   ((uint8_t *)bufs[1].pvBuffer >= msg &&
                    (uint8_t *)bufs[1].pvBuffer + bufs[1].cbBuffer <= msg + len));
    return 0;
}
