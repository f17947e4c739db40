/* The crypto MS-NLMP demands of an NTLM acceptor, alone, from the libraries libnegring takes it
 * from (OpenSSL's MD5 and RC4 key schedule; core/ntlm/ntlm_crypto.h): the floor under
 * ntlm_accept/ (bench_ntlm_accept.c), measured in the same run.
 *
 * ntlm_floor/ntlm: 17 MD5 blocks for the handshake bench_ntlm_accept.c runs (the NTProofStr's
 * HMAC over the server challenge and the client's blob, about 140 bytes: 4, the account key's
 * pads being precomputed; the SessionBaseKey's: 2; the MIC's over the three messages, 470
 * bytes, with the exported key's pads: 11) and one RC4 key schedule (the key exchange).
 * ntlm_floor/negotiate: through Negotiate, also the four signing and sealing keys (2 blocks
 * each), the two mechListMIC HMACs with their keys' pads (4 each), and the two sealing streams'
 * key schedules: 33 blocks and 3 schedules. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/md5.h>
#include <openssl/rc4.h>
#include <string.h>

#include "benchmarks.h"

enum { MD5_PAD_BYTES = 9 }; /* the 0x80 byte and the 64-bit length that close a message */

struct floor {
    unsigned md5_blocks, key_schedules;
};

static void bench_floor(struct ng_bench_state *st, void *arg)
{
    const struct floor *f = arg;
    static uint8_t message[64 * 40];
    uint8_t key[16], digest[MD5_DIGEST_LENGTH];
    RC4_KEY schedule;
    memset(message, 0x36, sizeof(message));
    memset(key, 0x5c, sizeof(key));
    size_t len = (size_t)f->md5_blocks * 64 - MD5_PAD_BYTES; /* exactly md5_blocks blocks */
    while (ng_bench_running(st)) {
        MD5_CTX md5;
        MD5_Init(&md5);
        MD5_Update(&md5, message, len);
        MD5_Final(digest, &md5);
        for (unsigned i = 0; i < f->key_schedules; i++) {
            key[i] ^= digest[i]; /* each schedule depends on the hashing, as in the handshake */
            RC4_set_key(&schedule, sizeof(key), key);
        }
        message[0] ^= (uint8_t)schedule.data[1];
        ng_bench_do_not_optimize(message);
    }
}

void bench_register_ntlm_floor(void)
{
    static const struct floor ntlm = {17, 1}, negotiate = {33, 3};
    ng_bench_register("ntlm_floor/ntlm", bench_floor, (void *)&ntlm, NULL);
    ng_bench_register("ntlm_floor/negotiate", bench_floor, (void *)&negotiate, NULL);
}
