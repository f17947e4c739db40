#include "handle_registry.h"

#include <stdatomic.h>

#include "credentials.h"
#include "security_context.h"

enum {
    CREDENTIALS_TAG = 0xC1,
    CONTEXTS_TAG = 0xC7,
    MAX_CREDENTIALS = 1u << 16,
    MAX_CONTEXTS = 1u << 22,
};

static _Atomic(struct ng_table *) credentials_table;
static _Atomic(struct ng_table *) contexts_table;

static void destroy_credentials(void *obj)
{
    ng_credentials_unref(obj);
}

static void destroy_context(void *obj)
{
    ng_context_free(obj);
}

/* Made on first use and installed with a CAS, so a failed allocation is retried by the next
 * caller instead of leaving the process without handles; the loser of a race frees its copy. */
static struct ng_table *get_table(_Atomic(struct ng_table *) *slot, uint8_t tag, uint32_t max,
                                  ng_table_destroy_fn destroy)
{
    struct ng_table *table = atomic_load_explicit(slot, memory_order_acquire);
    if (table != NULL)
        return table;
    struct ng_table *fresh = NULL;
    if (ng_table_create(&fresh, tag, max, destroy) != NG_OK)
        return NULL;
    if (!atomic_compare_exchange_strong(slot, &table, fresh)) {
        ng_table_destroy(fresh);
        return table;
    }
    return fresh;
}

struct ng_table *ng_registry_credentials(void)
{
    return get_table(&credentials_table, CREDENTIALS_TAG, MAX_CREDENTIALS, destroy_credentials);
}

struct ng_table *ng_registry_contexts(void)
{
    return get_table(&contexts_table, CONTEXTS_TAG, MAX_CONTEXTS, destroy_context);
}
