#include "pac_identity.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "reader.h"

enum {
    UPN_DNS_FLAG_EXTENDED = 0x2, /* MS-PAC §2.10 "S": SamName and Sid follow */
    MAX_SUB_AUTHORITIES = 15,
    SID_TEXT_MAX = 16 + 20 + MAX_SUB_AUTHORITIES * 11 + 1,
};

/* A SID in its binary form (MS-DTYP §2.4.2.2) as "S-1-...". */
static ng_status sid_text(struct ng_slice bytes, char *out, size_t cap)
{
    struct ng_reader r = ng_reader_of(bytes);
    uint8_t revision = ng_read_u8(&r), count = ng_read_u8(&r);
    struct ng_slice auth = ng_read_slice(&r, 6);
    if (r.failed || revision != 1 || count > MAX_SUB_AUTHORITIES)
        return NG_ERR_INVALID_TOKEN;
    uint64_t authority = 0;
    for (int i = 0; i < 6; i++)
        authority = (authority << 8) | auth.ptr[i];
    int len = authority >> 32 ? snprintf(out, cap, "S-1-0x%012" PRIX64, authority)
                              : snprintf(out, cap, "S-1-%" PRIu64, authority);
    for (uint8_t i = 0; i < count && len > 0 && (size_t)len < cap; i++)
        len += snprintf(out + len, cap - (size_t)len, "-%" PRIu32, ng_read_le32(&r));
    return r.failed || r.len != 0 || len <= 0 || (size_t)len >= cap ? NG_ERR_INVALID_TOKEN : NG_OK;
}

/* A (length, offset) pair of UPN_DNS_INFO: UTF-16LE text inside the buffer. */
static ng_status upn_field(struct ng_slice buffer, struct ng_reader *r, char **out)
{
    uint16_t len = ng_read_le16(r), offset = ng_read_le16(r);
    bool ok = !r->failed;
    struct ng_slice text = ng_slice_at(buffer, offset, len, &ok);
    if (!ok)
        return NG_ERR_INVALID_TOKEN;
    return ng_pac_utf16_text(text, out);
}

static ng_status read_upn_dns(struct ng_slice buffer, struct ng_pac_identity *id)
{
    struct ng_reader r = ng_reader_of(buffer);
    NG_GUARD(upn_field(buffer, &r, &id->upn));
    NG_GUARD(upn_field(buffer, &r, &id->dns_domain));
    (void)ng_read_le32(&r); /* Flags: the extended fields repeat what the logon info says */
    return ng_reader_status(&r) == NG_OK ? NG_OK : NG_ERR_INVALID_TOKEN;
}

void ng_pac_identity_free(struct ng_pac_identity *id)
{
    ng_pac_logon_free(&id->logon);
    ng_free(id->upn);
    ng_free(id->dns_domain);
    *id = (struct ng_pac_identity){0};
}

ng_status ng_pac_identity_read(struct ng_slice pac, struct ng_pac_identity *out)
{
    struct ng_slice buffer;
    ng_status status = NG_OK;
    *out = (struct ng_pac_identity){0};
    if (ng_pac_buffer(pac, NG_PAC_LOGON_INFO, &buffer))
        status = ng_pac_logon_identity(buffer, &out->logon);
    if (status == NG_OK && ng_pac_buffer(pac, NG_PAC_UPN_DNS_INFO, &buffer))
        status = read_upn_dns(buffer, out);
    if (status != NG_OK)
        ng_pac_identity_free(out);
    return status;
}

ng_status ng_pac_check_requestor(struct ng_slice pac, char *why, size_t why_len)
{
    struct ng_slice requestor, info;
    char sid[SID_TEXT_MAX];
    if (why != NULL && why_len > 0)
        why[0] = '\0';
    if (!ng_pac_buffer(pac, NG_PAC_REQUESTOR, &requestor))
        return NG_OK;
    if (sid_text(requestor, sid, sizeof(sid)) != NG_OK) {
        if (why != NULL)
            snprintf(why, why_len, "malformed PAC_REQUESTOR");
        return NG_ERR_BAD_PAC;
    }
    struct ng_pac_logon logon = {0};
    ng_status status = NG_ERR_BAD_PAC;
    if (ng_pac_buffer(pac, NG_PAC_LOGON_INFO, &info))
        status = ng_pac_logon_identity(info, &logon);
    if (status == NG_ERR_NOMEM)
        return status;
    if (status == NG_OK && strcmp(logon.user_sid, sid) != 0)
        status = NG_ERR_BAD_PAC;
    if (status != NG_OK && why != NULL)
        snprintf(why, why_len, "PAC_REQUESTOR %s is not the logon info's user %s", sid,
                 logon.user_sid ? logon.user_sid : "(none)");
    ng_pac_logon_free(&logon);
    return status;
}

ng_status ng_pac_canonical_name(struct ng_slice pac, const char *realm, size_t realm_len,
                                char **out)
{
    struct ng_slice info;
    struct ng_pac_logon logon;
    *out = NULL;
    if (!ng_pac_buffer(pac, NG_PAC_LOGON_INFO, &info))
        return NG_OK;
    NG_GUARD(ng_pac_logon_identity(info, &logon));
    size_t account = strlen(logon.account);
    if (account > 0) {
        *out = ng_alloc(account + realm_len + 2);
        if (*out != NULL) {
            memcpy(*out, logon.account, account);
            (*out)[account] = '@';
            memcpy(*out + account + 1, realm, realm_len);
        }
    }
    ng_status status = account > 0 && *out == NULL ? NG_ERR_NOMEM : NG_OK;
    ng_pac_logon_free(&logon);
    return status;
}
