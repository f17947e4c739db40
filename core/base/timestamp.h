/* Windows time for the SSPI edge and for NTLM: TimeStamp and FILETIME count 100-nanosecond
 * intervals since 1601-01-01 UTC. negring reports UTC (Windows recommends local time; on Linux,
 * UTC avoids time-zone ambiguity — see docs/api.md). Thread-safe, pure. */
#ifndef NEGRING_CORE_TIMESTAMP_H
#define NEGRING_CORE_TIMESTAMP_H

#include <negring/sspi.h>
#include <stdint.h>

#define NG_EPOCH_DIFF_1601_1970 INT64_C(11644473600)
#define NG_TICKS_PER_SECOND     INT64_C(10000000)

/* Unix seconds as a TimeStamp. Out of range clamps: before 1601 to 0; INT64_MAX (no expiry) and
 * anything past what 64 bits of ticks hold to Windows' "never", 0x7FFFFFFFFFFFFFFF. */
TimeStamp ng_timestamp_from_unix(int64_t seconds);

#endif
