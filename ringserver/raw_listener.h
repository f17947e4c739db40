/* Raw listeners: the token protocol (docs/ringserver.md "Raw protocol"), easy to embed and to
 * load-test.
 *
 *   client -> server:  u32 length (big-endian) | token                (length 0: empty token)
 *   server -> client:  u32 length (of what follows) | u8 type | payload
 *     'C' continue:  the server's token for the client's next leg
 *     'A' accepted:  u32 token length | final token (mutual auth, may be empty)
 *                    | u16 name length | name | u16 mechanism length | mechanism
 *     'E' error:     u32 SECURITY_STATUS | u16 reason length | reason (UTF-8)
 *
 * After 'A' or 'E' the connection may start another handshake. A frame longer than
 * max-token-bytes gets 'E' (SEC_E_INVALID_TOKEN) and the connection is closed. */
#ifndef RINGSERVER_RAW_LISTENER_H
#define RINGSERVER_RAW_LISTENER_H

#include "protocol.h"

extern const struct rs_protocol rs_raw_protocol; /* mode=raw */

#endif
