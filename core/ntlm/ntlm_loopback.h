/* Genuine local loopback: our NTLM initiator answering a CHALLENGE that an acceptor of this
 * process issued without checking target names (ntlm_issued_challenges.h, UNNAMED).
 *
 * Windows lets an SSPI client authenticate to a server of its own machine while refusing NTLM
 * reflection (MS08-068). Between our own initiator and acceptor the tokens alone cannot tell the
 * two apart — an attacker relaying every message unchanged produces exactly the bytes of a
 * loopback — so, as Windows, the decision rests on the names: the initiator must be aimed at
 * this machine (its target's host is the host name, its first label, "localhost", 127.0.0.1 or
 * ::1) and the CHALLENGE must come from an acceptor that names this machine (MsvAvDnsComputerName
 * or MsvAvNbComputerName is the host name or its first label, as the acceptor's defaults are).
 * An attacker elsewhere cannot be the target of such a client; what stays open is a local
 * process listening on this machine that the client was told to use, as on Windows. An acceptor
 * with a principal (and the default target name policy) does not need this: it checks the
 * AUTHENTICATE's target name itself. */
#ifndef NEGRING_CORE_NTLM_LOOPBACK_H
#define NEGRING_CORE_NTLM_LOOPBACK_H

#include <stdbool.h>

#include "slice.h"

/* `target`: the initiator's service name ("HTTP/host", "HTTP/host:8080@REALM", "host").
 * `target_info`: the CHALLENGE's TargetInfo (untrusted; a malformed list is no loopback). */
bool ng_ntlm_local_loopback(const char *target, struct ng_slice target_info);

#endif
