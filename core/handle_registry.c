#include "handle_registry.h"

#include <pthread.h>

#include "credentials.h"
#include "security_context.h"

enum {
    CREDENTIALS_TAG = 0xC1,
    CONTEXTS_TAG = 0xC7,
    MAX_CREDENTIALS = 1u << 16,
    MAX_CONTEXTS = 1u << 22,
};

static struct ng_table *credentials_table;
static struct ng_table *contexts_table;
static pthread_once_t registry_once = PTHREAD_ONCE_INIT;

static void destroy_credentials(void *obj)
{
    ng_credentials_unref(obj);
}

static void destroy_context(void *obj)
{
    ng_context_free(obj);
}

/* Runs once; afterwards the tables are read without any lock. */
static void create_tables(void)
{
    if (ng_table_create(&credentials_table, CREDENTIALS_TAG, MAX_CREDENTIALS,
                        destroy_credentials) != NG_OK)
        credentials_table = NULL;
    if (ng_table_create(&contexts_table, CONTEXTS_TAG, MAX_CONTEXTS, destroy_context) != NG_OK)
        contexts_table = NULL;
}

struct ng_table *ng_registry_credentials(void)
{
    pthread_once(&registry_once, create_tables);
    return credentials_table;
}

struct ng_table *ng_registry_contexts(void)
{
    pthread_once(&registry_once, create_tables);
    return contexts_table;
}
