/*
 * negring extension: the access token of an authenticated client.
 *
 * QuerySecurityContextToken(phContext, &token) gives, for an established server context, an
 * opaque token (Windows returns a token HANDLE; Linux has none). It is a snapshot taken when
 * the call is made and stays valid after the context is deleted, until negring_token_close —
 * the CloseHandle of this API. Reading a token is thread-safe; closing it while another thread
 * reads it is not.
 *
 * What it holds:
 *   - the client's Kerberos principal ("alice@REALM"), or NTLM name ("DOMAIN\alice");
 *   - the local account it maps to, when there is one: for Kerberos krb5_aname_to_localname
 *     (the krb5.conf auth_to_local rules, by default the user name of principals in the
 *     default realm), for NTLM the first of "DOMAIN\user", "user", lower-case "user" that NSS
 *     knows (docs/context-services.md); then the NSS user database (getpwnam_r) for uid and
 *     primary gid, and getgrouplist for the supplementary groups (the primary gid included, as
 *     getgrouplist reports it);
 *   - the group SIDs of the ticket's PAC (MS-PAC §2.5 KERB_VALIDATION_INFO: the domain groups,
 *     the extra SIDs and the resource groups), as "S-1-5-21-..." strings, when the ticket
 *     carried a PAC with logon information (Active Directory KDCs add one; MIT's does not);
 *   - from that PAC too, what Windows' token has: the user's SID and the primary group's SID
 *     (LogonDomainId with UserId and PrimaryGroupId: Windows' TokenUser and TokenPrimaryGroup),
 *     the logon name "DOMAIN\account" (LogonDomainName, EffectiveName) and the user principal
 *     name (UPN_DNS_INFO, MS-PAC §2.10). The principal above is the PAC's canonical name:
 *     "account@REALM" whatever name the client logged on with (docs/api.md).
 * ImpersonateSecurityContext switches the calling thread to the local account of this token.
 */
#ifndef NEGRING_ACCESS_TOKEN_H
#define NEGRING_ACCESS_TOKEN_H

#include <stddef.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#pragma GCC visibility push(default) /* libnegring's public ABI, as sspi.h */

/* The client principal, "user@REALM" (NTLM: "DOMAIN\user"). Valid until the token is closed. */
const char *negring_token_principal(const void *token);

/* The local account: 0 and its name, uid and primary gid (any pointer may be NULL), or -1 when
 * the principal maps to no local account. The name is valid until the token is closed. */
int negring_token_account(const void *token, const char **name, uid_t *uid, gid_t *gid);

/* The account's groups (getgrouplist order); returns the count, 0 without an account. */
size_t negring_token_groups(const void *token, const gid_t **groups);

/* The PAC's group SIDs as strings; returns the count, 0 without a PAC logon-info buffer. */
size_t negring_token_sids(const void *token, const char *const **sids);

/* From the ticket's PAC, NULL without one (NTLM, MIT's KDC, a PAC without that buffer); each
 * valid until the token is closed. The user's SID ("S-1-5-21-...-1104"), the primary group's
 * SID (usually "...-513", Domain Users, which Windows does not list among the groups either),
 * "DOMAIN\account", and the user principal name ("alice@corp.example"). */
const char *negring_token_user_sid(const void *token);
const char *negring_token_primary_group_sid(const void *token);
const char *negring_token_logon_name(const void *token);
const char *negring_token_upn(const void *token);

/* Frees the token (NULL is ignored). */
void negring_token_close(void *token);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif

#endif /* NEGRING_ACCESS_TOKEN_H */
