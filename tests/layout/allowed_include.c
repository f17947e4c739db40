/* The control of the refusals: with the kerberos layer's include path, what a mechanism may
 * see compiles. */
#include "security_context.h"
#include "krb5_state.h"
#include "reader.h"
