/* One krb5_context per thread, made on the thread's first Kerberos call and freed when the
 * thread exits. A krb5_context must not be shared between threads; keeping one per thread
 * means the profile is read once per thread, not once per handshake. */
#ifndef NEGRING_CORE_KRB5_THREAD_H
#define NEGRING_CORE_KRB5_THREAD_H

#include <krb5/krb5.h>

#include "status.h"

/* NG_ERR_INTERNAL when libkrb5 cannot make a context (e.g. a broken KRB5_CONFIG). */
ng_status ng_krb5_thread_context(krb5_context *out);

/* Maps a libkrb5 error from the accept/initiate path to our status. */
ng_status ng_krb5_status(krb5_error_code code);

#endif
