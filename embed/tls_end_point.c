/* tls-server-end-point channel bindings (see tls_end_point.h). */
#include "tls_end_point.h"

#include <string.h>

bool ne_tls_end_point_bindings(X509 *cert, struct ne_channel_bindings *out)
{
    static const char prefix[] = "tls-server-end-point:";
    int md_nid = NID_undef;
    if (X509_get_signature_info(cert, &md_nid, NULL, NULL, NULL) != 1)
        md_nid = NID_undef;
    const EVP_MD *md = md_nid == NID_md5 || md_nid == NID_sha1 || md_nid == NID_undef
                           ? EVP_sha256()
                           : EVP_get_digestbynid(md_nid);
    SEC_CHANNEL_BINDINGS head = {0};
    unsigned hash_len = 0;
    uint8_t *app = out->buf + sizeof(head);
    memcpy(app, prefix, sizeof(prefix) - 1);
    if (md == NULL || X509_digest(cert, md, app + sizeof(prefix) - 1, &hash_len) != 1)
        return false;
    head.cbApplicationDataLength = (ULONG)(sizeof(prefix) - 1 + hash_len);
    head.dwApplicationDataOffset = sizeof(head);
    memcpy(out->buf, &head, sizeof(head));
    out->len = sizeof(head) + head.cbApplicationDataLength;
    return true;
}
