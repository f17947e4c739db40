/* One request line of Squid's authentication helper protocol (Squid's
 * doc/debug-sections and helpers/negotiate_auth; "Features/AddonHelpers" on the Squid wiki):
 *
 *   [channel-ID SP] YR SP token     a new handshake: the client's first token
 *   [channel-ID SP] KK SP token     the client's next token of the handshake in progress
 *   [channel-ID SP] QQ              stop
 *
 * channel-ID is decimal (Squid adds it when it runs helpers with concurrency; the answer carries
 * it back) and token is canonical base64. The line comes from Squid, which copies the token from
 * a client: it is parsed as untrusted bytes, with a bounded cursor, and a line that is not
 * exactly this is refused with a reason (the helper answers BH). */
#ifndef NEGRING_SQUID_HELPER_LINE_H
#define NEGRING_SQUID_HELPER_LINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ne_helper_command { NE_HELPER_YR, NE_HELPER_KK, NE_HELPER_QQ };

struct ne_helper_request {
    bool has_channel;
    uint32_t channel;
    enum ne_helper_command command;
    size_t token_len; /* decoded, in the caller's token buffer */
};

/* Parses line[0..len) (without its newline). On success NULL, *req filled and the token decoded
 * into token[0..token_cap). Otherwise the reason, a constant string; req->has_channel and
 * req->channel are still set when the channel-ID was read, so the refusal can carry it. */
const char *ne_helper_parse(const char *line, size_t len, uint8_t *token, size_t token_cap,
                            struct ne_helper_request *req);

#endif
