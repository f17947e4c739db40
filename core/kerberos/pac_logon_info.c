#include "pac_logon_info.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "der.h"
#include "reader.h"
#include "utf16.h"

enum {
    AD_IF_RELEVANT = 1,     /* RFC 4120 §5.2.6.1 */
    MAX_PAC_BUFFERS = 1024, /* far more than any KDC writes */
    MAX_SUB_AUTHORITIES = 15,
    SID_STRING_MAX = 16 + 20 + MAX_SUB_AUTHORITIES * 11 + 12,
};

/* ---- finding the buffer ---------------------------------------------------------------- */

struct ng_pac_walk ng_pac_walk_begin(struct ng_slice pac)
{
    struct ng_pac_walk w = {.pac = pac, .entries = ng_reader_of(pac)};
    w.left = ng_read_le32(&w.entries);
    uint32_t version = ng_read_le32(&w.entries);
    w.malformed = w.entries.failed || version != 0 || w.left > MAX_PAC_BUFFERS;
    return w;
}

size_t ng_pac_header_len(const struct ng_pac_walk *w)
{
    return w->pac.len - w->entries.len + (size_t)w->left * 16;
}

bool ng_pac_walk_next(struct ng_pac_walk *w, struct ng_pac_info_buffer *out)
{
    if (w->malformed || w->left == 0)
        return false;
    out->type = ng_read_le32(&w->entries);
    uint32_t size = ng_read_le32(&w->entries);
    out->offset = ng_read_le64(&w->entries);
    bool inside = true; /* ng_slice_at only ever clears it */
    out->data = ng_slice_at(w->pac, out->offset, size, &inside);
    w->malformed = w->entries.failed || !inside;
    w->left--;
    return !w->malformed;
}

bool ng_pac_buffer(struct ng_slice pac, uint32_t wanted, struct ng_slice *out)
{
    struct ng_pac_walk w = ng_pac_walk_begin(pac);
    struct ng_pac_info_buffer b;
    while (ng_pac_walk_next(&w, &b))
        if (b.type == wanted) {
            *out = b.data;
            return true;
        }
    return false;
}

/* ad-type 128 (AD-WIN2K-PAC, MS-PAC §2.4) as a minimal DER INTEGER: 00 80. Compared as bytes so
 * that negative ad-types elsewhere in the list do not stop the walk. */
static bool is_win2k_pac(struct ng_slice type)
{
    return type.len == 2 && type.ptr[0] == 0x00 && type.ptr[1] == 0x80;
}

/* Counts the PACs in AD-IF-RELEVANT contents, AuthorizationData ::= SEQUENCE OF SEQUENCE {
 *     ad-type [0] Int32, ad-data [1] OCTET STRING } (RFC 4120 §5.2.6), into *found; the
 * first becomes *pac. Stops at contents it cannot read. */
static void pacs_in_if_relevant(struct ng_slice der, struct ng_slice *pac, unsigned *found)
{
    struct ng_reader r = ng_reader_of(der);
    struct ng_reader list = ng_der_read_expect(&r, NG_DER_SEQUENCE);
    while (!list.failed && list.len > 0) {
        struct ng_reader el = ng_der_read_expect(&list, NG_DER_SEQUENCE);
        struct ng_reader t = ng_der_read_expect(&el, NG_DER_CONTEXT(0));
        struct ng_slice type = ng_der_read_value(&t, NG_DER_INTEGER);
        struct ng_reader d = ng_der_read_expect(&el, NG_DER_CONTEXT(1));
        struct ng_slice data = ng_der_read_octet_string(&d);
        if (el.failed || t.failed || d.failed)
            return;
        if (is_win2k_pac(type) && (*found)++ == 0)
            *pac = data;
    }
}

enum ng_pac_presence ng_pac_find(krb5_authdata *const *authdata, struct ng_slice *pac)
{
    unsigned found = 0;
    for (size_t i = 0; authdata != NULL && authdata[i] != NULL; i++)
        if (authdata[i]->ad_type == AD_IF_RELEVANT)
            pacs_in_if_relevant(ng_slice_of(authdata[i]->contents, authdata[i]->length), pac,
                                &found);
    return found == 0 ? NG_PAC_NONE : found == 1 ? NG_PAC_ONE : NG_PAC_SEVERAL;
}

static ng_status logon_info_from_pac(struct ng_slice pac, uint8_t **out, size_t *len)
{
    struct ng_slice info;
    *out = NULL;
    *len = 0;
    if (!ng_pac_buffer(pac, NG_PAC_LOGON_INFO, &info))
        return NG_OK;
    *out = ng_memdup(info.ptr, info.len); /* an empty buffer still gives a (1-byte) allocation */
    *len = info.len;
    return *out != NULL ? NG_OK : NG_ERR_NOMEM;
}

ng_status ng_pac_logon_info_copy(krb5_authdata *const *authdata, uint8_t **out, size_t *len)
{
    struct ng_slice pac;
    *out = NULL;
    *len = 0;
    switch (ng_pac_find(authdata, &pac)) {
    case NG_PAC_ONE:
        return logon_info_from_pac(pac, out, len);
    case NG_PAC_SEVERAL:
        return NG_ERR_BAD_PAC;
    default:
        return NG_OK;
    }
}

/* ---- NDR (MS-RPCE §2.2.6 type serialisation version 1, little-endian) ------------------ */

struct ndr {
    struct ng_reader r;
    size_t total; /* alignment is relative to the start of the buffer */
};

static void ndr_align(struct ndr *n, size_t a)
{
    size_t at = n->total - n->r.len;
    ng_read_skip(&n->r, (a - at % a) % a);
}

static uint32_t ndr_u32(struct ndr *n)
{
    ndr_align(n, 4);
    return ng_read_le32(&n->r);
}

static void ndr_skip(struct ndr *n, size_t len)
{
    ng_read_skip(&n->r, len);
}

/* MS-RPCE §2.2.6.1 common header and §2.2.6.2 private header, then the top-level pointer. */
static bool ndr_headers(struct ndr *n)
{
    uint8_t version = ng_read_u8(&n->r), endian = ng_read_u8(&n->r);
    uint16_t header_len = ng_read_le16(&n->r);
    ndr_skip(n, 4 + 8);
    return !n->r.failed && version == 1 && endian == 0x10 && header_len == 8 && ndr_u32(n) != 0;
}

/* RPC_UNICODE_STRING in the fixed part: lengths and a pointer; true when the text follows. */
static bool ndr_string_ref(struct ndr *n)
{
    ndr_align(n, 4);
    ndr_skip(n, 4);
    return ndr_u32(n) != 0;
}

/* The deferred text: conformant varying array of UTF-16LE units. */
static struct ng_slice ndr_string_body(struct ndr *n)
{
    uint32_t max = ndr_u32(n), offset = ndr_u32(n), actual = ndr_u32(n);
    if (offset != 0 || actual > max)
        n->r.failed = true;
    return ng_read_slice(&n->r, (size_t)actual * 2);
}

/* An RPC_SID (MS-DTYP §2.4.2.3) as text, optionally followed by one more RID. */
static ng_status ndr_sid(struct ndr *n, char *out, size_t cap)
{
    uint32_t max = ndr_u32(n);
    uint8_t revision = ng_read_u8(&n->r), count = ng_read_u8(&n->r);
    struct ng_slice auth = ng_read_slice(&n->r, 6);
    if (n->r.failed || revision != 1 || count > MAX_SUB_AUTHORITIES || max != count)
        return NG_ERR_INVALID_TOKEN;
    uint64_t authority = 0;
    for (int i = 0; i < 6; i++)
        authority = (authority << 8) | auth.ptr[i];
    int len = authority >> 32 ? snprintf(out, cap, "S-1-0x%012" PRIX64, authority)
                              : snprintf(out, cap, "S-1-%" PRIu64, authority);
    for (uint8_t i = 0; i < count && len > 0 && (size_t)len < cap; i++)
        len += snprintf(out + len, cap - (size_t)len, "-%" PRIu32, ndr_u32(n));
    return n->r.failed || len <= 0 || (size_t)len >= cap ? NG_ERR_INVALID_TOKEN : NG_OK;
}

/* ---- KERB_VALIDATION_INFO (MS-PAC §2.5) ------------------------------------------------ */

/* What the fixed part says follows in the deferred part. */
struct validation_refs {
    bool strings[6]; /* EffectiveName .. HomeDirectoryDrive */
    uint32_t user_id, primary_group_id;
    uint32_t group_count;
    bool groups;
    bool logon_server, logon_domain, domain_sid;
    uint32_t sid_count;
    bool extra_sids;
    bool resource_domain;
    uint32_t resource_count;
    bool resource_groups;
};

static void read_fixed_part(struct ndr *n, struct validation_refs *v)
{
    ndr_align(n, 4);
    ndr_skip(n, 6 * 8); /* six FILETIMEs */
    for (int i = 0; i < 6; i++)
        v->strings[i] = ndr_string_ref(n);
    ndr_skip(n, 2 + 2); /* LogonCount, BadPasswordCount */
    v->user_id = ndr_u32(n);
    v->primary_group_id = ndr_u32(n);
    v->group_count = ndr_u32(n);
    v->groups = ndr_u32(n) != 0;
    ndr_skip(n, 4 + 16); /* UserFlags, UserSessionKey */
    v->logon_server = ndr_string_ref(n);
    v->logon_domain = ndr_string_ref(n);
    v->domain_sid = ndr_u32(n) != 0;
    ndr_skip(n, 8 + 4 + 4 + 8 + 8 + 4 + 4); /* Reserved1 .. Reserved3 */
    v->sid_count = ndr_u32(n);
    v->extra_sids = ndr_u32(n) != 0;
    v->resource_domain = ndr_u32(n) != 0;
    v->resource_count = ndr_u32(n);
    v->resource_groups = ndr_u32(n) != 0;
}

struct sid_list {
    char **items;
    size_t n, cap;
};

static ng_status list_add(struct sid_list *l, const char *s)
{
    if (l->n == l->cap)
        return NG_ERR_INVALID_TOKEN; /* more than the counts announced */
    l->items[l->n] = ng_strdup(s);
    return l->items[l->n++] != NULL ? NG_OK : NG_ERR_NOMEM;
}

/* GROUP_MEMBERSHIP array: conformance, then (RelativeId, Attributes) pairs, each under `domain`. */
static ng_status read_groups(struct ndr *n, uint32_t count, const char *domain,
                             struct sid_list *out)
{
    if (ndr_u32(n) != count)
        return NG_ERR_INVALID_TOKEN;
    for (uint32_t i = 0; i < count; i++) {
        char sid[SID_STRING_MAX];
        uint32_t rid = ndr_u32(n);
        ndr_skip(n, 4);
        if (n->r.failed || domain[0] == '\0')
            return NG_ERR_INVALID_TOKEN;
        snprintf(sid, sizeof(sid), "%s-%" PRIu32, domain, rid);
        NG_GUARD(list_add(out, sid));
    }
    return NG_OK;
}

/* KERB_SID_AND_ATTRIBUTES array, then the SIDs its pointers refer to. */
static ng_status read_extra_sids(struct ndr *n, uint32_t count, struct sid_list *out)
{
    if (ndr_u32(n) != count)
        return NG_ERR_INVALID_TOKEN;
    uint32_t present = 0;
    for (uint32_t i = 0; i < count && !n->r.failed; i++) {
        present += ndr_u32(n) != 0;
        ndr_skip(n, 4);
    }
    for (uint32_t i = 0; i < present; i++) {
        char sid[SID_STRING_MAX];
        NG_GUARD(ndr_sid(n, sid, sizeof(sid)));
        NG_GUARD(list_add(out, sid));
    }
    return ng_reader_status(&n->r);
}

/* What the deferred part holds besides the groups (slices into the buffer). */
struct validation_values {
    struct ng_slice effective_name, logon_domain_name; /* UTF-16LE */
    char domain_sid[SID_STRING_MAX];
};

static ng_status read_deferred(struct ndr *n, const struct validation_refs *v, struct sid_list *out,
                               struct validation_values *val)
{
    char *domain = val->domain_sid, resource[SID_STRING_MAX] = "";
    domain[0] = '\0';
    for (int i = 0; i < 6; i++) {
        if (v->strings[i]) {
            struct ng_slice text = ndr_string_body(n);
            if (i == 0)
                val->effective_name = text;
        }
    }
    /* GroupIds come before LogonDomainId, which names their domain: remember where they are. */
    struct ndr groups_at = *n;
    if (v->groups && ndr_u32(n) == v->group_count)
        ndr_skip(n, (size_t)v->group_count * 8);
    if (v->logon_server)
        ndr_string_body(n);
    if (v->logon_domain)
        val->logon_domain_name = ndr_string_body(n);
    if (v->domain_sid)
        NG_GUARD(ndr_sid(n, domain, SID_STRING_MAX));
    if (v->groups)
        NG_GUARD(read_groups(&groups_at, v->group_count, domain, out));
    if (v->extra_sids)
        NG_GUARD(read_extra_sids(n, v->sid_count, out));
    if (v->resource_domain)
        NG_GUARD(ndr_sid(n, resource, sizeof(resource)));
    if (v->resource_groups)
        NG_GUARD(read_groups(n, v->resource_count, resource, out));
    return ng_reader_status(&n->r);
}

static void list_free(struct sid_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        ng_free(l->items[i]);
    ng_free(l->items);
}

/* The whole KERB_VALIDATION_INFO: the group SIDs into `l` (allocated here), the rest into
 * `v` and `val`. */
static ng_status read_validation_info(struct ng_slice logon_info, struct validation_refs *v,
                                      struct validation_values *val, struct sid_list *l)
{
    struct ndr nd = {ng_reader_of(logon_info), logon_info.len};
    if (!ndr_headers(&nd))
        return NG_ERR_INVALID_TOKEN;
    read_fixed_part(&nd, v);
    /* Every entry takes at least 8 bytes: counts beyond the buffer are lies. */
    size_t cap = (size_t)(v->groups ? v->group_count : 0) + (v->extra_sids ? v->sid_count : 0) +
                 (v->resource_groups ? v->resource_count : 0);
    if (nd.r.failed || cap > logon_info.len / 8)
        return NG_ERR_INVALID_TOKEN;
    *l = (struct sid_list){ng_alloc((cap > 0 ? cap : 1) * sizeof(char *)), 0, cap};
    if (l->items == NULL)
        return NG_ERR_NOMEM;
    ng_status status = read_deferred(&nd, v, l, val);
    if (status != NG_OK) {
        list_free(l);
        *l = (struct sid_list){0};
    }
    return status;
}

ng_status ng_pac_group_sids(struct ng_slice logon_info, char ***sids, size_t *n)
{
    struct validation_refs v = {0};
    struct validation_values val = {0};
    struct sid_list l;
    *sids = NULL;
    *n = 0;
    NG_GUARD(read_validation_info(logon_info, &v, &val, &l));
    *sids = l.items;
    *n = l.n;
    return NG_OK;
}

ng_status ng_pac_utf16_text(struct ng_slice text, char **out)
{
    size_t len;
    if (text.len % 2 != 0)
        return NG_ERR_INVALID_TOKEN;
    /* UTF-16LE bytes as units: aligned copy, then the shared converter. */
    SEC_WCHAR *units = ng_alloc(text.len + 2);
    if (units == NULL)
        return NG_ERR_NOMEM;
    for (size_t i = 0; i < text.len / 2; i++)
        units[i] = (SEC_WCHAR)(text.ptr[2 * i] | text.ptr[2 * i + 1] << 8);
    ng_status status = ng_utf16_to_utf8(units, text.len / 2, out, &len);
    ng_free(units);
    return status == NG_OK ? NG_OK : status == NG_ERR_NOMEM ? status : NG_ERR_INVALID_TOKEN;
}

static ng_status sid_with_rid(const char *domain, uint32_t rid, char **out)
{
    char sid[SID_STRING_MAX + 12];
    if (domain[0] == '\0')
        return NG_ERR_INVALID_TOKEN;
    snprintf(sid, sizeof(sid), "%s-%" PRIu32, domain, rid);
    *out = ng_strdup(sid);
    return *out != NULL ? NG_OK : NG_ERR_NOMEM;
}

void ng_pac_logon_free(struct ng_pac_logon *l)
{
    ng_free(l->account);
    ng_free(l->domain);
    ng_free(l->user_sid);
    ng_free(l->primary_group_sid);
    *l = (struct ng_pac_logon){0};
}

ng_status ng_pac_logon_identity(struct ng_slice logon_info, struct ng_pac_logon *out)
{
    struct validation_refs v = {0};
    struct validation_values val = {0};
    struct sid_list l;
    *out = (struct ng_pac_logon){0};
    NG_GUARD(read_validation_info(logon_info, &v, &val, &l));
    list_free(&l);
    ng_status status = ng_pac_utf16_text(val.effective_name, &out->account);
    if (status == NG_OK)
        status = ng_pac_utf16_text(val.logon_domain_name, &out->domain);
    if (status == NG_OK)
        status = sid_with_rid(val.domain_sid, v.user_id, &out->user_sid);
    if (status == NG_OK)
        status = sid_with_rid(val.domain_sid, v.primary_group_id, &out->primary_group_sid);
    if (status != NG_OK)
        ng_pac_logon_free(out);
    return status;
}
