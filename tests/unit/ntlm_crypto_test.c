/* ntlm_crypto, ntlm_response, ntlm_seal, ntlm_message: the MS-NLMP §4.2.4 worked example
 * (NTLMv2 with extended session security and key exchange), byte for byte. */
#include <ctype.h>
#include <nettle/arcfour.h>
#include <stdlib.h>

#include "alloc.h"
#include "check.h"
#include "ntlm_av_pairs.h"
#include "ntlm_crypto.h"
#include "ntlm_message.h"
#include "ntlm_response.h"
#include "ntlm_seal.h"

static size_t unhex(const char *hex, uint8_t *out)
{
    size_t n = 0;
    for (const char *p = hex; p[0] != '\0';) {
        if (isspace((unsigned char)p[0])) {
            p++;
            continue;
        }
        unsigned v;
        REQUIRE(sscanf(p, "%2x", &v) == 1);
        out[n++] = (uint8_t)v;
        p += 2;
    }
    return n;
}

#define HEX16(name, hex)                                                                           \
    uint8_t name[16];                                                                              \
    REQUIRE(unhex(hex, name) == 16)

static const uint8_t server_challenge[8] = {0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef};
static const uint8_t client_challenge[8] = {0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa};

/* §4.2.4.3 CHALLENGE_MESSAGE and AUTHENTICATE_MESSAGE. */
static const char challenge_hex[] =
    "4e544c4d53535000020000000c000c003800000033828ae20123456789abcdef00000000000000002400240044"
    "000000060070170000000f53006500720076006500720002000c0044006f006d00610069006e0001000c005300"
    "6500720076006500720000000000";
static const char authenticate_hex[] =
    "4e544c4d535350000300000018001800 6c00000054005400840000000c000c00"
    "48000000080008005400000010001000 5c00000010001000d8000000358288e2"
    "0501280a0000000f44006f006d006100 69006e00550073006500720043004f00"
    "4d005000550054004500520086c35097 ac9cec102554764a57cccc19aaaaaaaa"
    "aaaaaaaa68cd0ab851e51c96aabc927b ebef6a1c010100000000000000000000"
    "00000000aaaaaaaaaaaaaaaa00000000 02000c0044006f006d00610069006e00"
    "01000c00530065007200760065007200 0000000000000000c5dad2544fc97990"
    "94ce1ce90bc9d03e";

static void test_nt_hash_and_ntowfv2(void)
{
    HEX16(nt_want, "a4f49c406510bdcab6824ee7c30fd852");
    HEX16(v2_want, "0c868a403bfd7a93a3001ef22ef02e3f");
    uint8_t nt[16], v2[16], v2_lower[16];
    CHECK_EQ(ng_nt_hash("Password", 8, nt), NG_OK);
    CHECK_MEM(nt, nt_want, 16);
    CHECK_EQ(ng_ntowfv2(nt, "User", "Domain", v2), NG_OK);
    CHECK_MEM(v2, v2_want, 16);
    /* The user is uppercased, the domain is not. */
    CHECK_EQ(ng_ntowfv2(nt, "user", "Domain", v2_lower), NG_OK);
    CHECK_MEM(v2_lower, v2_want, 16);
    CHECK_EQ(ng_ntowfv2(nt, "User", "DOMAIN", v2_lower), NG_OK);
    CHECK(memcmp(v2_lower, v2_want, 16) != 0);
    CHECK_EQ(ng_nt_hash("\xff", 1, nt), NG_ERR_INVALID_PARAM);
}

static void test_challenge_message_parses(void)
{
    uint8_t msg[256];
    size_t len = unhex(challenge_hex, msg);
    struct ng_ntlm_challenge c;
    CHECK_EQ(ng_ntlm_parse_challenge(ng_slice_of(msg, len), &c), NG_OK);
    CHECK_EQ(c.flags, 0xe28a8233u);
    CHECK_MEM(c.server_challenge, server_challenge, 8);
    CHECK_EQ(c.target_name.len, 12);
    struct ng_av_pairs av;
    CHECK_EQ(ng_av_pairs_parse(c.target_info, &av), NG_OK);
    CHECK_EQ(av.count, 2);
    CHECK(av.present[NG_AV_NB_DOMAIN_NAME] && av.present[NG_AV_NB_COMPUTER_NAME]);
    CHECK_MEM(av.value[NG_AV_NB_COMPUTER_NAME].ptr, "S\0e\0r\0v\0e\0r\0", 12);
    /* Written back from the parsed fields, it is the same message. */
    struct ng_writer w = ng_writer_growable();
    ng_ntlm_write_challenge(&w, &c);
    REQUIRE(ng_writer_status(&w) == NG_OK);
    CHECK_EQ(w.len, len);
    CHECK_MEM(w.buf, msg, 48);
    CHECK_MEM(w.buf + 56, msg + 56, len - 56); /* all but the Version field: ours is newer */
    ng_writer_free(&w);
}

static void test_authenticate_verifies_and_yields_keys(void)
{
    uint8_t msg[512];
    size_t len = unhex(authenticate_hex, msg);
    struct ng_ntlm_authenticate a;
    REQUIRE(ng_ntlm_parse_authenticate(ng_slice_of(msg, len), &a) == NG_OK);
    CHECK_EQ(a.flags, 0xe2888235u);
    CHECK_EQ(a.mic.len, 0); /* payload starts at 72: no room for a MIC */
    char *user = NULL, *domain = NULL;
    CHECK_EQ(ng_ntlm_string_to_utf8(a.user, true, &user), NG_OK);
    CHECK_EQ(ng_ntlm_string_to_utf8(a.domain, true, &domain), NG_OK);
    CHECK(strcmp(user, "User") == 0 && strcmp(domain, "Domain") == 0);

    uint8_t lm_want[24];
    REQUIRE(unhex("86c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa", lm_want) == 24);
    CHECK_EQ(a.lm_response.len, 24);
    CHECK_MEM(a.lm_response.ptr, lm_want, 24);

    struct ng_ntlmv2_response r;
    REQUIRE(ng_ntlmv2_parse(a.nt_response, &r) == NG_OK);
    CHECK_EQ(r.timestamp, 0);
    CHECK_MEM(r.client_challenge, client_challenge, 8);
    CHECK_EQ(r.av.count, 2);

    uint8_t nt[16], key[16], proof[16], base[16], lm[24], exported[16];
    REQUIRE(ng_nt_hash("Password", 8, nt) == NG_OK);
    REQUIRE(ng_ntowfv2(nt, user, domain, key) == NG_OK);
    ng_ntlmv2_proof(key, server_challenge, r.blob, proof);
    HEX16(proof_want, "68cd0ab851e51c96aabc927bebef6a1c");
    CHECK_MEM(proof, proof_want, 16);
    CHECK_MEM(r.proof.ptr, proof_want, 16);
    ng_ntlmv2_session_base_key(key, proof, base);
    HEX16(base_want, "8de40ccadbc14a82f15cb0ad0de95ca3");
    CHECK_MEM(base, base_want, 16);
    ng_lmv2_response(key, server_challenge, client_challenge, lm);
    CHECK_MEM(lm, lm_want, 24);

    /* Key exchange: the client's RandomSessionKey 0x55.. encrypted under the base key. */
    HEX16(enc_want, "c5dad2544fc9799094ce1ce90bc9d03e");
    CHECK_EQ(a.encrypted_session_key.len, 16);
    CHECK_MEM(a.encrypted_session_key.ptr, enc_want, 16);
    ng_ntlm_rc4_key(base, a.encrypted_session_key.ptr, exported);
    uint8_t random_key[16];
    memset(random_key, 0x55, 16);
    CHECK_MEM(exported, random_key, 16);

    /* The blob written by the initiator code is the one in the message. */
    struct ng_writer w = ng_writer_growable();
    ng_ntlmv2_write_blob(&w, 0, client_challenge,
                         r.av_list.len >= 4 ? ng_slice_of(r.av_list.ptr, r.av_list.len - 4)
                                            : r.av_list);
    REQUIRE(ng_writer_status(&w) == NG_OK);
    CHECK_EQ(w.len, r.blob.len);
    CHECK_MEM(w.buf, r.blob.ptr, r.blob.len);
    ng_writer_free(&w);
    ng_free(user);
    ng_free(domain);
}

static void test_session_keys_signature_and_seal(void)
{
    uint8_t exported[16];
    memset(exported, 0x55, 16);
    uint32_t flags = 0xe2888235u; /* §4.2.4: KEY_EXCH, 128, 56, ESS, SIGN, SEAL */
    struct ng_ntlm_session client, server;
    ng_ntlm_session_init(&client, flags, exported, true);
    ng_ntlm_session_init(&server, flags, exported, false);
    CHECK(!client.keys_ready); /* derived on first use */
    ng_ntlm_session_keys(&client);
    ng_ntlm_session_keys(&server);
    HEX16(sign_want, "4788dc861b4782f35d43fd98fe1a2d39");
    HEX16(seal_want, "59f600973cc4960a25480a7c196e4c58");
    CHECK_MEM(client.send.sign_key, sign_want, 16);
    CHECK_MEM(client.send.seal_key, seal_want, 16);
    CHECK_MEM(server.recv.sign_key, sign_want, 16);
    CHECK_MEM(server.recv.seal_key, seal_want, 16);
    CHECK(ng_ntlm_session_usable(&client));

    /* §4.2.4.4: "Plaintext" in UTF-16LE, sequence number 0. */
    uint8_t data[18] = {'P', 0, 'l', 0, 'a', 0, 'i', 0, 'n', 0, 't', 0, 'e', 0, 'x', 0, 't', 0};
    uint8_t sealed_want[18], sig_want[16], sig[16];
    REQUIRE(unhex("54e50165bf1936dc996020c1811b0f06fb5f", sealed_want) == 18);
    REQUIRE(unhex("010000007fb38ec5c55d497600000000", sig_want) == 16);
    ng_ntlm_seal(&client, data, sizeof(data), sig);
    CHECK_MEM(data, sealed_want, 18);
    CHECK_MEM(sig, sig_want, 16);

    /* The server unseals it, and a replay of the same message is out of sequence. */
    uint8_t copy[18];
    memcpy(copy, data, 18);
    CHECK_EQ(ng_ntlm_unseal(&server, copy, 18, sig), NG_OK);
    CHECK_MEM(copy, "P\0l\0a\0i\0n\0t\0e\0x\0t\0", 18);
    CHECK_EQ(server.recv.seq, 1);

    /* Signatures both ways, a tampered message, a wrong sequence number. */
    uint8_t msg[5] = "hello";
    ng_ntlm_sign(&server, ng_slice_of(msg, 5), sig);
    CHECK_EQ(sig[12], 0);
    CHECK_EQ(ng_ntlm_verify(&client, ng_slice_of(msg, 5), sig), NG_OK);
    ng_ntlm_sign(&server, ng_slice_of(msg, 5), sig);
    msg[0] ^= 1;
    CHECK_EQ(ng_ntlm_verify(&client, ng_slice_of(msg, 5), sig), NG_ERR_MESSAGE_ALTERED);
    ng_ntlm_session_wipe(&client);
    ng_ntlm_session_wipe(&server);
}

static void test_sign_without_key_exchange_is_plain_hmac(void)
{
    uint8_t exported[16];
    memset(exported, 0x55, 16);
    struct ng_ntlm_session a, b;
    uint32_t flags = NG_NTLMSSP_NEGOTIATE_EXTENDED_SESSION | NG_NTLMSSP_NEGOTIATE_128;
    ng_ntlm_session_init(&a, flags, exported, true);
    ng_ntlm_session_init(&b, flags, exported, false);
    uint8_t sig[16], again[16];
    ng_ntlm_sign(&a, ng_slice_of("x", 1), sig);
    CHECK_EQ(ng_ntlm_verify(&b, ng_slice_of("x", 1), sig), NG_OK);
    /* Without RC4 the checksum is HMAC(SignKey, seq || msg) itself. */
    uint8_t digest[16];
    struct ng_hmac_md5 h;
    ng_hmac_md5_init(&h, a.send.sign_key);
    ng_hmac_md5_update(&h, ng_slice_of((uint8_t[4]){0}, 4));
    ng_hmac_md5_update(&h, ng_slice_of("x", 1));
    ng_hmac_md5_final(&h, digest);
    CHECK_MEM(sig + 4, digest, 8);
    ng_ntlm_sign(&a, ng_slice_of("x", 1), again);
    CHECK_EQ(again[12], 1);
    CHECK_EQ(ng_ntlm_verify(&b, ng_slice_of("x", 1), sig), NG_ERR_OUT_OF_SEQUENCE);
    CHECK_EQ(ng_ntlm_verify(&b, ng_slice_of("x", 1), again), NG_OK);
}

static void test_hostile_fields_are_refused(void)
{
    uint8_t msg[256];
    size_t len = unhex(challenge_hex, msg);
    struct ng_ntlm_challenge c;
    /* Every truncation of a valid message is refused, none reads past its end. */
    for (size_t n = 0; n < len; n++)
        CHECK_EQ(ng_ntlm_parse_challenge(ng_slice_of(msg, n), &c), NG_ERR_INVALID_TOKEN);
    /* TargetInfo offset at 2^32-1, and one making offset + length wrap a 32-bit sum. */
    uint8_t bad[256];
    memcpy(bad, msg, len);
    memset(bad + 44, 0xff, 4);
    CHECK_EQ(ng_ntlm_parse_challenge(ng_slice_of(bad, len), &c), NG_ERR_INVALID_TOKEN);
    memcpy(bad, msg, len);
    bad[40] = 0xff, bad[41] = 0xff; /* length 65535 */
    CHECK_EQ(ng_ntlm_parse_challenge(ng_slice_of(bad, len), &c), NG_ERR_INVALID_TOKEN);
    /* A field pointing into the fixed header. */
    memcpy(bad, msg, len);
    bad[16] = 8;
    CHECK_EQ(ng_ntlm_parse_challenge(ng_slice_of(bad, len), &c), NG_ERR_INVALID_TOKEN);
    /* Wrong signature, wrong type, oversized. */
    memcpy(bad, msg, len);
    bad[0] = 'X';
    CHECK_EQ(ng_ntlm_parse_challenge(ng_slice_of(bad, len), &c), NG_ERR_INVALID_TOKEN);
    struct ng_ntlm_negotiate n;
    CHECK_EQ(ng_ntlm_parse_negotiate(ng_slice_of(msg, len), &n), NG_ERR_INVALID_TOKEN);
    static uint8_t huge[NG_NTLM_MAX_MESSAGE + 1];
    memcpy(huge, msg, len);
    CHECK_EQ(ng_ntlm_parse_challenge(ng_slice_of(huge, sizeof(huge)), &c), NG_ERR_INVALID_TOKEN);
    /* The 16-byte NEGOTIATE of old clients parses; our own writes and reads back. */
    uint8_t old[16] = {'N', 'T', 'L', 'M', 'S', 'S', 'P', 0, 1, 0, 0, 0, 0x07, 0x82, 0, 0};
    CHECK_EQ(ng_ntlm_parse_negotiate(ng_slice_of(old, 16), &n), NG_OK);
    CHECK_EQ(n.flags, 0x8207);
    struct ng_writer w = ng_writer_growable();
    ng_ntlm_write_negotiate(&w, 0xe2088297u);
    CHECK_EQ(ng_ntlm_parse_negotiate(ng_writer_slice(&w), &n), NG_OK);
    CHECK_EQ(n.flags, 0xe2088297u);
    ng_writer_free(&w);
    /* AV pairs: a wrong-sized timestamp, a pair running past the end, no EOL. */
    struct ng_av_pairs av;
    uint8_t ts[] = {7, 0, 4, 0, 1, 2, 3, 4, 0, 0, 0, 0};
    CHECK_EQ(ng_av_pairs_parse(ng_slice_of(ts, sizeof(ts)), &av), NG_ERR_INVALID_TOKEN);
    uint8_t past[] = {1, 0, 200, 0, 'a', 0};
    CHECK_EQ(ng_av_pairs_parse(ng_slice_of(past, sizeof(past)), &av), NG_ERR_INVALID_TOKEN);
    uint8_t no_eol[] = {1, 0, 2, 0, 'a', 0};
    CHECK_EQ(ng_av_pairs_parse(ng_slice_of(no_eol, sizeof(no_eol)), &av), NG_ERR_INVALID_TOKEN);
    /* Strings: odd UTF-16, an unpaired surrogate, an embedded NUL. */
    char *out = NULL;
    CHECK_EQ(ng_ntlm_string_to_utf8(ng_slice_of("a\0b", 3), true, &out), NG_ERR_INVALID_TOKEN);
    CHECK_EQ(ng_ntlm_string_to_utf8(ng_slice_of("\x00\xd8", 2), true, &out), NG_ERR_INVALID_TOKEN);
    CHECK_EQ(ng_ntlm_string_to_utf8(ng_slice_of("a\0b", 3), false, &out), NG_ERR_INVALID_TOKEN);
    CHECK(out == NULL);
    CHECK_EQ(ng_ntlm_string_to_utf8(ng_slice_of("a\0\0\0", 4), true, &out), NG_ERR_INVALID_TOKEN);
    CHECK(out == NULL);
    /* ASCII (taken byte by byte) and beyond (converted) give the same UTF-8 as ever. */
    REQUIRE(ng_ntlm_string_to_utf8(ng_slice_of("A\0b\0", 4), true, &out) == NG_OK);
    CHECK(strcmp(out, "Ab") == 0);
    ng_free(out);
    REQUIRE(ng_ntlm_string_to_utf8(ng_slice_of("A\0\xe9\0", 4), true, &out) == NG_OK);
    CHECK(strcmp(out, "A\xc3\xa9") == 0);
    ng_free(out);
}

/* A decoded name on the stack: short ASCII in place, anything else as ng_ntlm_string_to_utf8
 * makes it, and the same strings refused. */
static void test_names_decode_in_place_or_allocated(void)
{
    struct ng_ntlm_name n;
    const struct {
        const char *bytes;
        size_t len;
        bool unicode;
    } bad[] = {{"a\0b", 3, true}, {"\x00\xd8", 2, true}, {"a\0b", 3, false}, {"a\0\0\0", 4, true}};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        CHECK_EQ(ng_ntlm_name_decode(ng_slice_of(bad[i].bytes, bad[i].len), bad[i].unicode, &n),
                 NG_ERR_INVALID_TOKEN);
        ng_ntlm_name_free(&n);
    }
    REQUIRE(ng_ntlm_name_decode(ng_slice_of("A\0b\0", 4), true, &n) == NG_OK);
    CHECK(n.str == n.inline_buf && strcmp(n.str, "Ab") == 0);
    ng_ntlm_name_free(&n);
    REQUIRE(ng_ntlm_name_decode(ng_slice_of("Ab", 2), false, &n) == NG_OK);
    CHECK(n.str == n.inline_buf && strcmp(n.str, "Ab") == 0);
    ng_ntlm_name_free(&n);
    REQUIRE(ng_ntlm_name_decode(ng_slice_of(NULL, 0), true, &n) == NG_OK);
    CHECK(n.str == n.inline_buf && n.str[0] == '\0');
    ng_ntlm_name_free(&n);
    REQUIRE(ng_ntlm_name_decode(ng_slice_of("A\0\xe9\0", 4), true, &n) == NG_OK);
    CHECK(n.str != n.inline_buf && strcmp(n.str, "A\xc3\xa9") == 0);
    ng_ntlm_name_free(&n);
    /* Longer than the room in place, at the edge and past it. */
    for (size_t units = NG_NTLM_NAME_INLINE - 1; units <= NG_NTLM_NAME_INLINE; units++) {
        uint8_t wide[2 * NG_NTLM_NAME_INLINE];
        char expected[NG_NTLM_NAME_INLINE + 1];
        for (size_t i = 0; i < units; i++) {
            wide[2 * i] = (uint8_t)('a' + i % 26);
            wide[2 * i + 1] = 0;
            expected[i] = (char)('a' + i % 26);
        }
        expected[units] = '\0';
        REQUIRE(ng_ntlm_name_decode(ng_slice_of(wide, 2 * units), true, &n) == NG_OK);
        CHECK_EQ(n.str == n.inline_buf, units < NG_NTLM_NAME_INLINE);
        CHECK(strcmp(n.str, expected) == 0);
        ng_ntlm_name_free(&n);
    }
}

/* RFC 6229 §2, the 40-bit key 0x0102030405: keystream bytes 0-15. */
static void test_rc4_rfc6229(void)
{
    static const uint8_t key[] = {1, 2, 3, 4, 5};
    static const uint8_t expected[16] = {0xb2, 0x39, 0x63, 0x05, 0xf0, 0x3d, 0xc0, 0x27,
                                         0xcc, 0xc3, 0x52, 0x4a, 0x0a, 0x11, 0x18, 0xa8};
    uint8_t zeros[16] = {0}, stream[16];
    struct ng_rc4 rc4;
    ng_rc4_init(&rc4, key, sizeof(key));
    ng_rc4_crypt(&rc4, stream, zeros, sizeof(zeros));
    CHECK(memcmp(stream, expected, sizeof(expected)) == 0);
    memset(stream, 0, sizeof(stream)); /* the one-shot form, libcrypto's stream alone */
    ng_rc4_once(key, sizeof(key), stream, zeros, sizeof(zeros));
    CHECK(memcmp(stream, expected, sizeof(expected)) == 0);
}

/* Differentially against nettle's RC4 alone: every key length NTLM uses (5 and 7 bytes for the
 * 40- and 56-bit sealing keys, 16) gives the same keystream, continued over several calls. */
static void test_rc4_matches_nettle(void)
{
    static const size_t key_lens[] = {5, 7, 16};
    srand(6229);
    for (int round = 0; round < 300; round++) {
        uint8_t key[16], data[300], ours[300], theirs[300];
        size_t key_len = key_lens[round % 3];
        for (size_t k = 0; k < sizeof(key); k++)
            key[k] = (uint8_t)rand();
        for (size_t k = 0; k < sizeof(data); k++)
            data[k] = (uint8_t)rand();
        size_t first = (size_t)rand() % sizeof(data);
        struct ng_rc4 rc4;
        struct arcfour_ctx reference;
        ng_rc4_init(&rc4, key, key_len);
        arcfour_set_key(&reference, key_len, key);
        ng_rc4_crypt(&rc4, ours, data, first);
        ng_rc4_crypt(&rc4, ours + first, data + first, sizeof(data) - first);
        arcfour_crypt(&reference, sizeof(data), theirs, data);
        CHECK(memcmp(ours, theirs, sizeof(data)) == 0);
    }
}

int main(void)
{
    RUN(test_nt_hash_and_ntowfv2);
    RUN(test_challenge_message_parses);
    RUN(test_authenticate_verifies_and_yields_keys);
    RUN(test_session_keys_signature_and_seal);
    RUN(test_sign_without_key_exchange_is_plain_hmac);
    RUN(test_hostile_fields_are_refused);
    RUN(test_names_decode_in_place_or_allocated);
    RUN(test_rc4_rfc6229);
    RUN(test_rc4_matches_nettle);
    return check_report();
}
