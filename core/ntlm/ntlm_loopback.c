#include "ntlm_loopback.h"

#include <limits.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "alloc.h"
#include "ntlm_av_pairs.h"
#include "ntlm_message.h"

/* This machine's names: the host name and its first label (the NetBIOS name). */
struct machine_names {
    char host[HOST_NAME_MAX + 1];
    size_t label_len;
};

static bool machine_names(struct machine_names *m)
{
    if (gethostname(m->host, sizeof(m->host)) != 0 || m->host[0] == '\0')
        return false;
    m->host[sizeof(m->host) - 1] = '\0';
    m->label_len = strcspn(m->host, ".");
    return true;
}

static bool names_machine(const struct machine_names *m, const char *name, size_t len)
{
    return (len == strlen(m->host) && strncasecmp(name, m->host, len) == 0) ||
           (len == m->label_len && strncasecmp(name, m->host, len) == 0);
}

/* The host of an SPN: after the service class, before a port, service name or realm. */
static bool target_is_local(const struct machine_names *m, const char *target)
{
    const char *slash = strchr(target, '/');
    const char *host = slash ? slash + 1 : target;
    size_t len = host[0] == '[' ? strcspn(host, "]") + 1 : strcspn(host, ":/@");
    static const char *const loopback[] = {"localhost", "127.0.0.1", "::1", "[::1]"};
    for (size_t i = 0; i < sizeof(loopback) / sizeof(loopback[0]); i++)
        if (len == strlen(loopback[i]) && strncasecmp(host, loopback[i], len) == 0)
            return true;
    return names_machine(m, host, len);
}

static bool av_names_machine(const struct machine_names *m, const struct ng_av_pairs *av,
                             uint16_t id)
{
    char *name = NULL;
    if (!av->present[id] || ng_ntlm_string_to_utf8(av->value[id], true, &name) != NG_OK)
        return false;
    bool ours = names_machine(m, name, strlen(name));
    ng_free(name);
    return ours;
}

bool ng_ntlm_local_loopback(const char *target, struct ng_slice target_info)
{
    struct machine_names m;
    struct ng_av_pairs av;
    if (target == NULL || target[0] == '\0' || !machine_names(&m) ||
        ng_av_pairs_parse(target_info, &av) != NG_OK)
        return false;
    return target_is_local(&m, target) && (av_names_machine(&m, &av, NG_AV_DNS_COMPUTER_NAME) ||
                                           av_names_machine(&m, &av, NG_AV_NB_COMPUTER_NAME));
}
