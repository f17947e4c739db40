/* Per-message protection after a handshake: MakeSignature, VerifySignature, EncryptMessage and
 * DecryptMessage. Everything about SecBufferDesc layouts is here; a mechanism sees only the
 * classified message (message.h) and implements the four operations of its table
 * (mechanism.h).
 *
 * Layouts understood (as Windows' Kerberos and NTLM packages use them):
 *   - MakeSignature / VerifySignature: one SECBUFFER_TOKEN (the signature) + SECBUFFER_DATA
 *     buffers, in any order.
 *   - EncryptMessage: SECBUFFER_TOKEN (the security trailer, sized by
 *     SecPkgContext_Sizes.cbSecurityTrailer) + SECBUFFER_DATA buffers encrypted in place
 *     [+ SECBUFFER_PADDING, set to the padding used: 0 for every RFC 4121 enctype, 1 byte (needed)
 *     for RC4; DecryptMessage takes it back in the same place].
 *   - DecryptMessage: SECBUFFER_TOKEN + SECBUFFER_DATA as EncryptMessage produced them, or
 *     SECBUFFER_STREAM (the whole message as received) + one SECBUFFER_DATA that is pointed at
 *     the plaintext inside the stream buffer.
 * Attribute bits on DATA buffers: SECBUFFER_READONLY_WITH_CHECKSUM — covered by the signature,
 * never changed (sign-only); SECBUFFER_READONLY — ignored and never touched. Other buffer types
 * (EMPTY, PKG_PARAMS, ...) are ignored.
 *
 * Each operation gets a context checked complete and held for shared use; the mechanism
 * serialises its own sequence state.
 *
 * Status choices: a NULL, stale or forged handle, or a context still negotiating:
 * SEC_E_INVALID_HANDLE; a mechanism without message protection here: SEC_E_UNSUPPORTED_FUNCTION;
 * fQOP other than 0 (or SECQOP_WRAP_NO_ENCRYPT for EncryptMessage): SEC_E_QOP_NOT_SUPPORTED;
 * a NULL or malformed SecBufferDesc: SEC_E_INVALID_PARAMETER; no TOKEN (or STREAM) buffer:
 * SEC_E_INVALID_TOKEN; a TOKEN buffer too small for the signature or trailer:
 * SEC_E_BUFFER_TOO_SMALL. MessageSeqNo is ignored, as Windows' Kerberos does on a connection.
 *
 * Thread-safe: the context is held for shared use, so messages may be protected on one thread
 * while others are checked; a handshake leg or an export in progress refuses them. */
#include <negring/sspi.h>

#include "message.h"
#include "security_context.h"
#include "sspi_status.h"

enum msg_op { OP_SIGN, OP_VERIFY, OP_SEAL, OP_UNSEAL };

/* The buffers of one call, classified. */
struct layout {
    SecBuffer *token;   /* SECBUFFER_TOKEN or, when unsealing a stream, SECBUFFER_STREAM */
    SecBuffer *padding; /* SECBUFFER_PADDING, optional */
    SecBuffer *out;     /* stream: the DATA buffer that receives the plaintext */
    SecBuffer *part_of[NG_MAX_SEC_BUFFERS];
};

static bool usable(const SecBuffer *b)
{
    return b->cbBuffer == 0 || b->pvBuffer != NULL;
}

/* A DATA buffer: READONLY ones are not ours to read; READONLY_WITH_CHECKSUM ones are signed. */
static void add_data(SecBuffer *b, struct ng_msg *m, struct layout *l)
{
    if (b->BufferType & SECBUFFER_READONLY)
        return;
    bool sign_only = (b->BufferType & SECBUFFER_READONLY_WITH_CHECKSUM) != 0;
    l->part_of[m->n_parts] = b;
    m->parts[m->n_parts++] = (struct ng_msg_part){b->pvBuffer, b->cbBuffer,
                                                  sign_only ? NG_PART_SIGN_ONLY : NG_PART_PROTECT};
}

static ng_status classify(SecBufferDesc *desc, enum msg_op op, struct ng_msg *m, struct layout *l)
{
    if (desc == NULL || desc->ulVersion != SECBUFFER_VERSION ||
        desc->cBuffers > NG_MAX_SEC_BUFFERS || (desc->cBuffers > 0 && desc->pBuffers == NULL))
        return NG_ERR_INVALID_PARAM;
    for (ULONG i = 0; i < desc->cBuffers; i++) {
        SecBuffer *b = &desc->pBuffers[i];
        ULONG type = b->BufferType & ~SECBUFFER_ATTRMASK;
        if (!usable(b))
            return NG_ERR_INVALID_PARAM;
        if (type == SECBUFFER_DATA)
            add_data(b, m, l);
        else if (type == SECBUFFER_TOKEN && l->token == NULL)
            l->token = b;
        else if (type == SECBUFFER_STREAM && op == OP_UNSEAL && !m->stream)
            l->token = b, m->stream = true; /* a STREAM wins over a TOKEN */
        else if (type == SECBUFFER_PADDING && l->padding == NULL)
            l->padding = b;
    }
    if (l->token == NULL)
        return NG_ERR_INVALID_TOKEN;
    m->token = l->token->pvBuffer;
    m->token_len = l->token->cbBuffer;
    return NG_OK;
}

/* Stream: the one DATA buffer to be protected becomes the placeholder for the plaintext. */
static ng_status prepare_stream(struct ng_msg *m, struct layout *l)
{
    for (size_t i = 0; i < m->n_parts; i++) {
        if (m->parts[i].kind != NG_PART_PROTECT)
            continue;
        if (l->out != NULL)
            return NG_ERR_INVALID_PARAM;
        l->out = l->part_of[i];
        m->parts[i].ptr = NULL;
        m->parts[i].len = 0;
    }
    return l->out != NULL ? NG_OK : NG_ERR_INVALID_PARAM;
}

static ng_status run_op(struct ng_context *ctx, enum msg_op op, SecBufferDesc *desc, bool conf,
                        bool *was_conf)
{
    const struct ng_mech_ops *mech = ctx->ops;
    struct ng_msg m = {.n_parts = 0, .conf = conf};
    struct layout l = {0};
    if (ctx->state != NG_CTX_COMPLETE)
        return NG_ERR_NO_CONTEXT;
    NG_GUARD(classify(desc, op, &m, &l));
    if (l.padding != NULL && l.padding->pvBuffer != NULL) {
        m.padding = l.padding->pvBuffer;
        m.padding_cap = l.padding->cbBuffer;
    }
    if (m.stream)
        NG_GUARD(prepare_stream(&m, &l));
    switch (op) {
    case OP_SIGN:
        NG_GUARD(mech->sign(ctx, &m));
        break;
    case OP_VERIFY:
        return mech->verify(ctx, &m);
    case OP_SEAL:
        NG_GUARD(mech->seal(ctx, &m));
        if (l.padding != NULL)
            l.padding->cbBuffer = (ULONG)m.padding_len;
        break;
    case OP_UNSEAL:
        NG_GUARD(mech->unseal(ctx, &m));
        *was_conf = m.conf;
        if (l.out != NULL) {
            for (size_t i = 0; i < m.n_parts; i++) {
                if (l.part_of[i] == l.out) {
                    l.out->pvBuffer = m.parts[i].ptr;
                    l.out->cbBuffer = (ULONG)m.parts[i].len;
                }
            }
        }
        return NG_OK;
    }
    l.token->cbBuffer = (ULONG)m.token_len;
    return NG_OK;
}

static SECURITY_STATUS protect(PCtxtHandle handle, enum msg_op op, PSecBufferDesc desc, bool conf,
                               bool *was_conf)
{
    struct ng_context *ctx;
    if (ng_context_hold(handle, &ctx) != NG_OK) /* bad, or a leg or an export is changing it */
        return SEC_E_INVALID_HANDLE;
    ng_status status = run_op(ctx, op, desc, conf, was_conf);
    ng_context_unhold(handle, ctx);
    return ng_sec_status(status);
}

/* SEC_E_INVALID_HANDLE comes before a QOP complaint. */
static bool valid_handle(PCtxtHandle handle)
{
    struct ng_context *ctx;
    if (handle == NULL || ng_context_acquire(handle, &ctx) != NG_OK)
        return false;
    ng_context_release(handle);
    return true;
}

SECURITY_STATUS SEC_ENTRY MakeSignature(PCtxtHandle phContext, ULONG fQOP, PSecBufferDesc pMessage,
                                        ULONG MessageSeqNo)
{
    if (fQOP != 0)
        return valid_handle(phContext) ? SEC_E_QOP_NOT_SUPPORTED : SEC_E_INVALID_HANDLE;
    return protect(phContext, OP_SIGN, pMessage, false, NULL);
}

SECURITY_STATUS SEC_ENTRY VerifySignature(PCtxtHandle phContext, PSecBufferDesc pMessage,
                                          ULONG MessageSeqNo, PULONG pfQOP)
{
    SECURITY_STATUS status = protect(phContext, OP_VERIFY, pMessage, false, NULL);
    if (status == SEC_E_OK && pfQOP != NULL)
        *pfQOP = 0;
    return status;
}

SECURITY_STATUS SEC_ENTRY EncryptMessage(PCtxtHandle phContext, ULONG fQOP, PSecBufferDesc pMessage,
                                         ULONG MessageSeqNo)
{
    if (fQOP != 0 && fQOP != SECQOP_WRAP_NO_ENCRYPT)
        return valid_handle(phContext) ? SEC_E_QOP_NOT_SUPPORTED : SEC_E_INVALID_HANDLE;
    return protect(phContext, OP_SEAL, pMessage, fQOP == 0, NULL);
}

SECURITY_STATUS SEC_ENTRY DecryptMessage(PCtxtHandle phContext, PSecBufferDesc pMessage,
                                         ULONG MessageSeqNo, PULONG pfQOP)
{
    bool conf = false;
    SECURITY_STATUS status = protect(phContext, OP_UNSEAL, pMessage, false, &conf);
    if (status == SEC_E_OK && pfQOP != NULL)
        *pfQOP = conf ? 0 : SECQOP_WRAP_NO_ENCRYPT;
    return status;
}
