/* Secret random bytes from the kernel (getrandom), for keys the library makes itself. */
#ifndef NEGRING_CORE_RANDOM_H
#define NEGRING_CORE_RANDOM_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"

ng_status ng_random_bytes(uint8_t *buf, size_t len);

#endif
