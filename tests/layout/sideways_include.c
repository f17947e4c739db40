/* Compiled with the kerberos layer's include path, this must fail: Kerberos and NTLM never see
 * each other. */
#include "ntlm_state.h"
