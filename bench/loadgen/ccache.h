/* The client's Kerberos tickets, moved into memory once: libkrb5 opens, locks (fcntl) and reads
 * a FILE ccache on every InitializeSecurityContext, which made the token pool ccache-bound and
 * put file I/O into live-mode timings. */
#ifndef NEGRING_LOADGEN_CCACHE_H
#define NEGRING_LOADGEN_CCACHE_H

#include <stdbool.h>

/* Copies the default ccache (KRB5CCNAME) into a new MEMORY ccache and points KRB5CCNAME at it,
 * for the rest of the process. Call before any other Kerberos use, on the main thread. False
 * (with a message) when there is no ccache to copy; KRB5CCNAME is then left as it was. */
bool lg_ccache_to_memory(void);

#endif
