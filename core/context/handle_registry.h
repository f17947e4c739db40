/* The process-wide handle tables (credentials and contexts), created on first use. */
#ifndef NEGRING_CORE_HANDLE_REGISTRY_H
#define NEGRING_CORE_HANDLE_REGISTRY_H

#include "context_table.h"

/* NULL only if the tables could not be allocated at all. */
struct ng_table *ng_registry_credentials(void);
struct ng_table *ng_registry_contexts(void);

#endif
