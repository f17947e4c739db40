/* Kerberos (RFC 4120, RFC 4121) as a mechanism: the table negotiate/mechanisms.c registers. */
#ifndef NEGRING_CORE_KRB5_MECH_H
#define NEGRING_CORE_KRB5_MECH_H

#include "mechanism.h"

extern const struct ng_mech_ops ng_krb5_mech;

#endif
