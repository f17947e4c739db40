/* The Kerberos record of an exported context (sspi/context_export.c has the blob around it), all
 * integers big-endian:
 *
 *   i32 enctype | u8 key_len | key | u8 acceptor_subkey | u64 send_seq | u64 recv_seq
 *   | u64 recv_seen | u32 gss_flags | i64 auth_time
 *   | u32 length | PAC logon info (MS-PAC §2.5 NDR, for access tokens; 0: none)
 *   | u32 n | n x (u32 length | krb5_marshal_credentials)  delegated tickets
 *
 * SECRET: the context key and the delegated tickets' session keys. */
#include "krb5_export.h"

#include <string.h>

#include "alloc.h"
#include "krb5_delegation.h"
#include "krb5_state.h"

static void write_session(struct ng_writer *w, const struct ng_krb5_session *s)
{
    ng_write_be32(w, (uint32_t)s->enctype);
    ng_write_u8(w, (uint8_t)s->key_len);
    ng_write_bytes(w, s->key, s->key_len);
    ng_write_u8(w, s->acceptor_subkey);
    ng_write_be64(w, atomic_load(&s->send_seq));
    ng_write_be64(w, s->recv_seq);
    ng_write_be64(w, s->recv_seen);
    ng_write_be32(w, s->gss_flags);
    ng_write_be64(w, (uint64_t)s->auth_time);
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
    atomic_store(&s->send_seq, ng_read_be64(r));
    s->recv_seq = ng_read_be64(r);
    s->recv_seen = ng_read_be64(r);
    s->gss_flags = ng_read_be32(r);
    s->auth_time = (int64_t)ng_read_be64(r);
    return ng_reader_status(r);
}

static ng_status read_pac(struct ng_reader *r, struct ng_krb5_state *st)
{
    uint32_t len = ng_read_be32(r);
    struct ng_slice pac = ng_read_slice(r, len);
    NG_GUARD(ng_reader_status(r));
    if (len == 0)
        return NG_OK;
    st->pac = ng_memdup(pac.ptr, pac.len);
    st->pac_len = pac.len;
    return st->pac != NULL ? NG_OK : NG_ERR_NOMEM;
}

ng_status ng_krb5_export_state(const struct ng_context *ctx, struct ng_writer *w)
{
    const struct ng_krb5_state *st = ng_krb5_state_of(ctx);
    if (st == NULL || !st->established)
        return NG_ERR_INTERNAL; /* a complete context always has its session */
    write_session(w, &st->session);
    ng_write_be32(w, (uint32_t)st->pac_len);
    ng_write_bytes(w, st->pac, st->pac_len);
    return ng_krb5_delegation_export(st->delegated_ccache, w);
}

ng_status ng_krb5_import_state(struct ng_context *ctx, struct ng_reader *r)
{
    struct ng_krb5_state *st;
    NG_GUARD(ng_krb5_state_get(ctx, &st));
    NG_GUARD(read_session(r, &st->session));
    NG_GUARD(read_pac(r, st));
    NG_GUARD(ng_krb5_delegation_import(r, &st->delegated_ccache));
    st->established = true;
    return NG_OK;
}
