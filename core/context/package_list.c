/* Negotiate's PackageList. Windows documents it with SEC_WINNT_AUTH_IDENTITY_EX: "a
 * comma-separated list of names of security packages", a leading "!" excluding one (so
 * "!NTLM" leaves Kerberos, "Kerberos" alone is the same, "NTLM" leaves NTLM). */
#include "package_list.h"

static bool is_blank(uint8_t c)
{
    return c == ' ' || c == '\t';
}

static struct ng_slice trim(struct ng_slice s)
{
    while (s.len > 0 && is_blank(s.ptr[0])) {
        s.ptr++;
        s.len--;
    }
    while (s.len > 0 && is_blank(s.ptr[s.len - 1]))
        s.len--;
    return s;
}

static uint8_t ascii_lower(uint8_t c)
{
    return c >= 'A' && c <= 'Z' ? (uint8_t)(c - 'A' + 'a') : c;
}

static bool name_is(struct ng_slice name, const char *want)
{
    size_t n = strlen(want);
    if (name.len != n)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (ascii_lower(name.ptr[i]) != ascii_lower((uint8_t)want[i]))
            return false;
    }
    return true;
}

/* The packages Negotiate chooses between; 0 for names negring has no mechanism for (Negoexts,
 * pku2u, CloudAP, ...) and for Negotiate itself. */
static unsigned mech_of(struct ng_slice name)
{
    for (unsigned id = 0; id < NG_PKG_COUNT; id++) {
        if (id != NG_PKG_NEGOTIATE && name_is(name, ng_package_get(id)->name))
            return ng_mechset_of(id);
    }
    return 0;
}

ng_status ng_package_list_parse(struct ng_slice list, unsigned *mechs)
{
    if (list.len > NG_PACKAGE_LIST_MAX)
        return NG_ERR_INVALID_PARAM;
    *mechs = NG_MECHSET_ALL;
    if (list.len == 0)
        return NG_OK;
    unsigned listed = 0, excluded = 0;
    bool any_listed = false;
    size_t start = 0;
    for (size_t i = 0; i <= list.len; i++) {
        if (i < list.len && list.ptr[i] != ',')
            continue;
        struct ng_slice name = trim(ng_slice_of(list.ptr + start, i - start));
        start = i + 1;
        if (name.len > 0 && name.ptr[0] == '!') {
            excluded |= mech_of(trim(ng_slice_of(name.ptr + 1, name.len - 1)));
        } else if (name.len > 0) {
            any_listed = true;
            listed |= mech_of(name);
        }
    }
    *mechs = (any_listed ? listed : (unsigned)NG_MECHSET_ALL) & ~excluded;
    return *mechs != 0 ? NG_OK : NG_ERR_NO_CREDENTIALS;
}
