#include "schedule.h"

#include <math.h>

void lg_schedule_init(struct lg_schedule *s, uint64_t first_ns, double per_s, uint64_t limit,
                      uint64_t end_ns)
{
    s->first_ns = first_ns;
    s->interval_ns = 1e9 / per_s;
    s->limit = limit;
    s->end_ns = end_ns;
    s->claimed = 0;
}

uint64_t lg_schedule_at(const struct lg_schedule *s, uint64_t k)
{
    double offset = (double)k * s->interval_ns;
    /* Past about 584 years from first_ns: never, in practice. */
    if (offset >= (double)(UINT64_MAX - s->first_ns))
        return UINT64_MAX;
    return s->first_ns + (uint64_t)offset;
}

bool lg_schedule_over(const struct lg_schedule *s)
{
    return s->claimed >= s->limit || lg_schedule_at(s, s->claimed) >= s->end_ns;
}

bool lg_schedule_claim(struct lg_schedule *s, uint64_t now, uint64_t *due_ns)
{
    if (lg_schedule_over(s))
        return false;
    uint64_t at = lg_schedule_at(s, s->claimed);
    if (at > now)
        return false;
    *due_ns = at;
    s->claimed++;
    return true;
}

uint64_t lg_schedule_wait_ns(const struct lg_schedule *s, uint64_t now)
{
    if (lg_schedule_over(s))
        return UINT64_MAX;
    uint64_t at = lg_schedule_at(s, s->claimed);
    return at > now ? at - now : 0;
}

/* How many starts fall before t (and within the limit and the end). */
static uint64_t due_before(const struct lg_schedule *s, uint64_t t)
{
    if (s->end_ns < t)
        t = s->end_ns;
    if (t <= s->first_ns)
        return 0;
    /* The estimate from the interval, corrected against lg_schedule_at's own rounding. */
    uint64_t n = (uint64_t)ceil((double)(t - s->first_ns) / s->interval_ns);
    while (n > 0 && lg_schedule_at(s, n - 1) >= t)
        n--;
    while (lg_schedule_at(s, n) < t)
        n++;
    return n < s->limit ? n : s->limit;
}

uint64_t lg_schedule_overdue(const struct lg_schedule *s, uint64_t now)
{
    uint64_t due = due_before(s, now);
    return due > s->claimed ? due - s->claimed : 0;
}
