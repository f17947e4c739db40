/* SecPkgInfo blocks for package enumeration and for QueryContextAttributes (PACKAGE_INFO,
 * NEGOTIATION_INFO): the array and every string it points at live in ONE ng_alloc block, so the
 * SSPI caller frees all of it with a single FreeContextBuffer. Thread-safe. */
#ifndef NEGRING_CORE_PACKAGE_API_H
#define NEGRING_CORE_PACKAGE_API_H

#include <stddef.h>

#include <negring/sspi.h>

#include "packages.h"
#include "status.h"

/* `count` packages -> one block owned by the caller (FreeContextBuffer). NG_ERR_NOMEM. */
ng_status ng_package_info_a(const struct ng_package *const *pkgs, size_t count, SecPkgInfoA **out);
ng_status ng_package_info_w(const struct ng_package *const *pkgs, size_t count, SecPkgInfoW **out);

#endif
