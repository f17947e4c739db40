/* The NTLM account database: a text file of NT hashes (docs/ntlm.md), read whole into an
 * immutable, sorted snapshot. Lookups take no lock; a reload builds a new snapshot and the
 * credentials swap it in atomically (credentials_reload.c), keeping the old ones until the
 * credentials go so a handshake that loaded the old pointer finishes with it.
 *
 * File format, one account per line ('#' starts a comment line, blank lines are skipped):
 *
 *     DOMAIN:user:NTHASH:flags
 *
 * DOMAIN is a NetBIOS domain name, user the account name (both compared without regard to
 * ASCII case, as Windows does), NTHASH 32 hex digits (MD4 of the UTF-16LE password), flags
 * empty or "disabled". Names may not contain ':' or control characters. */
#ifndef NEGRING_CORE_USER_DATABASE_H
#define NEGRING_CORE_USER_DATABASE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ntlm_crypto.h"
#include "status.h"

#define NG_USER_DB_MAX_LINE 1024
#define NG_USER_DB_NAME_MAX 256

struct ng_user_entry {
    char domain[NG_USER_DB_NAME_MAX];
    char user[NG_USER_DB_NAME_MAX];
    uint8_t nt_hash[16];
    bool disabled;
};

struct ng_user_db;

/* Reads `path`. NG_ERR_NO_CREDENTIALS when it cannot be opened, NG_ERR_INVALID_PARAM (with
 * the 1-based line number in *bad_line when not NULL) when a line is malformed; a broken file
 * never replaces a good snapshot. */
ng_status ng_user_db_load(const char *path, struct ng_user_db **out, unsigned *bad_line);
void ng_user_db_free(struct ng_user_db *db);

/* Snapshots replaced by a reload form a list (newest first) until their owner goes. */
void ng_user_db_retire(_Atomic(struct ng_user_db *) *list, struct ng_user_db *db);
void ng_user_db_free_chain(struct ng_user_db *db);

/* What one lookup (a single binary search) found; everything lives as long as the snapshot.
 *
 * The snapshot precomputes, when it is loaded, each account's ResponseKeyNT (MS-NLMP §3.3.2
 * NTOWFv2: the NT hash over the uppercased user name and the domain name exactly as spelled)
 * as a keyed HMAC-MD5 state, so a logon need not hash the names nor the key's pad blocks. The
 * domain is spelled as the snapshot's first account of that domain spells it (the spelling
 * clients usually send); a client spelling it otherwise needs its own NTOWFv2. */
struct ng_user_match {
    /* The account, disabled or not, its names equal to the ones looked up but for ASCII case
     * (never folded further, whatever the locale); NULL when unknown. */
    const struct ng_user_entry *entry;
    /* What to check the logon against: `entry`, or for an unknown user the snapshot's
     * disabled stand-in (a random NT hash made at load, so no proof can match it), so checking
     * an unknown user costs what checking a real one does. NULL when the domain is not served. */
    const struct ng_user_entry *checked;
    const char *domain_spelling; /* NULL: no account of the domain here */
    /* The precomputed key of `checked` for (its user, domain_spelling); the stand-in's serves
     * any user name. NULL when the names are not valid UTF-8 or the domain is not served. */
    const struct ng_hmac_md5 *response_key;
};
void ng_user_db_lookup(const struct ng_user_db *db, const char *domain, const char *user,
                       struct ng_user_match *out);
/* Whether any account of `domain` exists (the domains this server answers for). */
bool ng_user_db_serves(const struct ng_user_db *db, const char *domain);
/* The account, disabled or not; NULL when unknown. Lives as long as the snapshot. */
const struct ng_user_entry *ng_user_db_find(const struct ng_user_db *db, const char *domain,
                                            const char *user);
/* The first domain of the file: the default NetBIOS domain of an acceptor. NULL when empty. */
const char *ng_user_db_first_domain(const struct ng_user_db *db);
size_t ng_user_db_count(const struct ng_user_db *db);

/* One line of the format, for the negring-user tool: parse (NG_ERR_INVALID_PARAM when
 * malformed; *is_entry false for comments and blank lines) and format (no newline). */
ng_status ng_user_db_parse_line(const char *line, struct ng_user_entry *out, bool *is_entry);
void ng_user_db_format_line(const struct ng_user_entry *e, char *out, size_t size);

#endif
