/* negring-squid-auth: a Squid authentication helper for Negotiate (Kerberos, NTLM inside
 * SPNEGO) and NTLM, backed by libnegring, a drop-in for Squid's negotiate_kerberos_auth (same
 * options) and for NTLM helpers (--mechs ntlm). docs/squid.md is the operator's guide.
 *
 * Squid writes one request per line (helper_line.h) and reads one answer per line:
 *
 *   TT token          the next leg's token for the client
 *   AF token "user"   Negotiate: logged in, with the final token (AF "user" when there is none)
 *   AF "user"         NTLM: logged in
 *   NA reason         the credentials were refused (Squid asks the client again)
 *   BH reason         a request this helper cannot answer (malformed line, out of memory)
 *
 * each preceded by the request's channel-ID when it had one. The user name is quoted, with \
 * and " escaped, as Squid's strwordtok reads it. Handshakes in progress are kept per channel.
 * Replay detection: libnegring's in-memory cache, and a replay table in a file that every
 * child of this helper maps (Squid runs several, each its own process). */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "acceptor.h"
#include "base64.h"
#include "helper_line.h"
#include "line_reader.h"
#include "replay_file.h"
#include "sec_status_text.h"

#define MAX_LINE   (128 * 1024) /* a request line; longer ones are answered BH */
#define MAX_TOKEN  (96 * 1024)  /* a client token: a 64 KiB PAC fits */
#define MAX_ANSWER (96 * 1024)  /* the longest answer: TT with a token of cbMaxToken (48 KiB) */
#define MAX_USER   256
#define PROGRAM    "negring-squid-auth"

struct options {
    struct ne_acceptor_config acceptor;
    const char *replay_dir;  /* -c: where the shared replay table lives */
    const char *replay_file; /* --replay-file: the table itself */
    unsigned replay_log2;
    unsigned max_channels;
    bool strip_realm; /* -r */
    bool debug;       /* -d: every request on stderr (Squid's cache.log) */
    bool info;        /* -i: logins and refusals on stderr */
};

struct helper {
    struct options opt;
    struct ne_acceptor acceptor;
    struct ne_replay_table replay;
    struct ne_handshake *channels; /* one handshake in progress per channel-ID */
    uint8_t token[MAX_TOKEN];
    uint8_t out[64 * 1024];
    char answer[MAX_ANSWER + MAX_USER * 2 + 256];
    size_t answer_len;
};

__attribute__((format(printf, 1, 2))) static void say(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, PROGRAM "[%ld]: ", (long)getpid()); /* Squid runs several children */
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* ---- answers -------------------------------------------------------------------------- */

static void put(struct helper *h, const char *s, size_t n)
{
    if (n > sizeof(h->answer) - h->answer_len) /* cannot happen with the bounds above */
        n = sizeof(h->answer) - h->answer_len;
    memcpy(h->answer + h->answer_len, s, n);
    h->answer_len += n;
}

static void put_str(struct helper *h, const char *s)
{
    put(h, s, strlen(s));
}

static void begin_answer(struct helper *h, const struct ne_helper_request *req, const char *code)
{
    h->answer_len = 0;
    if (req->has_channel) {
        char id[16];
        put(h, id, (size_t)snprintf(id, sizeof(id), "%u ", req->channel));
    }
    put_str(h, code);
}

static void put_token(struct helper *h, const uint8_t *tok, size_t len)
{
    put(h, " ", 1);
    if (ne_b64_encoded_len(len) <= sizeof(h->answer) - h->answer_len) /* always: bounds */
        h->answer_len += ne_b64_encode(tok, len, false, h->answer + h->answer_len);
}

/* " then the name with \ and " escaped, then ": one word to Squid's strwordtok. */
static void put_user(struct helper *h, const char *user)
{
    put(h, " \"", 2);
    for (const char *p = user; *p; p++) {
        if (*p == '\\' || *p == '"')
            put(h, "\\", 1);
        put(h, p, 1);
    }
    put(h, "\"", 1);
}

/* Writes the answer and its newline; a Squid that went away ends the helper. */
static void send_answer(struct helper *h)
{
    put(h, "\n", 1);
    for (size_t done = 0; done < h->answer_len;) {
        ssize_t n = write(STDOUT_FILENO, h->answer + done, h->answer_len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            exit(0);
        done += (size_t)n;
    }
}

static void answer_text(struct helper *h, const struct ne_helper_request *req, const char *code,
                        const char *text)
{
    begin_answer(h, req, code);
    put(h, " ", 1);
    put_str(h, text);
    send_answer(h);
}

/* ---- handshakes ----------------------------------------------------------------------- */

/* The name Squid gets: with -r, without the Kerberos realm (or NTLM domain). Control
 * characters would break the line protocol: such a name is refused. */
static const char *squid_user(const struct helper *h, const struct ne_leg *leg)
{
    for (const char *p = leg->user; *p; p++) {
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return NULL;
    }
    if (!h->opt.strip_realm)
        return leg->user;
    if (strcmp(leg->package, "NTLM") == 0) {
        const char *backslash = strchr(leg->user, '\\');
        return backslash ? backslash + 1 : leg->user;
    }
    static char user[MAX_USER];
    size_t realm_len;
    ne_user_realm(leg->user, leg->package, &realm_len);
    size_t n = strlen(leg->user) - (realm_len ? realm_len + 1 : 0);
    snprintf(user, sizeof(user), "%.*s", (int)n, leg->user);
    return user;
}

static void answer_login(struct helper *h, const struct ne_helper_request *req,
                         const struct ne_leg *leg)
{
    const char *user = squid_user(h, leg);
    if (user == NULL) {
        answer_text(h, req, "NA", "user name with control characters");
        return;
    }
    if (h->opt.info || h->opt.debug)
        say("%s logged in with %s", leg->user, leg->package);
    begin_answer(h, req, "AF");
    if (leg->out_len > 0)
        put_token(h, leg->out, leg->out_len);
    put_user(h, user);
    send_answer(h);
}

static void answer_leg(struct helper *h, const struct ne_helper_request *req,
                       const struct ne_leg *leg)
{
    if (leg->status == SEC_I_CONTINUE_NEEDED) {
        begin_answer(h, req, "TT");
        put_token(h, leg->out, leg->out_len);
        send_answer(h);
        return;
    }
    if (leg->status == SEC_E_OK) {
        answer_login(h, req, leg);
        return;
    }
    enum ne_failure failure = ne_status_failure(leg->status);
    if (h->opt.info || h->opt.debug)
        say("refused: %s (0x%08x)", leg->reason, (unsigned)leg->status);
    answer_text(h, req, failure == NE_REFUSED || failure == NE_MALFORMED ? "NA" : "BH",
                leg->reason);
}

static void handle_line(struct helper *h, const char *line, size_t len)
{
    struct ne_helper_request req;
    const char *why = ne_helper_parse(line, len, h->token, sizeof(h->token), &req);
    if (why == NULL && req.has_channel && req.channel >= h->opt.max_channels)
        why = "channel-ID out of range (see --max-channels)";
    if (why != NULL) {
        if (h->opt.debug)
            say("malformed request: %s", why);
        answer_text(h, &req, "BH", why);
        return;
    }
    if (req.command == NE_HELPER_QQ) {
        answer_text(h, &req, "BH", "quit command");
        exit(0);
    }
    struct ne_handshake *hs = &h->channels[req.has_channel ? req.channel : 0];
    if (req.command == NE_HELPER_YR) /* Squid starts a new handshake */
        ne_handshake_reset(hs);
    enum ne_scheme scheme =
        h->opt.acceptor.mechs == NE_MECHS_NTLM ? NE_SCHEME_NTLM : NE_SCHEME_NEGOTIATE;
    struct ne_leg leg = {.out = h->out, .out_cap = sizeof(h->out)};
    ne_handshake_leg(hs, &h->acceptor, &h->replay, scheme, h->token, req.token_len, time(NULL),
                     &leg);
    answer_leg(h, &req, &leg);
}

static void serve(struct helper *h)
{
    static char buf[MAX_LINE];
    struct ne_line_reader r = {.fd = STDIN_FILENO, .buf = buf, .cap = sizeof(buf)};
    struct ne_helper_request none = {0};
    for (;;) {
        const char *line;
        size_t len;
        switch (ne_line_next(&r, &line, &len)) {
        case NE_LINE_OK:
            handle_line(h, line, len);
            break;
        case NE_LINE_TOO_LONG:
            answer_text(h, &none, "BH", "line too long");
            break;
        case NE_LINE_UNTERMINATED:
            answer_text(h, &none, "BH", "line not terminated");
            return;
        case NE_LINE_EOF:
            return;
        case NE_LINE_ERROR:
            say("ERROR: reading requests: %s", strerror(errno));
            exit(1);
        }
    }
}

/* ---- start-up ------------------------------------------------------------------------- */

static void usage(FILE *f)
{
    fprintf(
        f,
        "usage: " PROGRAM " [-h] [-d] [-i] [-r] [-s SERVICE-PRINCIPAL] [-k KEYTAB]\n"
        "           [-c REPLAY-CACHE-DIR] [-t REPLAY-CACHE-TYPE] [--mechs MECHS]\n"
        "           [--ntlm-accounts FILE] [--ntlm-domain NAME] [--clock-skew SECONDS]\n"
        "           [--replay-file PATH] [--replay-slots-log2 N] [--max-channels N]\n"
        "Squid authentication helper (Negotiate, NTLM) on libnegring; docs/squid.md.\n"
        "  -d                    log every request to stderr (Squid's cache.log)\n"
        "  -i                    log logins and refusals to stderr\n"
        "  -r                    give Squid the user without @REALM (or DOMAIN\\)\n"
        "  -s PRINCIPAL          accept tickets for this service only (HTTP/proxy.example.com);\n"
        "                        GSS_C_NO_NAME or none: any key in the keytab\n"
        "  -k KEYTAB             the service keys (default KRB5_KTNAME, else the system's)\n"
        "  -c DIR                folder of the replay table shared by the helper's children\n"
        "                        (default KRB5RCACHEDIR, else /var/tmp)\n"
        "  -t TYPE               accepted for negotiate_kerberos_auth; replay detection stays on\n"
        "  --mechs MECHS         negotiate (default), kerberos, or ntlm (for auth_param ntlm)\n"
        "  --ntlm-accounts FILE  NTLM account file (negring-user); NTLM is off without it\n"
        "  --ntlm-domain NAME    NetBIOS domain of the CHALLENGE (default: the file's first)\n"
        "  --clock-skew SECONDS  Kerberos and NTLM time window (default 300)\n"
        "  --replay-file PATH    the shared replay table itself (default "
        "DIR/negring_squid_UID.replay)\n"
        "  --replay-slots-log2 N its size when created: 2^N slots of 8 bytes (default 22: 32 MiB)\n"
        "  --max-channels N      highest channel-ID + 1 (default 1024)\n");
}

static bool parse_number(const char *s, unsigned lo, unsigned hi, unsigned *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno != 0 || *s == '\0' || *end != '\0' || v < lo || v > hi)
        return false;
    *out = (unsigned)v;
    return true;
}

static bool parse_mechs(const char *s, enum ne_mechs *out)
{
    static const struct {
        const char *name;
        enum ne_mechs mechs;
    } names[] = {{"negotiate", NE_MECHS_NEGOTIATE},
                 {"kerberos", NE_MECHS_KERBEROS},
                 {"ntlm", NE_MECHS_NTLM}};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcmp(s, names[i].name) == 0) {
            *out = names[i].mechs;
            return true;
        }
    }
    return false;
}

/* One option; false when its value is bad. */
static bool set_option(struct options *o, int c, const char *arg)
{
    switch (c) {
    case 'd':
        o->debug = true;
        return true;
    case 'i':
        o->info = true;
        return true;
    case 'r':
        o->strip_realm = true;
        return true;
    case 's':
        o->acceptor.principal = strcmp(arg, "GSS_C_NO_NAME") == 0 ? NULL : arg;
        return true;
    case 'k':
        o->acceptor.keytab = arg;
        return true;
    case 'c':
        o->replay_dir = arg;
        return true;
    case 't':
        if (strcmp(arg, "none") == 0)
            say("-t none: replay detection stays on (it costs no file access here)");
        return true;
    case 'm':
        return parse_mechs(arg, &o->acceptor.mechs);
    case 'a':
        o->acceptor.user_db = arg;
        return true;
    case 'n':
        o->acceptor.ntlm_domain = arg;
        return true;
    case 'w':
        return parse_number(arg, 1, 86400, &o->acceptor.clock_skew);
    case 'f':
        o->replay_file = arg;
        return true;
    case 'l':
        return parse_number(arg, 10, 32, &o->replay_log2);
    case 'x':
        return parse_number(arg, 1, 65536, &o->max_channels);
    }
    return false;
}

static void parse_options(int argc, char **argv, struct options *o)
{
    static const struct option longs[] = {
        {"mechs", required_argument, NULL, 'm'},
        {"ntlm-accounts", required_argument, NULL, 'a'},
        {"ntlm-domain", required_argument, NULL, 'n'},
        {"clock-skew", required_argument, NULL, 'w'},
        {"replay-file", required_argument, NULL, 'f'},
        {"replay-slots-log2", required_argument, NULL, 'l'},
        {"max-channels", required_argument, NULL, 'x'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    *o = (struct options){.acceptor = {.clock_skew = 300, .mechs = NE_MECHS_NEGOTIATE},
                          .replay_log2 = 22,
                          .max_channels = 1024};
    int c;
    while ((c = getopt_long(argc, argv, "hdirs:k:c:t:", longs, NULL)) != -1) {
        if (c == 'h') {
            usage(stdout);
            exit(0);
        }
        if (c == '?' || !set_option(o, c, optarg)) {
            if (c != '?')
                say("ERROR: bad value for -%c / its long option: %s", c, optarg);
            usage(stderr);
            exit(1);
        }
    }
    if (optind != argc) {
        say("ERROR: unexpected argument %s", argv[optind]);
        exit(1);
    }
}

static void open_replay_table(struct helper *h)
{
    char path[4096], err[512];
    const char *dir = h->opt.replay_dir ? h->opt.replay_dir : getenv("KRB5RCACHEDIR");
    if (h->opt.replay_file != NULL)
        snprintf(path, sizeof(path), "%s", h->opt.replay_file);
    else
        snprintf(path, sizeof(path), "%s/negring_squid_%u.replay", dir ? dir : "/var/tmp",
                 (unsigned)geteuid());
    if (ne_replay_file_open(&h->replay, path, h->opt.replay_log2, err, sizeof(err)) != 0) {
        say("ERROR: replay table: %s", err);
        exit(1);
    }
}

int main(int argc, char **argv)
{
    static struct helper h;
    char err[512];
    parse_options(argc, argv, &h.opt);
    signal(SIGPIPE, SIG_IGN); /* a vanished Squid: write fails, the helper exits */
    if (ne_acceptor_acquire(&h.acceptor, &h.opt.acceptor, err, sizeof(err)) != 0) {
        say("ERROR: %s", err);
        return 1;
    }
    if (ne_acceptor_prepare_thread(&h.acceptor) != SEC_E_OK)
        say("WARNING: cannot read krb5.conf now; Kerberos logins may fail");
    open_replay_table(&h);
    h.channels = calloc(h.opt.max_channels, sizeof(*h.channels));
    if (h.channels == NULL) {
        say("ERROR: out of memory");
        return 1;
    }
    serve(&h);
    for (unsigned i = 0; i < h.opt.max_channels; i++)
        ne_handshake_reset(&h.channels[i]);
    free(h.channels);
    ne_acceptor_free(&h.acceptor);
    return 0;
}
