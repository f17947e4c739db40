/* Parsing one helper request line (see helper_line.h). */
#include "helper_line.h"

#include <string.h>

#include "base64.h"

/* A cursor over the line: every read checks the bytes left, none looks past the end. */
struct cursor {
    const char *p;
    size_t left;
};

/* The characters up to the next space (or the end); the space is consumed. */
static size_t next_word(struct cursor *c, const char **word)
{
    const char *space = memchr(c->p, ' ', c->left);
    size_t n = space ? (size_t)(space - c->p) : c->left;
    *word = c->p;
    c->p += n + (space != NULL);
    c->left -= n + (space != NULL);
    return n;
}

static bool all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
    }
    return n > 0;
}

/* A decimal channel-ID of at most 9 digits (no overflow; Squid's are small). */
static const char *parse_channel(const char *s, size_t n, struct ne_helper_request *req)
{
    if (n > 9)
        return "channel-ID too long";
    uint32_t v = 0;
    for (size_t i = 0; i < n; i++)
        v = v * 10 + (uint32_t)(s[i] - '0');
    req->has_channel = true;
    req->channel = v;
    return NULL;
}

static const char *parse_command(const char *s, size_t n, enum ne_helper_command *cmd)
{
    if (n == 2 && memcmp(s, "YR", 2) == 0)
        *cmd = NE_HELPER_YR;
    else if (n == 2 && memcmp(s, "KK", 2) == 0)
        *cmd = NE_HELPER_KK;
    else if (n == 2 && memcmp(s, "QQ", 2) == 0)
        *cmd = NE_HELPER_QQ;
    else
        return "unknown request (not YR, KK or QQ)";
    return NULL;
}

const char *ne_helper_parse(const char *line, size_t len, uint8_t *token, size_t token_cap,
                            struct ne_helper_request *req)
{
    *req = (struct ne_helper_request){0};
    struct cursor c = {line, len};
    const char *word, *why;
    size_t n = next_word(&c, &word);
    if (all_digits(word, n)) {
        if ((why = parse_channel(word, n, req)) != NULL)
            return why;
        n = next_word(&c, &word);
    }
    if ((why = parse_command(word, n, &req->command)) != NULL)
        return why;
    if (req->command == NE_HELPER_QQ)
        return word + n == line + len ? NULL : "QQ takes nothing";
    n = next_word(&c, &word);
    if (n == 0)
        return "no token";
    if (c.left != 0 || word + n != line + len)
        return "characters after the token";
    if (n > ne_b64_encoded_len(token_cap))
        return "token too large";
    if (ne_b64_decode(word, n, false, token, token_cap, &req->token_len) != NE_B64_OK)
        return "token is not base64";
    return NULL;
}
