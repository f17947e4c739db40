/* Compiled with the kerberos layer's include path, this must fail: a mechanism cannot see
 * SPNEGO above it (core/CMakeLists.txt). */
#include "spnego.h"
