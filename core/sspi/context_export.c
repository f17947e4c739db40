/* ExportSecurityContext / ImportSecurityContextA/W: an established context as a versioned blob,
 * so it can move to another thread or process (e.g. from a ring thread to a worker) and go on
 * protecting messages with the same keys and sequence numbers.
 *
 * The blob is SECRET: it holds the context key and any delegated tickets with their session
 * keys. It is not encrypted or signed (as on Windows, protecting it in transit is the caller's
 * job); ImportSecurityContext parses it with the bounded reader and refuses anything malformed
 * with SEC_E_INVALID_TOKEN. Format, all integers big-endian:
 *
 *   "NGCX" | u16 version (1) | u8 role | u8 package | u8 mech | u32 req_flags | u32 ret_flags
 *   | session, by mech:
 *       Kerberos: i32 enctype | u8 key_len | key | u8 acceptor_subkey | u64 send_seq
 *                 | u64 recv_seq | u64 recv_seen | u32 gss_flags | i64 auth_time
 *                 | i64 start_time | i64 end_time
 *       NTLM:     ng_ntlm_state_write (ntlm_state.h, ntlm_seal.h): flags, exported session
 *                 key, each direction's sequence number and RC4 state
 *                 | i64 start_time | i64 end_time
 *   | string client | string server | string target      (u16 length, 0xFFFF: none)
 *   | u32 length | PAC logon info (MS-PAC §2.5 NDR, for access tokens; 0: none)
 *   | u32 n | n x (u32 length | krb5_marshal_credentials)  delegated tickets
 *
 * Only established Kerberos and NTLM contexts export (others: SEC_E_INVALID_HANDLE while
 * negotiating). The export holds the context exclusively, so it never sees a sequence number
 * or an RC4 stream half-updated; SECPKG_CONTEXT_EXPORT_DELETE_OLD then deletes the old handle,
 * otherwise both contexts live on independently (their sequence numbers and NTLM streams would
 * then diverge from the peer's: use one of them). SECPKG_CONTEXT_EXPORT_RESET_NEW has nothing
 * to reset and is accepted; SECPKG_CONTEXT_EXPORT_TO_KERNEL is unsupported. The
 * imported context has no credentials handle behind it: it serves messages and attributes,
 * not further handshake legs. Thread-safe. */
#include <negring/sspi.h>
#include <string.h>

#include "alloc.h"
#include "krb5_delegation.h"
#include "ntlm_state.h"
#include "packages.h"
#include "reader.h"
#include "security_context.h"
#include "sspi_status.h"
#include "utf16.h"
#include "writer.h"

#define BLOB_MAGIC "NGCX"

enum { BLOB_VERSION = 1, NO_STRING = 0xffff };

static void write_u64(struct ng_writer *w, uint64_t v)
{
    ng_write_be32(w, (uint32_t)(v >> 32));
    ng_write_be32(w, (uint32_t)v);
}

static uint64_t read_u64(struct ng_reader *r)
{
    uint64_t hi = ng_read_be32(r);
    return (hi << 32) | ng_read_be32(r);
}

static void write_string(struct ng_writer *w, const char *s)
{
    size_t len = s != NULL ? strlen(s) : 0;
    if (s == NULL || len >= NO_STRING) {
        ng_write_be16(w, NO_STRING);
        return;
    }
    ng_write_be16(w, (uint16_t)len);
    ng_write_bytes(w, s, len);
}

static ng_status read_string(struct ng_reader *r, char **out)
{
    uint16_t len = ng_read_be16(r);
    if (len == NO_STRING)
        return ng_reader_status(r);
    struct ng_slice s = ng_read_slice(r, len);
    NG_GUARD(ng_reader_status(r));
    if (memchr(s.ptr, '\0', s.len) != NULL)
        return NG_ERR_INVALID_TOKEN;
    *out = ng_alloc(s.len + 1);
    if (*out == NULL)
        return NG_ERR_NOMEM;
    memcpy(*out, s.ptr, s.len);
    return NG_OK;
}

static void write_session(struct ng_writer *w, struct ng_krb5_session *s)
{
    ng_write_be32(w, (uint32_t)s->enctype);
    ng_write_u8(w, (uint8_t)s->key_len);
    ng_write_bytes(w, s->key, s->key_len);
    ng_write_u8(w, s->acceptor_subkey);
    write_u64(w, atomic_load(&s->send_seq));
    write_u64(w, s->recv_seq);
    write_u64(w, s->recv_seen);
    ng_write_be32(w, s->gss_flags);
    write_u64(w, (uint64_t)s->auth_time);
    write_u64(w, (uint64_t)s->start_time);
    write_u64(w, (uint64_t)s->end_time);
}

static ng_status read_session(struct ng_reader *r, struct ng_krb5_session *s)
{
    s->enctype = (krb5_enctype)ng_read_be32(r);
    s->key_len = ng_read_u8(r);
    if (s->key_len == 0 || s->key_len > sizeof(s->key))
        return NG_ERR_INVALID_TOKEN;
    struct ng_slice key = ng_read_slice(r, s->key_len);
    NG_GUARD(ng_reader_status(r));
    memcpy(s->key, key.ptr, key.len);
    s->acceptor_subkey = ng_read_u8(r) != 0;
    atomic_store(&s->send_seq, read_u64(r));
    s->recv_seq = read_u64(r);
    s->recv_seen = read_u64(r);
    s->gss_flags = ng_read_be32(r);
    s->auth_time = (int64_t)read_u64(r);
    s->start_time = (int64_t)read_u64(r);
    s->end_time = (int64_t)read_u64(r);
    return ng_reader_status(r);
}

static bool exportable(unsigned mech)
{
    return mech == NG_MECH_KRB5 || mech == NG_MECH_KRB5_MS || mech == NG_MECH_NTLM;
}

static ng_status serialize(struct ng_context *ctx, struct ng_writer *w)
{
    ng_write_bytes(w, BLOB_MAGIC, 4);
    ng_write_be16(w, BLOB_VERSION);
    ng_write_u8(w, (uint8_t)ctx->role);
    ng_write_u8(w, (uint8_t)ctx->package);
    ng_write_u8(w, (uint8_t)ctx->mech);
    ng_write_be32(w, ctx->req_flags);
    ng_write_be32(w, ctx->ret_flags);
    if (ctx->mech == NG_MECH_NTLM) {
        ng_ntlm_state_write(ctx->ntlm, w);
        write_u64(w, (uint64_t)ctx->krb.start_time); /* the logon's lifespan */
        write_u64(w, (uint64_t)ctx->krb.end_time);
    } else {
        write_session(w, &ctx->krb);
    }
    write_string(w, ctx->client_name);
    write_string(w, ctx->server_name);
    write_string(w, ctx->target_name);
    ng_write_be32(w, (uint32_t)ctx->pac_len);
    ng_write_bytes(w, ctx->pac, ctx->pac_len);
    return ng_krb5_delegation_export(ctx->delegated_ccache, w);
}

/* Measures, then writes into a block of exactly that size (no reallocation leaves copies of the
 * key behind). The caller frees the block with FreeContextBuffer, which wipes it. */
static ng_status export_blob(struct ng_context *ctx, uint8_t **out, size_t *out_len)
{
    if (ctx->state != NG_CTX_COMPLETE)
        return NG_ERR_NO_CONTEXT;
    if (!exportable(ctx->mech))
        return NG_ERR_UNSUPPORTED;
    if (ctx->mech == NG_MECH_NTLM && (ctx->ntlm == NULL || !ctx->ntlm->established))
        return NG_ERR_INTERNAL; /* a complete NTLM context always has its session */
    struct ng_writer measure = ng_writer_fixed(NULL, 0);
    NG_GUARD(serialize(ctx, &measure));
    if (measure.error != NG_ERR_BUFFER_TOO_SMALL)
        return measure.error == NG_OK ? NG_ERR_INTERNAL : measure.error;
    uint8_t *blob = ng_alloc(measure.len);
    if (blob == NULL)
        return NG_ERR_NOMEM;
    struct ng_writer w = ng_writer_fixed(blob, measure.len);
    ng_status status = serialize(ctx, &w);
    if (status == NG_OK)
        status = w.len == measure.len ? ng_writer_status(&w) : NG_ERR_INTERNAL;
    if (status != NG_OK) {
        ng_free_secret(blob, measure.len);
        return status;
    }
    *out = blob;
    *out_len = measure.len;
    return NG_OK;
}

static ng_status check_export_flags(ULONG flags)
{
    if (flags & ~(ULONG)(SECPKG_CONTEXT_EXPORT_RESET_NEW | SECPKG_CONTEXT_EXPORT_DELETE_OLD |
                         SECPKG_CONTEXT_EXPORT_TO_KERNEL))
        return NG_ERR_INVALID_PARAM;
    return (flags & SECPKG_CONTEXT_EXPORT_TO_KERNEL) ? NG_ERR_UNSUPPORTED : NG_OK;
}

SECURITY_STATUS SEC_ENTRY ExportSecurityContext(PCtxtHandle phContext, ULONG fFlags,
                                                PSecBuffer pPackedContext, void **pToken)
{
    struct ng_context *ctx;
    uint8_t *blob = NULL;
    size_t len = 0;
    if (phContext == NULL || ng_context_acquire(phContext, &ctx) != NG_OK)
        return SEC_E_INVALID_HANDLE;
    ng_status status = pPackedContext == NULL ? NG_ERR_INVALID_PARAM : check_export_flags(fFlags);
    if (status == NG_OK && !ng_context_enter_exclusive(ctx))
        status = NG_ERR_INVALID_HANDLE; /* a leg or a message call is using it right now */
    else if (status == NG_OK) {
        status = export_blob(ctx, &blob, &len);
        ng_context_leave_exclusive(ctx);
    }
    ng_context_release(phContext);
    if (status != NG_OK)
        return ng_sec_status(status);
    pPackedContext->pvBuffer = blob;
    pPackedContext->cbBuffer = (ULONG)len;
    if (pToken != NULL)
        *pToken = NULL; /* no impersonation token handle on Linux: see QuerySecurityContextToken */
    if (fFlags & SECPKG_CONTEXT_EXPORT_DELETE_OLD)
        ng_context_delete(phContext);
    return SEC_E_OK;
}

static ng_status read_pac(struct ng_reader *r, struct ng_context *ctx)
{
    uint32_t len = ng_read_be32(r);
    struct ng_slice pac = ng_read_slice(r, len);
    NG_GUARD(ng_reader_status(r));
    if (len == 0)
        return NG_OK;
    ctx->pac = ng_memdup(pac.ptr, pac.len);
    ctx->pac_len = pac.len;
    return ctx->pac != NULL ? NG_OK : NG_ERR_NOMEM;
}

static ng_status parse_blob(struct ng_reader *r, struct ng_context *ctx)
{
    struct ng_slice magic = ng_read_slice(r, 4);
    uint16_t version = ng_read_be16(r);
    uint8_t role = ng_read_u8(r), package = ng_read_u8(r), mech = ng_read_u8(r);
    ctx->req_flags = ng_read_be32(r);
    ctx->ret_flags = ng_read_be32(r);
    NG_GUARD(ng_reader_status(r));
    if (memcmp(magic.ptr, BLOB_MAGIC, 4) != 0 || version != BLOB_VERSION ||
        role > NG_ROLE_INITIATOR || package >= NG_PKG_COUNT || !exportable(mech))
        return NG_ERR_INVALID_TOKEN;
    ctx->role = role;
    ctx->package = package;
    ctx->mech = mech;
    if (mech == NG_MECH_NTLM) {
        NG_GUARD(ng_ntlm_state_read(r, &ctx->ntlm));
        if (ctx->ntlm->session.initiator != (role == NG_ROLE_INITIATOR))
            return NG_ERR_INVALID_TOKEN; /* the streams would run in the wrong directions */
        ctx->krb.start_time = (int64_t)read_u64(r);
        ctx->krb.end_time = (int64_t)read_u64(r);
    } else {
        NG_GUARD(read_session(r, &ctx->krb));
    }
    NG_GUARD(read_string(r, &ctx->client_name));
    NG_GUARD(read_string(r, &ctx->server_name));
    NG_GUARD(read_string(r, &ctx->target_name));
    NG_GUARD(read_pac(r, ctx));
    NG_GUARD(ng_krb5_delegation_import(r, &ctx->delegated_ccache));
    return ng_reader_done(r) ? NG_OK : NG_ERR_INVALID_TOKEN;
}

static SECURITY_STATUS import_context(const struct ng_package *pkg, PSecBuffer packed,
                                      PCtxtHandle out)
{
    if (packed == NULL || out == NULL || (packed->cbBuffer > 0 && packed->pvBuffer == NULL))
        return SEC_E_INVALID_PARAMETER;
    if (pkg == NULL)
        return SEC_E_SECPKG_NOT_FOUND;
    struct ng_context *ctx = ng_alloc(sizeof(*ctx)); /* no credentials: see the file comment */
    if (ctx == NULL)
        return SEC_E_INSUFFICIENT_MEMORY;
    struct ng_reader r = ng_reader_of(ng_slice_of(packed->pvBuffer, packed->cbBuffer));
    ng_status status = parse_blob(&r, ctx);
    if (status == NG_OK && ctx->package != pkg->id)
        status = NG_ERR_INVALID_TOKEN; /* imported under another package than it came from */
    if (status != NG_OK) {
        ng_context_free(ctx);
        return ng_sec_status(status);
    }
    ctx->state = NG_CTX_COMPLETE;
    return ng_sec_status(ng_context_publish(ctx, out));
}

SECURITY_STATUS SEC_ENTRY ImportSecurityContextA(LPSTR pszPackage, PSecBuffer pPackedContext,
                                                 void *Token, PCtxtHandle phContext)
{
    return import_context(ng_package_find(pszPackage), pPackedContext, phContext);
}

SECURITY_STATUS SEC_ENTRY ImportSecurityContextW(LPWSTR pszPackage, PSecBuffer pPackedContext,
                                                 void *Token, PCtxtHandle phContext)
{
    char *name = NULL;
    if (pszPackage != NULL && ng_utf16z_to_utf8(pszPackage, &name, NULL) != NG_OK)
        return SEC_E_SECPKG_NOT_FOUND;
    SECURITY_STATUS status = import_context(ng_package_find(name), pPackedContext, phContext);
    ng_free(name);
    return status;
}
