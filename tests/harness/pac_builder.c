#include "pac_builder.h"

#include <stdlib.h>
#include <string.h>

static void put(struct ng_test_buf *e, const void *p, size_t n)
{
    if (e->len + n > sizeof(e->buf))
        abort();
    memcpy(e->buf + e->len, p, n);
    e->len += n;
}

static void align4(struct ng_test_buf *e)
{
    static const uint8_t zero[4];
    put(e, zero, (4 - e->len % 4) % 4);
}

static void u32(struct ng_test_buf *e, uint32_t v)
{
    align4(e);
    uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    put(e, b, 4);
}

static void u16(struct ng_test_buf *e, uint16_t v)
{
    uint8_t b[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
    put(e, b, 2);
}

/* RPC_UNICODE_STRING header (MS-DTYP §2.3.10) with a referent id, or a NULL one. */
static void ustr_ref(struct ng_test_buf *e, const char *s, uint32_t *ref)
{
    align4(e);
    u16(e, s ? (uint16_t)(2 * strlen(s)) : 0);
    u16(e, s ? (uint16_t)(2 * strlen(s)) : 0);
    u32(e, s ? (*ref)++ : 0);
}

static void ustr_body(struct ng_test_buf *e, const char *s)
{
    u32(e, (uint32_t)strlen(s));
    u32(e, 0);
    u32(e, (uint32_t)strlen(s));
    for (const char *p = s; *p; p++)
        u16(e, (uint16_t)*p);
}

/* RPC_SID: S-1-<authority>-<subs...> */
static void sid(struct ng_test_buf *e, uint8_t authority, const uint32_t *subs, uint8_t n)
{
    u32(e, n);
    uint8_t head[8] = {1, n, 0, 0, 0, 0, 0, authority};
    put(e, head, 8);
    for (uint8_t i = 0; i < n; i++)
        u32(e, subs[i]);
}

static const uint32_t domain_subs[] = {21, 1, 2, 3}, resource_subs[] = {21, 9, 9, 9},
                      extra_subs[] = {1};

/* Domain S-1-5-21-1-2-3 groups 513 and 1105, extra SID S-1-18-1, resource group
 * S-1-5-21-9-9-9-1200; EffectiveName and LogonDomainName present, the other strings NULL. */
void ng_test_validation_info(struct ng_test_buf *e)
{
    e->len = 0;
    uint32_t ref = 0x20000;
    static const uint8_t common[8] = {1, 0x10, 8, 0, 0xcc, 0xcc, 0xcc, 0xcc};
    put(e, common, 8);
    u32(e, 0); /* object buffer length, patched below */
    u32(e, 0);
    u32(e, ref++); /* the top-level pointer */
    for (int i = 0; i < 12; i++)
        u32(e, 0x01020304); /* six FILETIMEs */
    const char *strings[6] = {"alice", NULL, NULL, NULL, NULL, NULL};
    for (int i = 0; i < 6; i++)
        ustr_ref(e, strings[i], &ref);
    u16(e, 7);
    u16(e, 0);
    u32(e, 1104);  /* UserId */
    u32(e, 513);   /* PrimaryGroupId */
    u32(e, 2);     /* GroupCount */
    u32(e, ref++); /* GroupIds */
    u32(e, 0x20);  /* UserFlags: extra SIDs */
    for (int i = 0; i < 4; i++)
        u32(e, 0);             /* UserSessionKey */
    ustr_ref(e, NULL, &ref);   /* LogonServer */
    ustr_ref(e, "TEST", &ref); /* LogonDomainName */
    u32(e, ref++);             /* LogonDomainId */
    for (int i = 0; i < 2 + 1 + 1 + 2 + 2 + 1 + 1; i++)
        u32(e, 0);
    u32(e, 1);     /* SidCount */
    u32(e, ref++); /* ExtraSids */
    u32(e, ref++); /* ResourceGroupDomainSid */
    u32(e, 1);     /* ResourceGroupCount */
    u32(e, ref++); /* ResourceGroupIds */
    /* Deferred, in the order of the pointers above. */
    ustr_body(e, "alice");
    u32(e, 2);
    u32(e, 513);
    u32(e, 7);
    u32(e, 1105);
    u32(e, 7);
    ustr_body(e, "TEST");
    sid(e, 5, domain_subs, 4);
    u32(e, 1);
    u32(e, ref++);
    u32(e, 7);
    sid(e, 18, extra_subs, 1);
    sid(e, 5, resource_subs, 4);
    u32(e, 1);
    u32(e, 1200);
    u32(e, 7);
    uint32_t body = (uint32_t)(e->len - 16);
    memcpy(e->buf + 8, &body, 4); /* little-endian host */
}

void ng_test_upn_dns_info(struct ng_test_buf *e, const char *upn, const char *dns_domain)
{
    size_t u = strlen(upn), d = strlen(dns_domain);
    e->len = 0;
    u16(e, (uint16_t)(2 * u));
    u16(e, 16); /* the strings follow the 16-byte fixed part */
    u16(e, (uint16_t)(2 * d));
    u16(e, (uint16_t)(16 + 2 * u));
    u32(e, 0); /* Flags */
    u32(e, 0); /* padding to 16 */
    for (size_t i = 0; i < u; i++)
        u16(e, (uint16_t)upn[i]);
    for (size_t i = 0; i < d; i++)
        u16(e, (uint16_t)dns_domain[i]);
}

void ng_test_sid_bytes(struct ng_test_buf *e, uint32_t rid)
{
    e->len = 0;
    uint8_t head[8] = {1, 5, 0, 0, 0, 0, 0, 5};
    put(e, head, 8);
    for (int i = 0; i < 4; i++)
        u32(e, domain_subs[i]);
    u32(e, rid);
}
