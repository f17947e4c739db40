#include "population_plan.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

uint32_t lg_plan_ppm(double percent)
{
    if (!(percent > 0))
        return 0;
    if (percent >= 100)
        return LG_PPM;
    return (uint32_t)lround(percent * (LG_PPM / 100));
}

uint64_t lg_plan_first_uses(uint64_t n, uint32_t ppm)
{
    /* n * ppm could pass 2^64 for n beyond 1.8e13: split n to keep it exact. */
    return n / LG_PPM * ppm + n % LG_PPM * ppm / LG_PPM;
}

bool lg_plan_is_first_use(uint64_t i, uint32_t ppm)
{
    return lg_plan_first_uses(i + 1, ppm) > lg_plan_first_uses(i, ppm);
}

/* splitmix64's finaliser: consecutive indices give unrelated values. */
static uint64_t mix(uint64_t x)
{
    x += 0x9E3779B97F4A7C15u;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9u;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBu;
    return x ^ (x >> 31);
}

uint32_t lg_plan_user(uint64_t i, uint32_t users)
{
    /* A modulo of 64 random bits: its bias is below users / 2^64, under 10^-9 for any count. */
    return (uint32_t)(mix(i) % users) + 1;
}

bool lg_user_format_valid(const char *format)
{
    const char *at = strchr(format, '%');
    return at != NULL && at[1] == 'u' && strchr(at + 2, '%') == NULL;
}

bool lg_user_name(const char *format, uint32_t number, char *out, size_t cap)
{
    if (!lg_user_format_valid(format))
        return false;
    size_t before = (size_t)(strchr(format, '%') - format);
    int n = snprintf(out, cap, "%.*s%u%s", (int)before, format, number, format + before + 2);
    return n > 0 && (size_t)n < cap;
}
