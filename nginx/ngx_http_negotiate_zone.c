/* The replay table the workers share (../embed/replay_table.h), in a shared memory zone made
 * by the master: libnegring's own replay cache is per process, so without it an authenticator
 * accepted by one worker would be accepted again by another. */
#include "ngx_http_negotiate_module.h"

#include "replay_table.h"

/* What the zone holds: the table's region and its size, found again after a reload. */
typedef struct {
    void *region;
    size_t len;
} ngx_http_negotiate_zone_t;

static ngx_str_t ngx_http_negotiate_zone_name = ngx_string("auth_negotiate_replay");

static ngx_int_t ngx_http_negotiate_zone_init(ngx_shm_zone_t *shm_zone, void *data)
{
    if (data != NULL) { /* a reload kept the zone, and the authenticators it holds */
        shm_zone->data = data;
        return NGX_OK;
    }
    ngx_http_negotiate_main_conf_t *mcf = shm_zone->data;
    ngx_slab_pool_t *shpool = (ngx_slab_pool_t *)shm_zone->shm.addr;
    unsigned log2 = ne_replay_slots_log2_for(mcf->replay_cache_size);
    ngx_http_negotiate_zone_t *zone = ngx_slab_calloc(shpool, sizeof(*zone));
    if (zone == NULL)
        return NGX_ERROR;
    zone->len = ne_replay_region_size(log2);
    zone->region = ngx_slab_calloc(shpool, zone->len);
    if (zone->region == NULL || ne_replay_region_format(zone->region, zone->len) != 0) {
        ngx_log_error(NGX_LOG_EMERG, shm_zone->shm.log, 0,
                      "auth_negotiate_replay_cache: cannot make a table of %uz bytes", zone->len);
        return NGX_ERROR;
    }
    shm_zone->data = zone;
    return NGX_OK;
}

ngx_int_t ngx_http_negotiate_zone_add(ngx_conf_t *cf, ngx_http_negotiate_main_conf_t *mcf)
{
    ngx_conf_init_size_value(mcf->replay_cache_size, 32 * 1024 * 1024);
    if (ne_replay_slots_log2_for(mcf->replay_cache_size) == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "auth_negotiate_replay_cache %uz is too small",
                           mcf->replay_cache_size);
        return NGX_ERROR;
    }
    /* The slab allocator's page headers take about 1/64 of a zone, and it rounds up to pages. */
    size_t size = mcf->replay_cache_size + mcf->replay_cache_size / 32 + 16 * ngx_pagesize;
    mcf->replay_zone =
        ngx_shared_memory_add(cf, &ngx_http_negotiate_zone_name, size, &ngx_http_negotiate_module);
    if (mcf->replay_zone == NULL)
        return NGX_ERROR;
    mcf->replay_zone->init = ngx_http_negotiate_zone_init;
    mcf->replay_zone->data = mcf;
    return NGX_OK;
}

struct ne_replay_table *ngx_http_negotiate_zone_table(ngx_http_negotiate_main_conf_t *mcf)
{
    /* This worker's view of the table; attached on first use (or again after a reload in a
     * single-process nginx gave the zone new memory). */
    static struct ne_replay_table table;
    ngx_http_negotiate_zone_t *zone = mcf->replay_zone->data;
    if (table.region != zone->region &&
        ne_replay_table_attach(&table, zone->region, zone->len) != 0)
        return NULL;
    return &table;
}
