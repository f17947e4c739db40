/* Compiled with the sspi layer's include path, this must fail: the SSPI functions reach a
 * mechanism only through its table (negotiate/mechanisms.h). */
#include "krb5_state.h"
