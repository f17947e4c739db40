/* ImportSecurityContextA (core/sspi/context_export.c, with the NTLM session record of
 * core/ntlm/ntlm_state.c and core/ntlm/ntlm_seal.c): a blob from another process is parsed with the
 * bounded reader. LLVMFuzzerInitialize runs one real NTLM handshake (our initiator against our
 * acceptor over a throwaway account file, no KDC needed), seals one message each way and exports
 * both contexts, so mutations of genuine blobs reach every field.
 *
 * Input: a control byte, then
 *   0x01 set: the rest is the whole blob;
 *   else: the exported server (0x02 clear) or client (0x02 set) blob, patched by the rest read as
 *         (u16 offset, u8 xor) triples; 0x04 then cuts it at the first triple's offset.
 *   0x08 imports under "Negotiate" instead of "NTLM".
 * Only SEC_E_OK and SEC_E_INVALID_TOKEN may come back. An imported context must serve its
 * attributes, a token and messages without crashing, and export again; the export imports again
 * and exports to the same bytes. */
#include <negring/access_token.h>
#include <negring/sspi.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_check.h"
#include "ntlm_crypto.h"

enum { MAX_TOKEN = 12000, MAX_BLOB = 4096 };

static uint8_t blobs[2][MAX_BLOB];
static ULONG blob_len[2];
static uint8_t sealed_msg[2][32 + 16]; /* data || signature, to each side */

static void fail(const char *what, SECURITY_STATUS st)
{
    fprintf(stderr, "fuzz_import_context: %s: 0x%08x\n", what, (unsigned)st);
    exit(2);
}

static void write_accounts(const char *path)
{
    uint8_t hash[16];
    if (ng_nt_hash("Secret1", 7, hash) != NG_OK)
        fail("nt hash", 0);
    FILE *f = fopen(path, "w");
    if (f == NULL)
        fail("account file", 0);
    fprintf(f, "EXAMPLE:nobody:");
    for (int i = 0; i < 16; i++)
        fprintf(f, "%02x", hash[i]);
    fprintf(f, ":\n");
    fclose(f);
}

static void handshake(PCredHandle cc, PCredHandle sc, PCtxtHandle c, PCtxtHandle s)
{
    static uint8_t a[MAX_TOKEN], b[MAX_TOKEN];
    ULONG blen = 0, attrs;
    SECURITY_STATUS cs = SEC_I_CONTINUE_NEEDED, ss = SEC_I_CONTINUE_NEEDED;
    for (int leg = 0; leg < 3 && ss == SEC_I_CONTINUE_NEEDED; leg++) {
        SecBuffer ib = {blen, SECBUFFER_TOKEN, b}, ob = {MAX_TOKEN, SECBUFFER_TOKEN, a};
        SecBufferDesc id = {SECBUFFER_VERSION, 1, &ib}, od = {SECBUFFER_VERSION, 1, &ob};
        cs = InitializeSecurityContextA(cc, leg ? c : NULL, "HTTP/server", ISC_REQ_CONFIDENTIALITY,
                                        0, SECURITY_NATIVE_DREP, leg ? &id : NULL, 0, c, &od,
                                        &attrs, NULL);
        if (cs != SEC_E_OK && cs != SEC_I_CONTINUE_NEEDED)
            fail("initialize", cs);
        SecBuffer sib = {ob.cbBuffer, SECBUFFER_TOKEN, a}, sob = {MAX_TOKEN, SECBUFFER_TOKEN, b};
        SecBufferDesc sid = {SECBUFFER_VERSION, 1, &sib}, sod = {SECBUFFER_VERSION, 1, &sob};
        ss = AcceptSecurityContext(sc, leg ? s : NULL, &sid, 0, 0, s, &sod, &attrs, NULL);
        if (ss != SEC_E_OK && ss != SEC_I_CONTINUE_NEEDED)
            fail("accept", ss);
        blen = sob.cbBuffer;
    }
    if (cs != SEC_E_OK || ss != SEC_E_OK)
        fail("handshake", ss);
}

static void seal(PCtxtHandle from, PCtxtHandle to, uint8_t out[48])
{
    memset(out, 'm', 32);
    SecBuffer b[2] = {{32, SECBUFFER_DATA, out}, {16, SECBUFFER_TOKEN, out + 32}};
    SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
    SECURITY_STATUS st = EncryptMessage(from, 0, &d, 0);
    if (st != SEC_E_OK)
        fail("seal", st);
    if (to == NULL)
        return;
    uint8_t copy[48];
    memcpy(copy, out, sizeof(copy));
    b[0].pvBuffer = copy;
    b[1].pvBuffer = copy + 32;
    if ((st = DecryptMessage(to, &d, 0, NULL)) != SEC_E_OK)
        fail("unseal", st);
}

static void export_blob(PCtxtHandle h, int which)
{
    SecBuffer blob = {0, SECBUFFER_EMPTY, NULL};
    SECURITY_STATUS st = ExportSecurityContext(h, SECPKG_CONTEXT_EXPORT_DELETE_OLD, &blob, NULL);
    if (st != SEC_E_OK || blob.cbBuffer > MAX_BLOB)
        fail("export", st);
    memcpy(blobs[which], blob.pvBuffer, blob.cbBuffer);
    blob_len[which] = blob.cbBuffer;
    FreeContextBuffer(blob.pvBuffer);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char dir[] = "/tmp/fuzz-import-XXXXXX", path[64];
    if (mkdtemp(dir) == NULL)
        fail("mkdtemp", 0);
    snprintf(path, sizeof(path), "%s/users", dir);
    write_accounts(path);
    NEGRING_ACCEPTOR_AUTH_DATA2 data = {NEGRING_ACCEPTOR_AUTH_DATA_VERSION_2,
                                        "FILE:/nonexistent/keytab",
                                        0,
                                        NULL,
                                        path,
                                        NULL,
                                        "SERVER",
                                        NULL,
                                        NULL,
                                        0};
    SEC_WINNT_AUTH_IDENTITY_A id = {(unsigned char *)"nobody",  6, (unsigned char *)"EXAMPLE",  7,
                                    (unsigned char *)"Secret1", 7, SEC_WINNT_AUTH_IDENTITY_ANSI};
    CredHandle cc, sc;
    CtxtHandle c, s;
    /* Named as the client's target: our initiator refuses a challenge from an acceptor of its
     * own process that names no principal (reflection, docs/ntlm.md). */
    SECURITY_STATUS st = AcquireCredentialsHandleA("HTTP/server", "NTLM", SECPKG_CRED_INBOUND, NULL,
                                                   &data, NULL, NULL, &sc, NULL);
    if (st != SEC_E_OK)
        fail("server credentials", st);
    st = AcquireCredentialsHandleA(NULL, "NTLM", SECPKG_CRED_OUTBOUND, NULL, &id, NULL, NULL, &cc,
                                   NULL);
    if (st != SEC_E_OK)
        fail("client credentials", st);
    handshake(&cc, &sc, &c, &s);
    seal(&c, &s, sealed_msg[0]); /* both streams keyed and advanced */
    seal(&s, &c, sealed_msg[1]);
    seal(&c, NULL, sealed_msg[0]); /* the next message to the server, for the imported one */
    seal(&s, NULL, sealed_msg[1]);
    export_blob(&s, 0);
    export_blob(&c, 1);
    FreeCredentialsHandle(&cc);
    FreeCredentialsHandle(&sc);
    unlink(path);
    rmdir(dir);
    return 0;
}

static void exercise(PCtxtHandle h, int which)
{
    uint8_t msg[48];
    memcpy(msg, sealed_msg[which], sizeof(msg));
    SecBuffer b[2] = {{32, SECBUFFER_DATA, msg}, {16, SECBUFFER_TOKEN, msg + 32}};
    SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
    (void)DecryptMessage(h, &d, 0, NULL); /* any status: the blob may hold any state */
    (void)EncryptMessage(h, 0, &d, 0);
    SecPkgContext_NamesA names = {0};
    if (QueryContextAttributesA(h, SECPKG_ATTR_NAMES, &names) == SEC_E_OK)
        FreeContextBuffer(names.sUserName);
    void *token = NULL;
    if (QuerySecurityContextToken(h, &token) == SEC_E_OK)
        negring_token_close(token);
}

/* export(import(export(x))) == export(x): an imported context carries all it was given. */
static void check_round_trip(PCtxtHandle h, const char *package)
{
    SecBuffer first = {0, SECBUFFER_EMPTY, NULL}, second = {0, SECBUFFER_EMPTY, NULL};
    FUZZ_CHECK(ExportSecurityContext(h, 0, &first, NULL) == SEC_E_OK);
    CtxtHandle again;
    FUZZ_CHECK(ImportSecurityContextA((LPSTR)package, &first, NULL, &again) == SEC_E_OK);
    FUZZ_CHECK(ExportSecurityContext(&again, SECPKG_CONTEXT_EXPORT_DELETE_OLD, &second, NULL) ==
               SEC_E_OK);
    FUZZ_CHECK(first.cbBuffer == second.cbBuffer &&
               memcmp(first.pvBuffer, second.pvBuffer, first.cbBuffer) == 0);
    FreeContextBuffer(first.pvBuffer);
    FreeContextBuffer(second.pvBuffer);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t blob[MAX_BLOB];
    if (size == 0)
        return 0;
    uint8_t control = data[0];
    const uint8_t *rest = data + 1;
    size_t rest_len = size - 1, len;
    int which = (control & 0x02) != 0;
    if (control & 0x01) {
        if (rest_len > MAX_BLOB)
            return 0;
        memcpy(blob, rest, rest_len);
        len = rest_len;
    } else {
        memcpy(blob, blobs[which], blob_len[which]);
        len = blob_len[which];
        size_t cut = len;
        for (size_t i = 0; i + 3 <= rest_len; i += 3) {
            size_t at = ((size_t)rest[i] << 8 | rest[i + 1]) % blob_len[which];
            if (i == 0 && (control & 0x04))
                cut = at;
            else
                blob[at] ^= rest[i + 2];
        }
        len = cut;
    }
    const char *package = (control & 0x08) ? "Negotiate" : "NTLM";
    SecBuffer in = {(ULONG)len, SECBUFFER_EMPTY, blob};
    CtxtHandle h;
    SECURITY_STATUS st = ImportSecurityContextA((LPSTR)package, &in, NULL, &h);
    FUZZ_CHECK(st == SEC_E_OK || st == SEC_E_INVALID_TOKEN);
    if (st != SEC_E_OK)
        return 0;
    check_round_trip(&h, package);
    exercise(&h, which);
    FUZZ_CHECK(DeleteSecurityContext(&h) == SEC_E_OK);
    return 0;
}
