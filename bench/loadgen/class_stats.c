#include "class_stats.h"

const char *const lg_class_names[LG_CLASS_COUNT] = {
    [LG_CLASS_REPEAT] = "repeat",
    [LG_CLASS_FIRST_USE] = "first_use",
};

void lg_class_stats_init(struct lg_class_stats *s)
{
    s->ok = s->failed = 0;
    lg_hist_init(&s->latency_ns);
}

void lg_class_record_ok(struct lg_class_stats *s, uint64_t latency_ns)
{
    s->ok++;
    lg_hist_record(&s->latency_ns, latency_ns);
}

void lg_class_record_failed(struct lg_class_stats *s)
{
    s->failed++;
}

void lg_class_stats_merge(struct lg_class_stats *into, const struct lg_class_stats *from)
{
    into->ok += from->ok;
    into->failed += from->failed;
    lg_hist_merge(&into->latency_ns, &from->latency_ns);
}
