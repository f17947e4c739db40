/* Which pool token is which in a population run (--users): the pure part, so that any thread
 * making token i decides the same. The first uses (--first-use) are spread evenly over the pool,
 * exactly their share of every prefix rounded down; each token's user is drawn uniformly from
 * a hash of its index. Users are numbered 1..N and named by a format with one %u. */
#ifndef NEGRING_LOADGEN_POPULATION_PLAN_H
#define NEGRING_LOADGEN_POPULATION_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LG_PPM 1000000u /* parts per million: a share's unit */

/* A percentage 0..100 in parts per million, rounded to the nearest. */
uint32_t lg_plan_ppm(double percent);
/* How many of tokens 0..n-1 are first uses at share `ppm`: floor(n * ppm / 10^6). */
uint64_t lg_plan_first_uses(uint64_t n, uint32_t ppm);
/* Is token i a first use? Exactly when it raises lg_plan_first_uses. */
bool lg_plan_is_first_use(uint64_t i, uint32_t ppm);
/* Token i's user, 1..users. */
uint32_t lg_plan_user(uint64_t i, uint32_t users);

/* FORMAT holds exactly one "%u" and no other '%'. */
bool lg_user_format_valid(const char *format);
/* The name of user `number` into out[0..cap): false when the format is not valid or the name
 * does not fit. */
bool lg_user_name(const char *format, uint32_t number, char *out, size_t cap);

#endif
