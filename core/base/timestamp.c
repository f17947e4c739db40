#include "timestamp.h"

TimeStamp ng_timestamp_from_unix(int64_t seconds)
{
    TimeStamp ts;
    if (seconds <= -NG_EPOCH_DIFF_1601_1970)
        ts.QuadPart = 0;
    else if (seconds >= INT64_MAX / NG_TICKS_PER_SECOND - NG_EPOCH_DIFF_1601_1970)
        ts.QuadPart = INT64_MAX;
    else
        ts.QuadPart = (seconds + NG_EPOCH_DIFF_1601_1970) * NG_TICKS_PER_SECOND;
    return ts;
}
