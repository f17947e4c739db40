#include "pac_signature.h"

#include <string.h>

#include "alloc.h"
#include "constant_time.h"
#include "krb5_aes.h"
#include "pac_logon_info.h"
#include "reader.h"
#include "utf16.h"

enum {
    PAC_SERVER_CHECKSUM = 6,
    PAC_PRIVSVR_CHECKSUM = 7,
    PAC_CLIENT_INFO = 10,
    PAC_ALIGNMENT = 8,
    SIGNATURE_TYPE_LEN = 4,        /* PAC_SIGNATURE_DATA: SignatureType, then the signature */
    CLIENT_INFO_HEADER = 10,       /* ClientId (FILETIME), NameLength */
    MAX_NAME_UNITS = 256,          /* UTF-16 units of a client name */
    KEY_USAGE_APP_DATA_CKSUM = 17, /* RFC 4120 §7.5.1, as MS-PAC §2.8 has it */
};

/* Seconds from 1601-01-01 (FILETIME's epoch) to 1970-01-01. */
#define FILETIME_UNIX_OFFSET INT64_C(11644473600)

struct pac_buffers {
    struct ng_slice server, privsvr, client_info;
    size_t server_offset, privsvr_offset; /* where each signature buffer starts in the PAC */
};

/* PACTYPE and its PAC_INFO_BUFFERs as libkrb5's parser takes them: each buffer 8-aligned, after
 * the header; one server signature, one KDC signature, one client info. */
static bool find_buffers(struct ng_slice pac, struct pac_buffers *b)
{
    struct ng_pac_walk w = ng_pac_walk_begin(pac);
    struct ng_pac_info_buffer info;
    unsigned servers = 0, privsvrs = 0, client_infos = 0;
    *b = (struct pac_buffers){0};
    while (ng_pac_walk_next(&w, &info)) {
        if (info.offset % PAC_ALIGNMENT != 0 || info.offset < ng_pac_header_len(&w))
            return false;
        if (info.type == PAC_SERVER_CHECKSUM) {
            b->server = info.data;
            b->server_offset = (size_t)info.offset;
            servers++;
        } else if (info.type == PAC_PRIVSVR_CHECKSUM) {
            b->privsvr = info.data;
            b->privsvr_offset = (size_t)info.offset;
            privsvrs++;
        } else if (info.type == PAC_CLIENT_INFO) {
            b->client_info = info.data;
            client_infos++;
        }
    }
    return !w.malformed && servers == 1 && privsvrs == 1 && client_infos == 1 &&
           b->server.len >= SIGNATURE_TYPE_LEN && b->privsvr.len >= SIGNATURE_TYPE_LEN;
}

/* The mandatory checksum of each AES enctype (RFC 3962 §7, RFC 8009 §8). */
static int32_t checksum_type(krb5_enctype enctype)
{
    switch (enctype) {
    case ENCTYPE_AES128_CTS_HMAC_SHA1_96:
        return CKSUMTYPE_HMAC_SHA1_96_AES128;
    case ENCTYPE_AES256_CTS_HMAC_SHA1_96:
        return CKSUMTYPE_HMAC_SHA1_96_AES256;
    case ENCTYPE_AES128_CTS_HMAC_SHA256_128:
        return CKSUMTYPE_HMAC_SHA256_128_AES128;
    case ENCTYPE_AES256_CTS_HMAC_SHA384_192:
        return CKSUMTYPE_HMAC_SHA384_192_AES256;
    default:
        return 0;
    }
}

/* §2.8.1: the server signature, over the PAC with the data of both signatures zeroed, checked
 * with the service key's checksum key `kc` (usage 17) of `enctype`. */
static bool server_signature_good(struct ng_slice pac, const struct pac_buffers *b,
                                  krb5_enctype enctype, const struct ng_krb5_hmac_key *kc)
{
    uint8_t mac[NG_KRB5_AES_MAX_MAC];
    struct ng_reader r = ng_reader_of(b->server);
    int32_t type = (int32_t)ng_read_le32(&r);
    struct ng_slice signature = ng_read_rest(&r);
    if (type != checksum_type(enctype) || signature.len != kc->mac_len)
        return false;
    uint8_t *zeroed = ng_memdup(pac.ptr, pac.len);
    if (zeroed == NULL)
        return false;
    memset(zeroed + b->server_offset + SIGNATURE_TYPE_LEN, 0, b->server.len - SIGNATURE_TYPE_LEN);
    memset(zeroed + b->privsvr_offset + SIGNATURE_TYPE_LEN, 0, b->privsvr.len - SIGNATURE_TYPE_LEN);
    ng_krb5_aes_checksum(kc, ng_slice_of(zeroed, pac.len), mac);
    ng_free(zeroed);
    return ng_ct_equal(mac, signature.ptr, kc->mac_len);
}

/* `name` (UTF-8, no realm) names `client` when its '/'-separated parts are the client's
 * components; a name with an escape or a realm would need libkrb5's parser. */
static bool names_client(const char *name, size_t len, const struct ng_principal_ref *client)
{
    if (memchr(name, '\\', len) != NULL || memchr(name, '@', len) != NULL)
        return false;
    size_t start = 0, component = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && name[i] != '/')
            continue;
        if (component == client->ncomponents ||
            !ng_slice_eq(ng_slice_of(name + start, i - start), client->components[component]))
            return false;
        component++;
        start = i + 1;
    }
    return component == client->ncomponents;
}

/* §2.7: ClientId is the ticket's authtime (libkrb5 compares whole seconds) and the name is the
 * client's. */
static bool client_info_good(struct ng_slice info, const struct ng_principal_ref *client,
                             int64_t authtime)
{
    struct ng_reader r = ng_reader_of(info);
    uint64_t client_id = ng_read_le64(&r);
    uint16_t name_len = ng_read_le16(&r);
    struct ng_slice name = ng_read_slice(&r, name_len);
    if (r.failed || name_len % 2 != 0 || name_len / 2 > MAX_NAME_UNITS ||
        (int64_t)(client_id / 10000000) - FILETIME_UNIX_OFFSET != authtime)
        return false;
    SEC_WCHAR units[MAX_NAME_UNITS];
    for (size_t i = 0; i < name.len / 2; i++)
        units[i] = (SEC_WCHAR)(name.ptr[2 * i] | name.ptr[2 * i + 1] << 8);
    char *utf8 = NULL;
    size_t utf8_len = 0;
    if (ng_utf16_to_utf8(units, name.len / 2, &utf8, &utf8_len) != NG_OK)
        return false;
    bool good = names_client(utf8, utf8_len, client);
    ng_free(utf8);
    return good;
}

bool ng_pac_proven_good_keyed(struct ng_slice pac, krb5_enctype enctype,
                              const struct ng_krb5_hmac_key *server_kc,
                              const struct ng_principal_ref *client, int64_t authtime)
{
    struct pac_buffers b;
    return find_buffers(pac, &b) && client_info_good(b.client_info, client, authtime) &&
           server_signature_good(pac, &b, enctype, server_kc);
}

bool ng_pac_proven_good(struct ng_slice pac, const krb5_keyblock *server_key,
                        const struct ng_principal_ref *client, int64_t authtime)
{
    struct ng_krb5_hmac_key kc;
    if (!ng_krb5_aes_supported(server_key->enctype) ||
        ng_krb5_aes_derive_checksum(server_key->enctype,
                                    ng_slice_of(server_key->contents, server_key->length),
                                    KEY_USAGE_APP_DATA_CKSUM, &kc) != NG_OK)
        return false;
    bool good = ng_pac_proven_good_keyed(pac, server_key->enctype, &kc, client, authtime);
    ng_krb5_aes_wipe(&kc, sizeof(kc));
    return good;
}
