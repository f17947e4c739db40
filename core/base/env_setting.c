/* Environment settings (see env_setting.h). */
#define _GNU_SOURCE /* secure_getenv */
#include "env_setting.h"

#include <stdlib.h>

unsigned ng_env_log2(const char *name, unsigned min, unsigned max, unsigned fallback)
{
    const char *env = secure_getenv(name);
    char *end;
    if (env == NULL || *env == '\0')
        return fallback;
    unsigned long v = strtoul(env, &end, 10);
    if (*end != '\0' || v < min || v > max)
        return fallback;
    return (unsigned)v;
}
