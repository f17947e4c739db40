/* Process-wide tuning read from the environment (secure_getenv: a setuid process ignores it). */
#ifndef NEGRING_CORE_ENV_SETTING_H
#define NEGRING_CORE_ENV_SETTING_H

/* The power of two a table is sized by: the variable `name` when it is a number in
 * [min, max], else `fallback`. */
unsigned ng_env_log2(const char *name, unsigned min, unsigned max, unsigned fallback);

#endif
