/* negring-user: manages the NTLM account database read by negring's acceptor (format in
 * core/ntlm/user_database.h and docs/ntlm.md).
 *
 *   negring-user add     --db FILE DOMAIN\user   password from stdin (prompted twice, unechoed,
 *                                                on a terminal); replaces an existing hash
 *   negring-user disable --db FILE DOMAIN\user
 *   negring-user enable  --db FILE DOMAIN\user
 *   negring-user remove  --db FILE DOMAIN\user
 *   negring-user list    --db FILE
 *
 * Passwords never appear on the command line and only their NT hash is stored. The file is
 * rewritten whole (mode 0600) and renamed into place, so an acceptor re-reading it
 * (SECPKG_CRED_ATTR_NEGRING_RELOAD_KEYS) sees either the old or the new version. Comment lines
 * are kept. Exit status: 0 done, 1 failure, 2 usage. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <termios.h>
#include <unistd.h>

#include "negring_internal.h"

#define MAX_LINES 100000

struct file {
    char **lines; /* without newlines */
    size_t count;
};

static void usage(void)
{
    fputs("usage: negring-user add|disable|enable|remove --db FILE DOMAIN\\user\n"
          "       negring-user list --db FILE\n",
          stderr);
    exit(2);
}

static void file_free(struct file *f)
{
    for (size_t i = 0; i < f->count; i++) {
        explicit_bzero(f->lines[i], strlen(f->lines[i]));
        free(f->lines[i]);
    }
    free(f->lines);
}

static bool push_line(struct file *f, const char *text)
{
    if (f->count >= MAX_LINES)
        return false;
    char **grown = realloc(f->lines, (f->count + 1) * sizeof(*grown));
    if (grown == NULL)
        return false;
    f->lines = grown;
    f->lines[f->count] = strdup(text);
    return f->lines[f->count++] != NULL;
}

/* A missing file is an empty database (for "add"). */
static bool read_file(const char *path, struct file *f)
{
    FILE *in = fopen(path, "r");
    if (in == NULL)
        return errno == ENOENT;
    char line[NEGRING_ACCOUNT_LINE_MAX];
    bool ok = true;
    while (ok && fgets(line, sizeof(line), in) != NULL) {
        line[strcspn(line, "\r\n")] = '\0';
        ok = push_line(f, line);
    }
    fclose(in);
    return ok;
}

static bool write_file(const char *path, const struct file *f)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof(tmp))
        return false;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0)
        return false;
    FILE *out = fdopen(fd, "w");
    bool ok = out != NULL;
    for (size_t i = 0; ok && i < f->count; i++)
        ok = fprintf(out, "%s\n", f->lines[i]) >= 0;
    ok = ok && fflush(out) == 0 && fsync(fd) == 0;
    if (out != NULL)
        ok = fclose(out) == 0 && ok;
    if (ok && rename(tmp, path) == 0)
        return true;
    unlink(tmp);
    return false;
}

/* "DOMAIN\user" into an entry's names. */
static bool split_name(const char *arg, struct negring_account *e)
{
    const char *slash = strchr(arg, '\\');
    if (slash == NULL || slash == arg || slash[1] == '\0')
        return false;
    size_t dlen = (size_t)(slash - arg), ulen = strlen(slash + 1);
    if (dlen >= sizeof(e->domain) || ulen >= sizeof(e->user))
        return false;
    memcpy(e->domain, arg, dlen);
    e->domain[dlen] = '\0';
    memcpy(e->user, slash + 1, ulen + 1);
    /* Validate through the file format itself. */
    char line[NEGRING_ACCOUNT_LINE_MAX];
    struct negring_account check;
    bool is_entry;
    negring_account_format(e, line, sizeof(line));
    return negring_account_parse(line, &check, &is_entry) == 0 && is_entry;
}

/* One line of input with echo off when it comes from a terminal. */
static bool read_secret(const char *prompt, char *buf, size_t cap)
{
    bool tty = isatty(STDIN_FILENO);
    struct termios old, quiet;
    if (tty) {
        fputs(prompt, stderr);
        tcgetattr(STDIN_FILENO, &old);
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    bool ok = fgets(buf, (int)cap, stdin) != NULL;
    if (tty) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
        fputc('\n', stderr);
    }
    if (ok)
        buf[strcspn(buf, "\r\n")] = '\0';
    return ok;
}

static bool read_password(uint8_t hash[16])
{
    char first[512], second[512];
    bool ok = read_secret("Password: ", first, sizeof(first));
    if (ok && isatty(STDIN_FILENO)) {
        ok = read_secret("Again: ", second, sizeof(second)) && strcmp(first, second) == 0;
        if (!ok)
            fputs("negring-user: the passwords differ\n", stderr);
        explicit_bzero(second, sizeof(second));
    }
    ok = ok && negring_nt_hash(first, strlen(first), hash) == 0;
    explicit_bzero(first, sizeof(first));
    return ok;
}

static bool same_account(const struct negring_account *a, const struct negring_account *b)
{
    return strcasecmp(a->domain, b->domain) == 0 && strcasecmp(a->user, b->user) == 0;
}

/* Applies `cmd` to the account's line; false when it is not there (except for add). */
static bool apply(const char *cmd, struct file *f, struct negring_account *want)
{
    char line[NEGRING_ACCOUNT_LINE_MAX];
    for (size_t i = 0; i < f->count; i++) {
        struct negring_account e;
        bool is_entry;
        if (negring_account_parse(f->lines[i], &e, &is_entry) != 0 || !is_entry ||
            !same_account(&e, want))
            continue;
        if (strcmp(cmd, "remove") == 0) {
            free(f->lines[i]);
            memmove(&f->lines[i], &f->lines[i + 1], (f->count - i - 1) * sizeof(*f->lines));
            f->count--;
            return true;
        }
        if (strcmp(cmd, "add") == 0)
            memcpy(e.nt_hash, want->nt_hash, sizeof(e.nt_hash));
        else
            e.disabled = strcmp(cmd, "disable") == 0;
        negring_account_format(&e, line, sizeof(line));
        free(f->lines[i]);
        f->lines[i] = strdup(line);
        explicit_bzero(&e, sizeof(e));
        return f->lines[i] != NULL;
    }
    if (strcmp(cmd, "add") != 0)
        return false;
    negring_account_format(want, line, sizeof(line));
    return push_line(f, line);
}

static int list(const struct file *f)
{
    for (size_t i = 0; i < f->count; i++) {
        struct negring_account e;
        bool is_entry;
        if (negring_account_parse(f->lines[i], &e, &is_entry) == 0 && is_entry)
            printf("%s\\%s%s\n", e.domain, e.user, e.disabled ? " (disabled)" : "");
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 4 || strcmp(argv[2], "--db") != 0)
        usage();
    const char *cmd = argv[1], *path = argv[3];
    bool is_list = strcmp(cmd, "list") == 0;
    bool known = is_list || strcmp(cmd, "add") == 0 || strcmp(cmd, "disable") == 0 ||
                 strcmp(cmd, "enable") == 0 || strcmp(cmd, "remove") == 0;
    if (!known || argc != (is_list ? 4 : 5))
        usage();
    struct file f = {0};
    if (!read_file(path, &f)) {
        fprintf(stderr, "negring-user: cannot read %s: %s\n", path, strerror(errno));
        return 1;
    }
    if (is_list) {
        int rc = list(&f);
        file_free(&f);
        return rc;
    }
    struct negring_account want = {0};
    if (!split_name(argv[4], &want)) {
        fprintf(stderr, "negring-user: \"%s\" is not DOMAIN\\user\n", argv[4]);
        file_free(&f);
        return 2;
    }
    int rc = 0;
    if (strcmp(cmd, "add") == 0 && !read_password(want.nt_hash))
        rc = 1;
    else if (!apply(cmd, &f, &want)) {
        fprintf(stderr, "negring-user: no account %s\n", argv[4]);
        rc = 1;
    } else if (!write_file(path, &f)) {
        fprintf(stderr, "negring-user: cannot write %s: %s\n", path, strerror(errno));
        rc = 1;
    }
    explicit_bzero(&want, sizeof(want));
    file_free(&f);
    return rc;
}
