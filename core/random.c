#include "random.h"

#include <errno.h>
#include <sys/random.h>

ng_status ng_random_bytes(uint8_t *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = getrandom(buf, len, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return NG_ERR_INTERNAL;
        buf += n;
        len -= (size_t)n;
    }
    return NG_OK;
}
