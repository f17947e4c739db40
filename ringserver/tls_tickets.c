/* Session ticket keys (see tls_tickets.h). */
#include "tls_tickets.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <string.h>

#include "tls_context.h"

#define WORDS (sizeof(((struct rs_ticket_keys *)0)->words) / 8)

static void publish(struct rs_ticket_keys *k, const struct rs_ticket_key pair[2])
{
    uint64_t words[WORDS];
    memcpy(words, pair, sizeof(words));
    atomic_fetch_add_explicit(&k->seq, 1, memory_order_relaxed);
    atomic_thread_fence(memory_order_release);
    for (size_t i = 0; i < WORDS; i++)
        atomic_store_explicit(&k->words[i], words[i], memory_order_relaxed);
    atomic_fetch_add_explicit(&k->seq, 1, memory_order_release);
    OPENSSL_cleanse(words, sizeof(words));
}

static void snapshot(const struct rs_ticket_keys *k, struct rs_ticket_key pair[2])
{
    uint64_t words[WORDS];
    for (;;) {
        unsigned before = atomic_load_explicit(&k->seq, memory_order_acquire);
        for (size_t i = 0; i < WORDS; i++)
            words[i] = atomic_load_explicit(&k->words[i], memory_order_relaxed);
        atomic_thread_fence(memory_order_acquire);
        if ((before & 1) == 0 && atomic_load_explicit(&k->seq, memory_order_relaxed) == before)
            break;
    }
    memcpy(pair, words, sizeof(words));
    OPENSSL_cleanse(words, sizeof(words));
}

int rs_ticket_keys_rotate(struct rs_ticket_keys *k)
{
    struct rs_ticket_key pair[2];
    snapshot(k, pair);
    pair[1] = pair[0];
    int ok = RAND_bytes((unsigned char *)&pair[0], sizeof(pair[0])) == 1;
    if (ok)
        publish(k, pair);
    OPENSSL_cleanse(pair, sizeof(pair));
    return ok ? 0 : -1;
}

void rs_ticket_keys_wipe(struct rs_ticket_keys *k)
{
    struct rs_ticket_key zero[2] = {0};
    publish(k, zero);
}

static int mac_init(EVP_MAC_CTX *mac, const struct rs_ticket_key *key)
{
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA256", 0),
        OSSL_PARAM_construct_end(),
    };
    return EVP_MAC_init(mac, key->hmac, sizeof(key->hmac), params);
}

/* RFC 5077 §4 with OpenSSL's framing: 1 sealed with the current key (or opened with it), 2
 * opened with the previous key (OpenSSL then issues a ticket of the current one), 0 unknown key
 * (a full handshake), -1 error. */
int rs_ticket_key_cb(SSL *ssl, unsigned char name[16], unsigned char *iv, EVP_CIPHER_CTX *cipher,
                     EVP_MAC_CTX *mac, int enc)
{
    struct rs_ticket_keys *keys = rs_tls_ticket_keys(SSL_get_SSL_CTX(ssl));
    struct rs_ticket_key pair[2];
    int rc = 0;
    snapshot(keys, pair);
    if (enc) {
        memcpy(name, pair[0].name, 16);
        rc = RAND_bytes(iv, 16) == 1 &&
                     EVP_EncryptInit_ex(cipher, EVP_aes_256_cbc(), NULL, pair[0].aes, iv) == 1 &&
                     mac_init(mac, &pair[0]) == 1
                 ? 1
                 : -1;
    } else {
        for (int i = 0; i < 2 && rc == 0; i++) {
            static const uint8_t none[16];
            if (memcmp(name, pair[i].name, 16) != 0 || memcmp(pair[i].name, none, 16) == 0)
                continue;
            rc = EVP_DecryptInit_ex(cipher, EVP_aes_256_cbc(), NULL, pair[i].aes, iv) == 1 &&
                         mac_init(mac, &pair[i]) == 1
                     ? i + 1
                     : -1;
        }
    }
    OPENSSL_cleanse(pair, sizeof(pair));
    return rc;
}
