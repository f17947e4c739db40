/* The server challenges this process's NTLM acceptors have outstanding (a CHALLENGE sent, its
 * AUTHENTICATE not yet processed), so that this process's NTLM initiator can refuse to answer
 * one of them: that is NTLM reflection (CVE-2008-4037, MS08-068), where an attacker passes our
 * acceptor's CHALLENGE to our own initiator and relays its AUTHENTICATE back, to be logged on as
 * our own account. Windows' msv1_0 does the same for its own client since MS08-068.
 *
 * Each record says what the acceptor does with the AUTHENTICATE's MsvAvTargetName
 * (MS-NLMP §3.2.5.1.2), which decides whether our initiator may answer: NAME_CHECKED, an
 * acceptor with a principal that refuses a target name naming another service — our initiator
 * answers when it has a target name to send, since the acceptor will refuse a relay by it and
 * accept a knowing loopback; UNNAMED, an acceptor that cannot tell (no principal, or the check
 * is off) — our initiator answers only a genuine local loopback (ntlm_initiator.c). An acceptor
 * that requires a target name it checks needs no record: it refuses any relay on its own.
 *
 * One set per process (a reflection between two processes on one host is stopped only by
 * naming the principal), made at the first issue with 2^NEGRING_NTLM_CHALLENGE_SET_LOG2 slots
 * (environment, 4..24, default 17: 1 MiB, all of it backed at once). A challenge may
 * sit in NG_NTLM_CHALLENGE_WINDOW slots from its own value masked to the table; challenges are
 * random, so windows fill evenly. When every window tried (four fresh draws) is full, nothing is
 * issued (NG_ERR_FULL): an untracked challenge could be reflected. Entries leave when the acceptor
 * processes the AUTHENTICATE or its context is freed, so the set holds at most the handshakes
 * in progress; size it at about twice the most a process keeps pending.
 *
 * Thread safety: every function may be called from any number of threads at once, with no lock
 * (one CAS per insert or removal). */
#ifndef NEGRING_CORE_NTLM_ISSUED_CHALLENGES_H
#define NEGRING_CORE_NTLM_ISSUED_CHALLENGES_H

#include <stdbool.h>
#include <stdint.h>

#include "status.h"

#define NG_NTLM_CHALLENGE_WINDOW 16

enum ng_ntlm_challenge_kind {
    NG_NTLM_CHALLENGE_NOT_OURS = 0,
    NG_NTLM_CHALLENGE_UNNAMED,
    NG_NTLM_CHALLENGE_NAME_CHECKED,
};

/* Draws a fresh random server challenge into `challenge`, to be issued. Drawn before the rest of
 * the NEGOTIATE's work, its slot is fetched meanwhile (a random slot is a cache miss).
 * NG_ERR_NOMEM: the set could not be made; NG_ERR_INTERNAL: no random bytes. */
ng_status ng_ntlm_challenge_draw(uint8_t challenge[8]);

/* Records the challenge ng_ntlm_challenge_draw drew as `kind`; when its window is full, draws
 * another (four in all) and writes the one recorded back into `challenge`. NG_ERR_FULL: no
 * room (nothing recorded); otherwise as ng_ntlm_challenge_draw. */
ng_status ng_ntlm_challenge_issue(uint8_t challenge[8], enum ng_ntlm_challenge_kind kind);

/* Removes one record of a challenge ng_ntlm_challenge_issue made as `kind`; each is withdrawn
 * once. */
void ng_ntlm_challenge_withdraw(const uint8_t challenge[8], enum ng_ntlm_challenge_kind kind);

/* How an acceptor of this process has `challenge` outstanding; NOT_OURS when none has. */
enum ng_ntlm_challenge_kind ng_ntlm_challenge_lookup(const uint8_t challenge[8]);

/* Whether an acceptor of this process has `challenge` outstanding. */
bool ng_ntlm_challenge_outstanding(const uint8_t challenge[8]);

#endif
