/* HTTP/1.1 answers (see http_answer.h). */
#include "http_answer.h"

#include <string.h>

#include "base64.h"

static const char *reason(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 408:
        return "Request Timeout";
    case 413:
        return "Content Too Large";
    case 414:
        return "URI Too Long";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 503:
        return "Service Unavailable";
    case 505:
        return "HTTP Version Not Supported";
    default:
        return "Error";
    }
}

void rs_http_begin(struct rs_out *o, int status)
{
    rs_out_str(o, "HTTP/1.1 ");
    rs_out_uint(o, (uint64_t)status);
    rs_out_strs(o, " ", reason(status),
                "\r\nServer: negring-ringserver\r\nCache-Control: no-store\r\n", NULL);
}

void rs_http_challenge(struct rs_out *o, const struct rs_conn *c)
{
    enum rs_mechs m = c->lis->cfg->mechs;
    if (m != RS_MECHS_NTLM)
        rs_out_str(o, "WWW-Authenticate: Negotiate\r\n");
    if (m != RS_MECHS_KERBEROS && c->w->srv->creds.has_ntlm)
        rs_out_str(o, "WWW-Authenticate: NTLM\r\n");
}

void rs_http_token(struct rs_out *o, const char *scheme, const uint8_t *tok, size_t len)
{
    rs_out_strs(o, "WWW-Authenticate: ", scheme, " ", NULL);
    rs_out_b64(o, tok, len, false);
    rs_out_str(o, "\r\n");
}

static bool header_safe(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return false;
    return *s != '\0';
}

/* Runs of characters that need no escape go out whole. */
static void json_string(struct rs_out *o, const char *s)
{
    const unsigned char *run = (const unsigned char *)s, *p = run;
    rs_out_put(o, "\"", 1);
    for (; *p; p++) {
        if (*p != '"' && *p != '\\' && *p >= 0x20)
            continue;
        rs_out_put(o, run, (size_t)(p - run));
        if (*p == '"' || *p == '\\')
            rs_out_printf(o, "\\%c", *p);
        else
            rs_out_printf(o, "\\u%04x", *p);
        run = p + 1;
    }
    rs_out_put(o, run, (size_t)(p - run));
    rs_out_put(o, "\"", 1);
}

/* alice@REALM -> REALM; DOMAIN\user -> DOMAIN. */
static void realm_of(const char *user, char *out, size_t len)
{
    const char *at = strrchr(user, '@'), *bs = strchr(user, '\\');
    size_t n = 0;
    const char *from = "";
    if (at != NULL)
        from = at + 1, n = strlen(at + 1);
    else if (bs != NULL)
        from = user, n = (size_t)(bs - user);
    if (n >= len)
        n = len - 1;
    memcpy(out, from, n);
    out[n] = '\0';
}

/* sid-headers: SIDs are digits, dashes and "S" (library-made): header-safe as they are. */
static void sids(struct rs_out *o, struct rs_out *body, const struct rs_identity *id)
{
    if (id->user_sid != NULL && id->user_sid[0] != '\0') {
        rs_out_strs(o, "X-Remote-User-SID: ", id->user_sid, "\r\n", NULL);
        rs_out_str(body, ",\"user_sid\":");
        json_string(body, id->user_sid);
    }
    if (id->primary_group_sid != NULL && id->primary_group_sid[0] != '\0') {
        rs_out_strs(o, "X-Remote-Primary-Group-SID: ", id->primary_group_sid, "\r\n", NULL);
        rs_out_str(body, ",\"primary_group_sid\":");
        json_string(body, id->primary_group_sid);
    }
    if (id->group_sids == NULL)
        return;
    rs_out_str(body, ",\"group_sids\":[\"");
    for (const char *p = id->group_sids; *p != '\0'; p++)
        rs_out_put(body, *p == ',' ? "\",\"" : p, *p == ',' ? 3 : 1);
    rs_out_str(body, "\"]");
}

bool rs_http_identity(struct rs_out *o, struct rs_out *body, const struct rs_identity *id)
{
    if (!header_safe(id->user) || (id->package[0] && !header_safe(id->package)))
        return false;
    char realm[256];
    realm_of(id->user, realm, sizeof(realm));
    rs_out_strs(o, "X-Remote-User: ", id->user, "\r\nX-Remote-Realm: ", realm,
                "\r\nX-Auth-Mechanism: ", id->package, "\r\nX-Auth-Source: ", id->source, "\r\n",
                NULL);
    rs_out_str(body, "{\"user\":");
    json_string(body, id->user);
    rs_out_str(body, ",\"realm\":");
    json_string(body, realm);
    rs_out_str(body, ",\"mechanism\":");
    json_string(body, id->package);
    rs_out_str(body, ",\"source\":");
    json_string(body, id->source);
    sids(o, body, id);
    rs_out_str(body, "}\n");
    return true;
}

void rs_http_end(struct rs_out *o, bool keep_alive, bool head, const char *content_type,
                 const void *body, size_t body_len)
{
    if (!keep_alive)
        rs_out_str(o, "Connection: close\r\n");
    rs_out_strs(o, "Content-Type: ", content_type, "\r\nContent-Length: ", NULL);
    rs_out_uint(o, body_len);
    rs_out_str(o, "\r\n\r\n");
    if (!head)
        rs_out_put(o, body, body_len);
}
