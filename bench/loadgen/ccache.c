#include "ccache.h"

#include <krb5/krb5.h>
#include <stdio.h>
#include <stdlib.h>

bool lg_ccache_to_memory(void)
{
    krb5_context ctx;
    if (krb5_init_context(&ctx) != 0)
        return false;
    krb5_ccache from = NULL, to = NULL;
    krb5_principal client = NULL;
    char *name = NULL;
    bool ok = krb5_cc_default(ctx, &from) == 0 && krb5_cc_get_principal(ctx, from, &client) == 0 &&
              krb5_cc_new_unique(ctx, "MEMORY", NULL, &to) == 0 &&
              krb5_cc_initialize(ctx, to, client) == 0 && krb5_cc_copy_creds(ctx, from, to) == 0 &&
              krb5_cc_get_full_name(ctx, to, &name) == 0 && setenv("KRB5CCNAME", name, 1) == 0;
    if (!ok)
        fprintf(stderr, "negring-load: cannot read the default ccache (is there a ticket in "
                        "KRB5CCNAME?)\n");
    krb5_free_string(ctx, name);
    krb5_free_principal(ctx, client);
    if (from != NULL)
        krb5_cc_close(ctx, from);
    /* A MEMORY ccache lives until destroyed: closing our handle keeps it for the process. */
    if (to != NULL)
        krb5_cc_close(ctx, to);
    krb5_free_context(ctx);
    return ok;
}
