/* The CPU time of a server on the same machine (--server-pid), read from /proc at the start and
 * the end of the timed phase, so that the server's cost per handshake leaves out whatever came
 * before (a population's sign-ins and warm-up). Counts the process, its descendants (Apache's
 * worker processes), and the children it reaped (cutime, cstime), as top does. */
#ifndef NEGRING_LOADGEN_SERVER_CPU_H
#define NEGRING_LOADGEN_SERVER_CPU_H

#include <stdbool.h>
#include <sys/types.h>

/* User + system seconds used so far by pid and its descendants; false when pid is gone. The
 * resolution is the kernel's clock tick (10 ms at USER_HZ 100). */
bool lg_server_cpu_s(pid_t pid, double *seconds);

#endif
