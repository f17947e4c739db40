/* NTLM (MS-NLMP, NTLMv2 only) as a mechanism: the table negotiate/mechanisms.c registers. */
#ifndef NEGRING_CORE_NTLM_MECH_H
#define NEGRING_CORE_NTLM_MECH_H

#include "mechanism.h"

extern const struct ng_mech_ops ng_ntlm_mech;

#endif
