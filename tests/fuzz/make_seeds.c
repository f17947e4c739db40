/* Makes the fuzz seed corpora from real tokens: MIT's GSSAPI initiator (SPNEGO and raw krb5,
 * with and without mutual authentication, delegation, channel bindings, and a three-leg
 * mechListMIC exchange) against negring's acceptor, in the realm of the environment
 * (scripts/realm.sh's env file). Writes DIR/<target>/<name> for every fuzz target.
 *
 *   make_seeds DIR [USER_DB_OUT]   (keytab: NEGRING_FUZZ_KEYTAB, else KRB5_KTNAME)
 *
 * With USER_DB_OUT it also writes the NTLM account database the NTLM seeds' password matches.
 * Run once by `scripts/fuzz.sh seeds` for the committed corpus, and by every campaign for fresh
 * accept seeds that the throwaway realm's keys can decrypt. */
#include <errno.h>
#include <krb5/krb5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "gss_peer.h"
#include "pac_builder.h"
#include "krb5_ap_req.h"
#include "krb5_token.h"
#include "alloc.h"
#include "base64.h"
#include "ntlm_av_pairs.h"
#include "ntlm_crypto.h"
#include "ntlm_message.h"
#include "ntlm_response.h"
#include "proxy_protocol.h"
#include "spnego.h"

#define LEG_SEPARATOR "\xfe\xedLEG" /* as in fuzz_accept.c */

static const char *out_dir;
static const char *keytab;
static CredHandle negotiate;
static const OM_uint32 mutual = GSS_C_MUTUAL_FLAG | GSS_C_INTEG_FLAG | GSS_C_CONF_FLAG;
static const char app_bindings[] = "tls-server-end-point:negring-fuzz-seed";

_Noreturn static void die(const char *what)
{
    fprintf(stderr, "make_seeds: %s\n", what);
    exit(1);
}

static void write_seed(const char *target, const char *name, const void *a, size_t alen)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", out_dir, target);
    if (mkdir(path, 0755) != 0 && errno != EEXIST)
        die("mkdir");
    snprintf(path, sizeof(path), "%s/%s/%s", out_dir, target, name);
    FILE *f = fopen(path, "wb");
    if (f == NULL || fwrite(a, 1, alen, f) != alen || fclose(f) != 0)
        die(path);
}

/* A fuzz_squid_helper_line seed: the token-size selector (4: 96 KiB), then a Squid helper
 * request line carrying `tok` (squid/helper_line.h). */
static void squid_line_seed(const char *name, const char *request, const void *tok, size_t len)
{
    static char line[1 + 32 + 2 * 65536];
    size_t n = (size_t)snprintf(line, sizeof(line), "%c%s ", 4, request);
    if (n + ne_b64_encoded_len(len) + 1 > sizeof(line))
        die("squid seed too long");
    n += ne_b64_encode(tok, len, false, line + n);
    write_seed("squid_helper_line", name, line, n);
}

/* A fuzz_raw_frame seed: the limit selector (4: 65536), then `tok` framed as a raw-protocol
 * client would send it, twice (two frames back to back). */
static void raw_frame_seed(const char *name, const void *tok, size_t len)
{
    static unsigned char buf[1 + 2 * (4 + 32768)];
    if (len > 32768)
        return;
    size_t n = 0;
    buf[n++] = 4;
    for (int copy = 0; copy < 2; copy++) {
        for (int i = 3; i >= 0; i--)
            buf[n++] = (unsigned char)(len >> (8 * i));
        memcpy(buf + n, tok, len);
        n += len;
    }
    write_seed("raw_frame", name, buf, n);
}

/* Edge frames: an empty token then a partial one, a length over every limit, a cut token. */
static void raw_frame_edge_seeds(void)
{
    static const unsigned char empty_then_partial[] = {4, 0, 0, 0, 0, 0, 0, 0, 2, 'h', 'i', 0, 0};
    static const unsigned char too_large[] = {2, 0xff, 0xff, 0xff, 0xff};
    static const unsigned char partial[] = {4, 0, 0, 0, 5, 'a', 'b'};
    write_seed("raw_frame", "empty-then-frame-then-partial", empty_then_partial,
               sizeof(empty_then_partial));
    write_seed("raw_frame", "too-large", too_large, sizeof(too_large));
    write_seed("raw_frame", "partial", partial, sizeof(partial));
}

/* fuzz_proxy_protocol seeds, as HAProxy's send-proxy-v2 writes them: a client over IPv4 with
 * the request after it, over IPv6, a LOCAL health check, TLVs closed by a CRC32C, a cut one. */
static void proxy_protocol_seeds(void)
{
    static const unsigned char sig[12] = {0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d,
                                          0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a};
    static const unsigned char v4[12] = {203, 0, 113, 7, 127, 0, 0, 1, 0xc8, 0x22, 0x1f, 0x90};
    static const unsigned char v6[36] = {
        0x20, 0x01, 0x0d, 0xb8, [15] = 0x42, [31] = 1, 0x9c, 0x40, 0x01, 0xbb};
    static const unsigned char tlvs[] = {0x01, 0,   8,    'h', 't', 't', 'p', '/', '1',
                                         '.',  '1', 0x03, 0,   4,   0,   0,   0,   0};
    static const char request[] = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
    unsigned char b[128];
    memcpy(b, sig, 12);
    b[12] = 0x21, b[13] = 0x11, b[14] = 0, b[15] = 12;
    memcpy(b + 16, v4, 12);
    memcpy(b + 28, request, sizeof(request) - 1);
    write_seed("proxy_protocol", "ipv4-then-request", b, 28 + sizeof(request) - 1);
    write_seed("proxy_protocol", "ipv4-cut", b, 21);
    b[13] = 0x21, b[15] = 36;
    memcpy(b + 16, v6, 36);
    write_seed("proxy_protocol", "ipv6", b, 52);
    b[12] = 0x20, b[13] = 0x00, b[15] = 0;
    write_seed("proxy_protocol", "local", b, 16);
    b[12] = 0x21, b[13] = 0x11, b[15] = 12 + sizeof(tlvs);
    memcpy(b + 16, v4, 12);
    memcpy(b + 28, tlvs, sizeof(tlvs));
    size_t n = 28 + sizeof(tlvs);
    uint32_t crc = rs_crc32c(0, b, n);
    for (int i = 0; i < 4; i++)
        b[n - 4 + i] = (unsigned char)(crc >> (24 - 8 * i));
    write_seed("proxy_protocol", "ipv4-alpn-crc32c", b, n);
}

/* fuzz_resp seeds: the limits selector (0: ringserver's), then the replies its commands get. */
static void resp_seeds(void)
{
    static const char ok[] = "\0+OK\r\n", nil[] = "\0$-1\r\n",
                      array[] = "\0*2\r\n$5\r\nalice\r\n:7\r\n",
                      error[] = "\0-NOAUTH Authentication required.\r\n";
    write_seed("resp", "ok", ok, sizeof(ok) - 1);
    write_seed("resp", "nil", nil, sizeof(nil) - 1);
    write_seed("resp", "array", array, sizeof(array) - 1);
    write_seed("resp", "error", error, sizeof(error) - 1);
}

/* fuzz_tls_http scripts (its header comment): a request sent and delivered whole over TLS 1.3;
 * one split over two records and delivered in pieces over TLS 1.2, answered; one whose
 * ciphertext is altered before delivery. */
static void tls_http_seeds(void)
{
    static const unsigned char whole[] =
        "\x01\x00\x28GET / HTTP/1.1\r\nHost: x\r\nX: 12345678\r\n\r\n\x01\xff\x04\x02";
    static const unsigned char pieces[] = "\x00\x00\x10GET / HTTP/1.1\r\n\x01\x01\x00\x10"
                                          "Host: x\r\n\r\nGET \x01\x01\x01\xff\x04\x05";
    static const unsigned char altered[] = "\x01\x00\x12GET / HTTP/1.1\r\n\r\n\x02\x07\x01\xff";
    write_seed("tls_http", "request-whole", whole, sizeof(whole) - 1);
    write_seed("tls_http", "request-in-pieces", pieces, sizeof(pieces) - 1);
    write_seed("tls_http", "altered-record", altered, sizeof(altered) - 1);
}

/* An accept seed: control byte, then the legs joined by the separator. */
struct seq {
    unsigned char buf[65536];
    size_t len;
    int legs;
};

static void seq_start(struct seq *s, unsigned char control)
{
    s->buf[0] = control;
    s->len = 1;
    s->legs = 0;
}

static void seq_add(struct seq *s, const void *p, size_t n)
{
    size_t sep = s->legs ? strlen(LEG_SEPARATOR) : 0;
    if (s->len + sep + n > sizeof(s->buf))
        die("accept seed too long");
    memcpy(s->buf + s->len, LEG_SEPARATOR, sep);
    memcpy(s->buf + s->len + sep, p, n);
    s->len += sep + n;
    s->legs++;
}

static gss_buffer_desc first_token(gss_OID mech, OM_uint32 flags, bool bindings)
{
    struct ng_gss_initiator c;
    if (ng_gss_initiator_init(&c, "HTTP@localhost", mech, flags, NULL) != 0)
        die("initiator");
    if (bindings)
        ng_gss_initiator_set_bindings(&c, app_bindings, sizeof(app_bindings) - 1);
    gss_buffer_desc tok;
    if (GSS_ERROR(ng_gss_initiator_step(&c, NULL, 0, &tok))) {
        ng_gss_initiator_report(&c, "first token");
        die("gss_init_sec_context");
    }
    ng_gss_initiator_free(&c);
    return tok;
}

/* Our reply to `tok` as a first leg (the context is deleted; replays allowed). */
static size_t accept_reply(const gss_buffer_desc *tok, struct ng_accept_leg *leg)
{
    CtxtHandle ctx;
    ng_accept_leg_run(&(struct ng_accept_call){.cred = &negotiate,
                                               .ctx_out = &ctx,
                                               .in = tok->value,
                                               .in_len = tok->length,
                                               .req = ASC_REQ_ALLOW_CONTEXT_REPLAY},
                      leg);
    if (leg->status == SEC_E_OK || leg->status == SEC_I_CONTINUE_NEEDED)
        DeleteSecurityContext(&ctx);
    return leg->status == SEC_E_OK || leg->status == SEC_I_CONTINUE_NEEDED ? leg->out_len : 0;
}

/* The AP-REQ inside a raw krb5 token, and the 0x8003 checksum of its authenticator (decrypted
 * with the keytab by libkrb5). */
static void krb5_parts(const char *name, const gss_buffer_desc *tok)
{
    struct ng_slice ap;
    if (ng_krb5_unframe(ng_slice_of(tok->value, tok->length), NG_KRB5_TOK_AP_REQ, &ap) != NG_OK)
        die("not a krb5 AP-REQ token");
    write_seed("ap_req", name, ap.ptr, ap.len);
    write_seed("der", name, ap.ptr, ap.len);
    krb5_context k;
    krb5_keytab kt;
    krb5_auth_context ac = NULL;
    krb5_ticket *ticket = NULL;
    krb5_authenticator *auth = NULL;
    krb5_data in = {KV5M_DATA, (unsigned int)ap.len, (char *)ap.ptr};
    if (krb5_init_context(&k) != 0 || krb5_kt_resolve(k, keytab, &kt) != 0)
        die("krb5 init");
    if (krb5_rd_req(k, &ac, &in, NULL, kt, NULL, &ticket) != 0 ||
        krb5_auth_con_getauthenticator(k, ac, &auth) != 0 || auth->checksum == NULL)
        die("krb5_rd_req on a fresh token");
    write_seed("gss_checksum", name, auth->checksum->contents, auth->checksum->length);
    /* The authenticator's plaintext: decrypted with the ticket's session key (RFC 4120 §7.5.1
     * key usage 11), as the acceptor's own decoder sees it. */
    struct ng_krb5_ap_req req;
    if (ng_krb5_ap_req_parse(ap, &req) != NG_OK)
        die("our parser refuses a fresh AP-REQ");
    krb5_enc_data enc = {0};
    enc.enctype = ticket->enc_part2->session->enctype;
    enc.ciphertext.length = (unsigned int)req.authenticator_cipher.len;
    enc.ciphertext.data = (char *)req.authenticator_cipher.ptr;
    krb5_data plain = {KV5M_DATA, (unsigned int)req.authenticator_cipher.len,
                       malloc(req.authenticator_cipher.len)};
    if (plain.data == NULL ||
        krb5_c_decrypt(k, ticket->enc_part2->session, 11, NULL, &enc, &plain) != 0)
        die("cannot decrypt the authenticator");
    write_seed("krb5_authenticator", name, plain.data, plain.length);
    free(plain.data);
    /* The ticket's EncTicketPart: decrypted with the service key (key usage 2). */
    krb5_keytab_entry entry;
    if (krb5_kt_get_entry(k, kt, ticket->server, ticket->enc_part.kvno, ticket->enc_part.enctype,
                          &entry) != 0)
        die("no keytab key for the ticket");
    plain = (krb5_data){KV5M_DATA, ticket->enc_part.ciphertext.length,
                        malloc(ticket->enc_part.ciphertext.length)};
    if (plain.data == NULL ||
        krb5_c_decrypt(k, &entry.key, 2, NULL, &ticket->enc_part, &plain) != 0)
        die("cannot decrypt the ticket");
    write_seed("enc_ticket", name, plain.data, plain.length);
    free(plain.data);
    krb5_free_keytab_entry_contents(k, &entry);
    krb5_free_authenticator(k, auth);
    krb5_free_ticket(k, ticket);
    krb5_auth_con_free(k, ac);
    krb5_kt_close(k, kt);
    krb5_free_context(k);
}

static void release(gss_buffer_desc *b)
{
    OM_uint32 minor;
    gss_release_buffer(&minor, b);
}

/* One first token of each kind, its reply, and the accept seeds built from them. */
static void single_leg_seeds(struct ng_accept_leg *leg)
{
    struct {
        const char *name;
        gss_OID mech;
        OM_uint32 flags;
        bool bindings;
        unsigned char control;
    } kinds[] = {
        {"spnego_mutual", gss_mech_spnego, mutual, false, 0x00},
        {"spnego_integ_only", gss_mech_spnego, GSS_C_INTEG_FLAG, false, 0x07},
        {"spnego_delegate", gss_mech_spnego, mutual | GSS_C_DELEG_FLAG, false, 0x0c},
        {"spnego_bindings", gss_mech_spnego, mutual, true, 0x24},
        {"spnego_small_out", gss_mech_spnego, mutual, false, 0x44},
        {"krb5_mutual", gss_mech_krb5, mutual, false, 0x14},
        {"krb5_delegate", gss_mech_krb5, mutual | GSS_C_DELEG_FLAG, false, 0x1d},
        {"krb5_bindings", gss_mech_krb5, mutual, true, 0x34},
    };
    size_t cb_len;
    unsigned char *cb = ng_sec_bindings_new(app_bindings, sizeof(app_bindings) - 1, &cb_len);
    write_seed("gss_checksum", "bindings_buffer", cb, cb_len);
    static struct seq s;
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        gss_buffer_desc t = first_token(kinds[i].mech, kinds[i].flags, kinds[i].bindings);
        char name[128];
        seq_start(&s, kinds[i].control);
        seq_add(&s, t.value, t.length);
        if (kinds[i].bindings)
            seq_add(&s, cb, cb_len);
        write_seed("accept", kinds[i].name, s.buf, s.len);
        write_seed("gss_framing", kinds[i].name, t.value, t.length);
        write_seed("authenticator_key", kinds[i].name, t.value, t.length);
        squid_line_seed(kinds[i].name, i % 2 ? "3 KK" : "YR", t.value, t.length);
        if (i == 0)
            write_seed("squid_helper_line", "quit", "\4QQ", 3);
        raw_frame_seed(kinds[i].name, t.value, t.length);
        write_seed("der", kinds[i].name, t.value, t.length);
        if (kinds[i].mech == gss_mech_spnego) {
            write_seed("spnego", kinds[i].name, t.value, t.length);
        } else {
            krb5_parts(kinds[i].name, &t);
        }
        size_t n = accept_reply(&t, leg);
        if (n == 0)
            die("our acceptor refused a fresh token");
        snprintf(name, sizeof(name), "%s_reply", kinds[i].name);
        write_seed(kinds[i].mech == gss_mech_spnego ? "spnego" : "gss_framing", name, leg->out, n);
        write_seed("der", name, leg->out, n);
        release(&t);
    }
    free(cb);
    /* Empty first input: our NegTokenInit2 offer, then the client's token on the same context. */
    gss_buffer_desc empty = {0, NULL};
    size_t n = accept_reply(&empty, leg);
    write_seed("spnego", "init2_offer", leg->out, n);
    gss_buffer_desc t = first_token(gss_mech_spnego, mutual, false);
    seq_start(&s, 0x04);
    seq_add(&s, "", 0);
    seq_add(&s, t.value, t.length);
    write_seed("accept", "empty_then_spnego", s.buf, s.len);
    release(&t);
}

/* The client prefers a mechanism we do not take (NEGOEX), so we pick Kerberos second:
 * request-mic, the AP-REQ in a NegTokenResp, then both mechListMICs (RFC 4178 §5). MIT's SPNEGO
 * never offers a mechanism first that it cannot start, so the SPNEGO layer here is our encoder
 * around MIT's krb5 mechanism (its AP-REQ and its gss_get_mic over the MechTypeList). Without
 * mutual authentication there is no acceptor subkey, so the client's MIC verifies again when the
 * fuzzer replays the legs (ALLOW_CONTEXT_REPLAY). */
static void mic_exchange_seed(struct ng_accept_leg *leg)
{
    static const enum ng_mech mechs[] = {NG_MECH_NEGOEX, NG_MECH_KRB5};
    struct ng_writer legs[3] = {ng_writer_growable(), ng_writer_growable(), ng_writer_growable()};
    struct ng_writer list = ng_writer_growable();
    struct ng_gss_initiator c;
    gss_buffer_desc krb, mic;
    OM_uint32 minor;
    if (ng_gss_initiator_init(&c, "HTTP@localhost", gss_mech_krb5, GSS_C_INTEG_FLAG, NULL) != 0 ||
        ng_gss_initiator_step(&c, NULL, 0, &krb) != GSS_S_COMPLETE)
        die("mic exchange: krb5 initiator");
    ng_spnego_write_mech_list(&list, mechs, 2);
    gss_buffer_desc list_buf = {list.len, list.buf};
    if (gss_get_mic(&minor, c.ctx, GSS_C_QOP_DEFAULT, &list_buf, &mic) != GSS_S_COMPLETE)
        die("mic exchange: gss_get_mic");
    ng_spnego_write_init(&legs[0], mechs, 2, NG_SLICE_EMPTY, NG_SLICE_EMPTY);
    ng_spnego_write_resp(&legs[1], NG_NEG_STATE_ABSENT, NG_MECH_NONE,
                         ng_slice_of(krb.value, krb.length), NG_SLICE_EMPTY);
    ng_spnego_write_resp(&legs[2], NG_NEG_STATE_ABSENT, NG_MECH_NONE, NG_SLICE_EMPTY,
                         ng_slice_of(mic.value, mic.length));
    static struct seq s;
    seq_start(&s, 0x04);
    CtxtHandle ctx;
    static const SECURITY_STATUS expected[3] = {SEC_I_CONTINUE_NEEDED, SEC_I_CONTINUE_NEEDED,
                                                SEC_E_OK};
    for (int i = 0; i < 3; i++) {
        char name[64];
        if (legs[i].error != NG_OK)
            die("mic exchange: encoder");
        snprintf(name, sizeof(name), "mic_exchange_leg%d", i + 1);
        write_seed("spnego", name, legs[i].buf, legs[i].len);
        write_seed("der", name, legs[i].buf, legs[i].len);
        seq_add(&s, legs[i].buf, legs[i].len);
        ng_accept_leg_run(&(struct ng_accept_call){.cred = &negotiate,
                                                   .ctx_in = i ? &ctx : NULL,
                                                   .ctx_out = &ctx,
                                                   .in = legs[i].buf,
                                                   .in_len = legs[i].len,
                                                   .req = ASC_REQ_ALLOW_CONTEXT_REPLAY},
                          leg);
        if (leg->status != expected[i]) {
            fprintf(stderr, "make_seeds: mic exchange leg %d: 0x%x\n", i + 1,
                    (unsigned)leg->status);
            die("mic exchange refused");
        }
        snprintf(name, sizeof(name), "mic_exchange_reply%d", i + 1);
        if (leg->out_len > 0)
            write_seed("spnego", name, leg->out, leg->out_len);
    }
    DeleteSecurityContext(&ctx);
    write_seed("accept", "mic_exchange", s.buf, s.len);
    for (int i = 0; i < 3; i++)
        ng_writer_free(&legs[i]);
    ng_writer_free(&list);
    release(&krb);
    release(&mic);
    ng_gss_initiator_free(&c);
}

/* NTLM from gss-ntlmssp (MIT's mechglue loads it): its NEGOTIATE, our CHALLENGE with the AV
 * pairs a Windows domain member sends, and its AUTHENTICATE (NTLMv2, MIC, client AV pairs). */
static void utf16_pair(struct ng_writer *w, uint16_t id, const char *text)
{
    uint8_t *u;
    size_t n;
    if (ng_ntlm_utf16le(text, &u, &n) != NG_OK)
        die("utf16");
    ng_av_pair_write(w, id, ng_slice_of(u, n));
    ng_free(u);
}

static void ntlm_seeds(void)
{
    static gss_OID_desc ntlmssp = {10, "\x2b\x06\x01\x04\x01\x82\x37\x02\x02\x0a"};
    char user_file[] = "/tmp/negring-seeds-ntlm-XXXXXX";
    int fd = mkstemp(user_file);
    if (fd < 0 || dprintf(fd, "EXAMPLE:alice:alice-Pass-1\n") < 0 || close(fd) != 0)
        die("NTLM user file");
    setenv("NTLM_USER_FILE", user_file, 1);
    struct ng_gss_initiator c;
    gss_buffer_desc neg, auth;
    if (ng_gss_initiator_init(&c, "HTTP@server.example.test", &ntlmssp,
                              GSS_C_MUTUAL_FLAG | GSS_C_INTEG_FLAG | GSS_C_CONF_FLAG, NULL) != 0 ||
        GSS_ERROR(ng_gss_initiator_step(&c, NULL, 0, &neg))) {
        ng_gss_initiator_report(&c, "gss-ntlmssp NEGOTIATE");
        die("gss-ntlmssp");
    }
    write_seed("ntlm_negotiate", "gssntlmssp", neg.value, neg.length);
    struct ng_ntlm_negotiate n;
    if (ng_ntlm_parse_negotiate(ng_slice_of(neg.value, neg.length), &n) != NG_OK)
        die("our parser refuses gss-ntlmssp's NEGOTIATE");
    struct ng_writer ours = ng_writer_growable();
    ng_ntlm_write_negotiate(&ours, n.flags);
    write_seed("ntlm_negotiate", "ours", ours.buf, ours.len);

    struct ng_writer info = ng_writer_growable(), name = ng_writer_growable();
    utf16_pair(&info, NG_AV_NB_DOMAIN_NAME, "EXAMPLE");
    utf16_pair(&info, NG_AV_NB_COMPUTER_NAME, "SERVER");
    utf16_pair(&info, NG_AV_DNS_DOMAIN_NAME, "example.test");
    utf16_pair(&info, NG_AV_DNS_COMPUTER_NAME, "server.example.test");
    uint8_t ts[8];
    uint64_t now = ng_ntlm_filetime_now();
    for (int i = 0; i < 8; i++)
        ts[i] = (uint8_t)(now >> (8 * i));
    ng_av_pair_write(&info, NG_AV_TIMESTAMP, ng_slice_of(ts, 8));
    ng_av_pair_write_eol(&info);
    write_seed("ntlm_av_pairs", "challenge_target_info", info.buf, info.len);
    uint8_t *u;
    size_t ulen;
    if (ng_ntlm_utf16le("EXAMPLE", &u, &ulen) != NG_OK)
        die("utf16");
    struct ng_ntlm_challenge ch = {0};
    ch.flags =
        (n.flags &
         (NG_NTLMSSP_NEGOTIATE_UNICODE | NG_NTLMSSP_REQUEST_TARGET | NG_NTLMSSP_NEGOTIATE_SIGN |
          NG_NTLMSSP_NEGOTIATE_SEAL | NG_NTLMSSP_NEGOTIATE_NTLM | NG_NTLMSSP_NEGOTIATE_ALWAYS_SIGN |
          NG_NTLMSSP_NEGOTIATE_EXTENDED_SESSION | NG_NTLMSSP_NEGOTIATE_VERSION |
          NG_NTLMSSP_NEGOTIATE_128 | NG_NTLMSSP_NEGOTIATE_KEY_EXCH | NG_NTLMSSP_NEGOTIATE_56)) |
        NG_NTLMSSP_TARGET_TYPE_DOMAIN | NG_NTLMSSP_NEGOTIATE_TARGET_INFO;
    memcpy(ch.server_challenge, "\x01\x23\x45\x67\x89\xab\xcd\xef", 8);
    ch.target_name = ng_slice_of(u, ulen);
    ch.target_info = ng_slice_of(info.buf, info.len);
    ng_ntlm_write_challenge(&name, &ch);
    write_seed("ntlm_challenge", "ours", name.buf, name.len);
    /* The same CHALLENGE as a server's reply to our initiator, raw (NTLM package) and in a
     * NegTokenResp (Negotiate with an NTLM identity). */
    static struct seq is;
    seq_start(&is, 0x06);
    seq_add(&is, name.buf, name.len);
    write_seed("initialize", "ntlm_challenge", is.buf, is.len);
    struct ng_writer wrapped = ng_writer_growable();
    ng_spnego_write_resp(&wrapped, NG_NEG_STATE_ACCEPT_INCOMPLETE, NG_MECH_NTLM,
                         ng_slice_of(name.buf, name.len), NG_SLICE_EMPTY);
    seq_start(&is, 0x07);
    seq_add(&is, wrapped.buf, wrapped.len);
    write_seed("initialize", "spnego_ntlm_challenge", is.buf, is.len);
    ng_writer_free(&wrapped);
    if (GSS_ERROR(ng_gss_initiator_step(&c, name.buf, name.len, &auth))) {
        ng_gss_initiator_report(&c, "gss-ntlmssp AUTHENTICATE");
        die("gss-ntlmssp refused our CHALLENGE");
    }
    write_seed("ntlm_authenticate", "gssntlmssp", auth.value, auth.length);
    struct ng_ntlm_authenticate a;
    struct ng_ntlmv2_response v2;
    if (ng_ntlm_parse_authenticate(ng_slice_of(auth.value, auth.length), &a) != NG_OK ||
        ng_ntlmv2_parse(a.nt_response, &v2) != NG_OK)
        die("our parser refuses gss-ntlmssp's AUTHENTICATE");
    write_seed("ntlm_av_pairs", "client_av_pairs", v2.av_list.ptr, v2.av_list.len);
    /* The accept target: raw to the NTLM package, and inside SPNEGO to Negotiate. The
     * AUTHENTICATE answers another challenge than the acceptor's, so it is refused, but only
     * after everything before the NTProofStr check has run. */
    static struct seq s;
    seq_start(&s, 0x84);
    seq_add(&s, neg.value, neg.length);
    seq_add(&s, auth.value, auth.length);
    write_seed("accept", "ntlm_raw", s.buf, s.len);
    static const enum ng_mech ntlm[] = {NG_MECH_NTLM};
    struct ng_writer init = ng_writer_growable(), resp = ng_writer_growable();
    ng_spnego_write_init(&init, ntlm, 1, ng_slice_of(neg.value, neg.length), NG_SLICE_EMPTY);
    ng_spnego_write_resp(&resp, NG_NEG_STATE_ABSENT, NG_MECH_NONE,
                         ng_slice_of(auth.value, auth.length), NG_SLICE_EMPTY);
    seq_start(&s, 0x04);
    seq_add(&s, init.buf, init.len);
    seq_add(&s, resp.buf, resp.len);
    write_seed("accept", "spnego_ntlm", s.buf, s.len);
    write_seed("spnego", "ntlm_init", init.buf, init.len);
    write_seed("spnego", "ntlm_resp", resp.buf, resp.len);
    ng_writer_free(&init);
    ng_writer_free(&resp);
    unlink(user_file);
    unsetenv("NTLM_USER_FILE");
    ng_free(u);
    ng_writer_free(&ours);
    ng_writer_free(&info);
    ng_writer_free(&name);
    release(&neg);
    release(&auth);
    ng_gss_initiator_free(&c);
}

/* Messages for the acceptor context of fuzz_message_protection.c: control byte, then (with
 * 0x04, sealed by the client) the corruption position and mask, then plaintext. */
static void message_protection_seeds(void)
{
    static const struct {
        const char *name;
        unsigned char control;
    } kinds[] = {{"sealed", 0x04},
                 {"sealed_stream", 0x06},
                 {"signed", 0x05},
                 {"wrap_sign_only", 0x0c},
                 {"wrap_sign_only_stream", 0x0e}};
    static const char text[] = "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n";
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        unsigned char buf[4 + sizeof(text)] = {kinds[i].control, 0, 0, 0};
        memcpy(buf + 4, text, sizeof(text) - 1);
        write_seed("message_protection", kinds[i].name, buf, 4 + sizeof(text) - 1);
    }
}

/* One request head from `fd` (up to the blank line); 0 when the peer closed first. */
static size_t read_head(int fd, char *buf, size_t cap)
{
    size_t n = 0;
    while (n + 1 < cap) {
        ssize_t r = read(fd, buf + n, cap - 1 - n);
        if (r <= 0)
            return 0;
        n += (size_t)r;
        buf[n] = '\0';
        if (strstr(buf, "\r\n\r\n") != NULL)
            return n;
    }
    die("request head too long");
}

/* One request from curl (independent client) to a listener that answers 200 and closes.
 * curl --negotiate -u : sends its SPNEGO token with the first request already. */
static void curl_request(const char *name, bool with_token)
{
    int ls = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof(a);
    if (ls < 0 || bind(ls, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(ls, 4) != 0 ||
        getsockname(ls, (struct sockaddr *)&a, &alen) != 0)
        die("listener");
    char url[64];
    snprintf(url, sizeof(url), "http://localhost:%u/app?x=1", (unsigned)ntohs(a.sin_port));
    pid_t pid = fork();
    if (pid == 0) {
        if (with_token)
            execlp("curl", "curl", "-s", "-o", "/dev/null", "--max-time", "10", "--negotiate", "-u",
                   ":", "-H", "X-Client-Id: seed", url, (char *)NULL);
        else
            execlp("curl", "curl", "-s", "-o", "/dev/null", "--max-time", "10", "-H",
                   "Cookie: rs_session=abc.def", url, (char *)NULL);
        _exit(127);
    }
    alarm(20); /* a stuck curl must not hang the generator */
    static char req[16384];
    static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    int fd = accept(ls, NULL, NULL);
    size_t n = fd >= 0 ? read_head(fd, req, sizeof(req)) : 0;
    if (n == 0 || (with_token && strstr(req, "Authorization: Negotiate ") == NULL))
        die("curl sent no request (or no Negotiate token)");
    write_seed("http_request", name, req, n);
    if (write(fd, ok, sizeof(ok) - 1) < 0)
        die("write");
    close(fd);
    close(ls);
    int st;
    waitpid(pid, &st, 0);
    alarm(0);
}

/* A whole PAC for the pac_identity target: the logon info, a UPN_DNS_INFO and a PAC_REQUESTOR
 * encoded from MS-PAC (tests/harness/pac_builder.c), signed by libkrb5 under a fixed key. */
static void pac_identity_seed(void)
{
    struct ng_test_buf info, upn, sid;
    ng_test_validation_info(&info);
    ng_test_upn_dns_info(&upn, "alice@test.example", "TEST.EXAMPLE");
    ng_test_sid_bytes(&sid, 1104);
    krb5_context k;
    krb5_pac pac;
    krb5_principal client;
    krb5_keyblock *key;
    krb5_data out;
    if (krb5_init_context(&k) != 0 || krb5_pac_init(k, &pac) != 0)
        die("krb5_pac_init");
    const struct ng_test_buf *bufs[] = {&info, &upn, &sid};
    const krb5_ui_4 types[] = {1, 12, 18}; /* LOGON_INFO, UPN_DNS_INFO, PAC_REQUESTOR */
    for (int i = 0; i < 3; i++) {
        krb5_data d = {KV5M_DATA, (unsigned int)bufs[i]->len, (char *)bufs[i]->buf};
        if (krb5_pac_add_buffer(k, pac, types[i], &d) != 0)
            die("krb5_pac_add_buffer");
    }
    if (krb5_parse_name(k, "alice@TEST.EXAMPLE", &client) != 0 ||
        krb5_init_keyblock(k, ENCTYPE_AES256_CTS_HMAC_SHA1_96, 32, &key) != 0)
        die("krb5");
    memset(key->contents, 0x42, 32);
    if (krb5_pac_sign(k, pac, 1700000000, client, key, key, &out) != 0)
        die("krb5_pac_sign");
    write_seed("pac_identity", "signed_pac_upn_requestor", out.data, out.length);
    krb5_free_data_contents(k, &out);
    krb5_free_keyblock(k, key);
    krb5_free_principal(k, client);
    krb5_pac_free(k, pac);
    krb5_free_context(k);
}

/* MIT's KDC puts no PAC_LOGON_INFO in tickets, so the NDR target starts from a blob that gets
 * past the MS-RPCE §2.2.6 headers (version 1, little-endian, private header, referent) into a
 * zeroed KERB_VALIDATION_INFO; the fuzzer fills in the rest. */
static void pac_seeds(void)
{
    static uint8_t blob[16 + 4 + 512] = {0x01, 0x10, 0x08, 0x00, 0xcc, 0xcc, 0xcc,
                                         0xcc, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00,
                                         0x00, 0x00, 0x00, 0x00, 0x02, 0x00};
    write_seed("pac_logon_info", "ndr_headers_then_zeros", blob, sizeof(blob));
    pac_identity_seed();

    /* PACs signed by libkrb5 with fuzz_pac_signature's key, for its client and authtime. */
    static uint8_t key_bytes[32] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16,
                                    17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
    krb5_keyblock key = {KV5M_KEYBLOCK, ENCTYPE_AES256_CTS_HMAC_SHA1_96, sizeof(key_bytes),
                         key_bytes};
    krb5_context k;
    krb5_pac pac;
    krb5_principal alice;
    krb5_data logon = {KV5M_DATA, sizeof(blob), (char *)blob}, signed_pac;
    if (krb5_init_context(&k) != 0 || krb5_pac_init(k, &pac) != 0 ||
        krb5_pac_add_buffer(k, pac, 1, &logon) != 0 ||
        krb5_parse_name(k, "alice@EXAMPLE.TEST", &alice) != 0 ||
        krb5_pac_sign(k, pac, 1700000000, alice, &key, &key, &signed_pac) != 0)
        die("krb5_pac_sign");
    write_seed("pac_signature", "signed_with_logon_info", signed_pac.data, signed_pac.length);
    krb5_free_data_contents(k, &signed_pac);
    krb5_free_principal(k, alice);
    krb5_pac_free(k, pac);
    krb5_free_context(k);
}

static void http_seeds(void)
{
    curl_request("curl_plain", false);
    curl_request("curl_negotiate", true);
}

/* Our acceptor's replies to our initiator (mutual authentication: an AP-REP), as the server
 * legs of fuzz_initialize.c: Negotiate (control 0x04) and raw Kerberos (0x05). */
static void initiator_seeds(void)
{
    static const char *const packages[] = {"Negotiate", "Kerberos"};
    static const char *const names[] = {"spnego_ap_rep", "krb5_ap_rep"};
    for (int i = 0; i < 2; i++) {
        CredHandle cred;
        TimeStamp expiry;
        if (AcquireCredentialsHandleA(NULL, (LPSTR)packages[i], SECPKG_CRED_OUTBOUND, NULL, NULL,
                                      NULL, NULL, &cred, &expiry) != SEC_E_OK)
            die("outbound credentials");
        static uint8_t tok[NG_PEER_MAX_TOKEN];
        SecBuffer ob = {sizeof(tok), SECBUFFER_TOKEN, tok};
        SecBufferDesc od = {SECBUFFER_VERSION, 1, &ob};
        CtxtHandle ctx;
        ULONG attrs;
        if (InitializeSecurityContextA(&cred, NULL, "HTTP/localhost", ISC_REQ_MUTUAL_AUTH, 0,
                                       SECURITY_NATIVE_DREP, NULL, 0, &ctx, &od, &attrs,
                                       NULL) != SEC_I_CONTINUE_NEEDED)
            die("InitializeSecurityContext");
        struct ng_accept_leg *l = calloc(1, sizeof(*l));
        CtxtHandle server;
        ng_accept_leg_run(
            &(struct ng_accept_call){
                .cred = &negotiate, .ctx_out = &server, .in = tok, .in_len = ob.cbBuffer},
            l);
        if (l->status != SEC_E_OK || l->out_len == 0)
            die("our acceptor refused our initiator");
        static struct seq s;
        seq_start(&s, (unsigned char)(0x04 | i));
        seq_add(&s, l->out, l->out_len);
        write_seed("initialize", names[i], s.buf, s.len);
        DeleteSecurityContext(&server);
        DeleteSecurityContext(&ctx);
        FreeCredentialsHandle(&cred);
        free(l);
    }
}

/* The NTLM account database for the accept target (user_database.h format): EXAMPLE\alice
 * with the password the seeds' AUTHENTICATE was made with. */
static void write_user_db(const char *path)
{
    uint8_t h[16];
    static const char password[] = "alice-Pass-1";
    if (ng_nt_hash(password, sizeof(password) - 1, h) != NG_OK)
        die("NT hash");
    FILE *f = fopen(path, "w");
    if (f == NULL)
        die(path);
    fprintf(f, "EXAMPLE:alice:");
    for (int i = 0; i < 16; i++)
        fprintf(f, "%02x", h[i]);
    fprintf(f, ":\n");
    if (fclose(f) != 0)
        die(path);
}

int main(int argc, char **argv)
{
    if (argc != 2 && argc != 3) {
        fprintf(stderr, "usage: make_seeds DIR [USER_DB_OUT]\n");
        return 2;
    }
    if (argc == 3)
        write_user_db(argv[2]);
    out_dir = argv[1];
    keytab = getenv("NEGRING_FUZZ_KEYTAB") ? getenv("NEGRING_FUZZ_KEYTAB") : getenv("KRB5_KTNAME");
    if (keytab == NULL)
        die("no keytab: source a realm's env file first");
    setenv("KRB5RCACHETYPE", "none", 1); /* krb5_rd_req here must not keep a replay cache */
    if (mkdir(out_dir, 0755) != 0 && errno != EEXIST)
        die("mkdir DIR");
    if (ng_acquire_acceptor(NULL, "Negotiate", keytab, 0, &negotiate) != SEC_E_OK)
        die("AcquireCredentialsHandle");
    struct ng_accept_leg *leg = calloc(1, sizeof(*leg));
    single_leg_seeds(leg);
    mic_exchange_seed(leg);
    ntlm_seeds();
    message_protection_seeds();
    http_seeds();
    initiator_seeds();
    pac_seeds();
    raw_frame_edge_seeds();
    proxy_protocol_seeds();
    resp_seeds();
    tls_http_seeds();
    free(leg);
    FreeCredentialsHandle(&negotiate);
    return 0;
}
