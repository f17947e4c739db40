#include "negring_internal.h"

#include <string.h>

#include "credentials.h"
#include "handle_table.h"
#include "keystore.h"
#include "krb5_credentials.h"
#include "ntlm_crypto.h"
#include "replay_cache.h"
#include "spnego.h"
#include "ticket_cache.h"
#include "user_database.h"

_Static_assert(NEGRING_ACCOUNT_LINE_MAX == NG_USER_DB_MAX_LINE, "one line limit");
_Static_assert(NEGRING_ACCOUNT_NAME_MAX == NG_USER_DB_NAME_MAX, "one name limit");

static int result(ng_status status)
{
    return status == NG_OK ? 0 : -1;
}

int negring_account_parse(const char *line, struct negring_account *out, bool *is_entry)
{
    struct ng_user_entry e;
    if (ng_user_db_parse_line(line, &e, is_entry) != NG_OK)
        return -1;
    if (*is_entry) {
        memcpy(out->domain, e.domain, sizeof out->domain);
        memcpy(out->user, e.user, sizeof out->user);
        memcpy(out->nt_hash, e.nt_hash, sizeof out->nt_hash);
        out->disabled = e.disabled;
    }
    return 0;
}

void negring_account_format(const struct negring_account *a, char *out, size_t size)
{
    struct ng_user_entry e;
    memcpy(e.domain, a->domain, sizeof e.domain);
    memcpy(e.user, a->user, sizeof e.user);
    memcpy(e.nt_hash, a->nt_hash, sizeof e.nt_hash);
    e.disabled = a->disabled;
    ng_user_db_format_line(&e, out, size);
}

int negring_nt_hash(const char *password, size_t len, uint8_t hash[16])
{
    return result(ng_nt_hash(password, len, hash));
}

int negring_handle_table_create(struct negring_handle_table **out)
{
    struct ng_table *t = NULL;
    ng_status status = ng_table_create(&t, 0x42, NG_TABLE_MAX_ENTRIES, NULL);
    *out = (struct negring_handle_table *)t;
    return result(status);
}

void negring_handle_table_destroy(struct negring_handle_table *t)
{
    ng_table_destroy((struct ng_table *)t);
}

static struct ng_handle handle_of(struct negring_handle h)
{
    return (struct ng_handle){h.lower, h.upper};
}

int negring_handle_insert(struct negring_handle_table *t, void *obj, struct negring_handle *out)
{
    struct ng_handle h;
    ng_status status = ng_table_insert((struct ng_table *)t, obj, &h);
    *out = (struct negring_handle){h.lower, h.upper};
    return result(status);
}

int negring_handle_acquire(struct negring_handle_table *t, struct negring_handle h, void **obj)
{
    return result(ng_table_acquire((struct ng_table *)t, handle_of(h), obj));
}

void negring_handle_release(struct negring_handle_table *t, struct negring_handle h)
{
    ng_table_release((struct ng_table *)t, handle_of(h));
}

int negring_handle_remove(struct negring_handle_table *t, struct negring_handle h)
{
    return result(ng_table_remove((struct ng_table *)t, handle_of(h)));
}

int negring_replay_cache_create(struct negring_replay_cache **out, unsigned log2_slots)
{
    struct ng_replay_cache *c = NULL;
    ng_status status = ng_replay_cache_create(&c, log2_slots);
    *out = (struct negring_replay_cache *)c;
    return result(status);
}

int negring_replay_check_and_insert(struct negring_replay_cache *c, const uint8_t key[16],
                                    int64_t now, int64_t expires_at)
{
    return result(ng_replay_cache_check_and_insert(
        (struct ng_replay_cache *)c, ng_slice_of(key, 16), NG_SLICE_EMPTY, now, expires_at));
}

int negring_forget_tickets(const CredHandle *cred)
{
    struct ng_credentials *creds;
    if (ng_credentials_from_handle(cred, &creds) != NG_OK)
        return -1;
    const struct ng_keystore *keys = ng_krb5_acceptor_keys(creds);
    if (keys != NULL)
        ng_ticket_cache_clear(ng_keystore_tickets(keys));
    ng_credentials_unref(creds);
    return keys != NULL ? 0 : -1;
}

static const enum ng_mech offered[] = {NG_MECH_KRB5, NG_MECH_KRB5_MS, NG_MECH_NTLM};

static size_t written(ng_status status, const struct ng_writer *w)
{
    return status == NG_OK && ng_writer_status(w) == NG_OK ? w->len : 0;
}

size_t negring_spnego_encode_init(uint8_t *out, size_t cap, const uint8_t *mech_token,
                                  size_t token_len)
{
    struct ng_writer w = ng_writer_fixed(out, cap);
    ng_status status =
        ng_spnego_write_init(&w, offered, 3, ng_slice_of(mech_token, token_len), NG_SLICE_EMPTY);
    return written(status, &w);
}

size_t negring_spnego_encode_accept(uint8_t *out, size_t cap, const uint8_t *response,
                                    size_t response_len)
{
    struct ng_writer w = ng_writer_fixed(out, cap);
    ng_status status = ng_spnego_write_resp(&w, NG_NEG_STATE_ACCEPT_COMPLETED, NG_MECH_KRB5,
                                            ng_slice_of(response, response_len), NG_SLICE_EMPTY);
    return written(status, &w);
}

int negring_spnego_parse(const uint8_t *token, size_t len)
{
    struct ng_spnego_token tok;
    return result(ng_spnego_parse(ng_slice_of(token, len), &tok));
}
