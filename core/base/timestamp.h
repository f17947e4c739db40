/* SSPI TimeStamp: 100-nanosecond intervals since 1601-01-01 UTC. negring reports UTC (Windows
 * recommends local time; on Linux, UTC avoids time-zone ambiguity — see docs/api.md). */
#ifndef NEGRING_CORE_TIMESTAMP_H
#define NEGRING_CORE_TIMESTAMP_H

#include <negring/sspi.h>

#define NG_EPOCH_DIFF_1601_1970 11644473600LL
#define NG_TIMESTAMP_NEVER      INT64_MAX

/* INT64_MAX (no expiry) maps to Windows' "never": 0x7FFFFFFFFFFFFFFF. */
static inline TimeStamp ng_timestamp_from_unix(int64_t seconds)
{
    TimeStamp ts;
    if (seconds >= (INT64_MAX / 10000000) - NG_EPOCH_DIFF_1601_1970)
        ts.QuadPart = NG_TIMESTAMP_NEVER;
    else
        ts.QuadPart = (seconds + NG_EPOCH_DIFF_1601_1970) * 10000000LL;
    return ts;
}

#endif
