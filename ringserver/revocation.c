/* Revoked sessions (see revocation.h): two sorted arrays searched with bsearch. */
#include "revocation.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <negring_internal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

struct revoked {
    char *user;
    uint64_t before; /* cookies issued at or before this are refused */
};

struct rs_revocation {
    struct revoked *revoked;
    size_t n_revoked;
    char **accounts; /* "DOMAIN\user" of every enabled NTLM account */
    size_t n_accounts;
    bool has_accounts;
};

void rs_revocation_free(struct rs_revocation *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->n_revoked; i++)
        free(r->revoked[i].user);
    for (size_t i = 0; i < r->n_accounts; i++)
        free(r->accounts[i]);
    free(r->revoked);
    free(r->accounts);
    free(r);
}

static int by_user(const void *a, const void *b)
{
    int c = strcasecmp(((const struct revoked *)a)->user, ((const struct revoked *)b)->user);
    if (c != 0)
        return c;
    uint64_t x = ((const struct revoked *)a)->before, y = ((const struct revoked *)b)->before;
    return x < y ? 1 : x > y ? -1 : 0; /* latest first: the one a lookup finds */
}

static int by_name(const void *a, const void *b)
{
    return strcasecmp(*(char *const *)a, *(char *const *)b);
}

/* Room for element n: the capacity is the power of two above the count. */
static int grow(void **arr, size_t n, size_t size)
{
    if (n != 0 && (n & (n - 1)) != 0)
        return 0;
    void *p = realloc(*arr, (n ? n * 2 : 1) * size);
    if (p == NULL)
        return -1;
    *arr = p;
    return 0;
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

/* "UNIX-SECONDS USER": the user is the rest of the line. */
static int add_revoked(struct rs_revocation *r, char *line, const char *path, int lineno, char *err,
                       size_t errlen)
{
    char *end;
    errno = 0;
    unsigned long long t = strtoull(line, &end, 10);
    char *user = trim(end);
    if (errno != 0 || end == line || !isspace((unsigned char)*end) || *user == '\0') {
        snprintf(err, errlen, "%s:%d: want 'UNIX-SECONDS USER'", path, lineno);
        return -1;
    }
    if (grow((void **)&r->revoked, r->n_revoked, sizeof(*r->revoked)) != 0 ||
        (user = strdup(user)) == NULL) {
        snprintf(err, errlen, "out of memory reading %s", path);
        return -1;
    }
    r->revoked[r->n_revoked++] = (struct revoked){user, t};
    return 0;
}

static int read_revocations(struct rs_revocation *r, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (f == NULL && errno == ENOENT)
        return 0; /* nothing revoked yet */
    if (f == NULL) {
        snprintf(err, errlen, "cannot open revocation file %s: %s", path, strerror(errno));
        return -1;
    }
    char line[1024];
    int lineno = 0, rc = 0;
    while (rc == 0 && fgets(line, sizeof(line), f) != NULL) {
        lineno++;
        char *s = trim(line);
        if (*s != '\0' && *s != '#')
            rc = add_revoked(r, s, path, lineno, err, errlen);
    }
    fclose(f);
    if (r->n_revoked > 0)
        qsort(r->revoked, r->n_revoked, sizeof(*r->revoked), by_user);
    return rc;
}

/* The enabled accounts of the NTLM account file (docs/ntlm.md). A file the library would refuse
 * is refused here too, so the previous snapshot stays, as the library keeps its accounts. */
static int read_accounts(struct rs_revocation *r, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        snprintf(err, errlen, "cannot open account file %s: %s", path, strerror(errno));
        return -1;
    }
    char line[NEGRING_ACCOUNT_LINE_MAX + 2];
    struct negring_account a;
    int lineno = 0, rc = 0;
    r->has_accounts = true;
    while (rc == 0 && fgets(line, sizeof(line), f) != NULL) {
        lineno++;
        bool entry;
        line[strcspn(line, "\r\n")] = '\0';
        if (negring_account_parse(line, &a, &entry) != 0) {
            snprintf(err, errlen, "%s:%d: not an account line", path, lineno);
            rc = -1;
        } else if (entry && !a.disabled) {
            char name[2 * NEGRING_ACCOUNT_NAME_MAX + 2];
            snprintf(name, sizeof(name), "%s\\%s", a.domain, a.user);
            char *copy = strdup(name);
            if (copy == NULL || grow((void **)&r->accounts, r->n_accounts, sizeof(char *)) != 0) {
                free(copy);
                snprintf(err, errlen, "out of memory reading %s", path);
                rc = -1;
            } else {
                r->accounts[r->n_accounts++] = copy;
            }
        }
    }
    explicit_bzero(&a, sizeof(a));
    fclose(f);
    if (r->n_accounts > 0)
        qsort(r->accounts, r->n_accounts, sizeof(char *), by_name);
    return rc;
}

int rs_revocation_load(const struct rs_config *cfg, struct rs_revocation **out, char *err,
                       size_t errlen)
{
    struct rs_revocation *r = calloc(1, sizeof(*r));
    const char *db = cfg->user_db[0] ? cfg->user_db : getenv("NEGRING_USER_DB");
    if (r == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if ((cfg->revocation_file[0] && read_revocations(r, cfg->revocation_file, err, errlen) != 0) ||
        (db != NULL && db[0] && read_accounts(r, db, err, errlen) != 0)) {
        rs_revocation_free(r);
        return -1;
    }
    *out = r;
    return 0;
}

int rs_revocation_add(struct rs_revocation *r, const char *user, size_t user_len, uint64_t before)
{
    char *copy = strndup(user, user_len);
    if (copy == NULL || grow((void **)&r->revoked, r->n_revoked, sizeof(*r->revoked)) != 0) {
        free(copy);
        return -1;
    }
    r->revoked[r->n_revoked++] = (struct revoked){copy, before};
    return 0;
}

void rs_revocation_seal(struct rs_revocation *r)
{
    if (r->n_revoked > 0)
        qsort(r->revoked, r->n_revoked, sizeof(*r->revoked), by_user);
}

bool rs_revocation_allows(const struct rs_revocation *r, const char *package, const char *user,
                          uint64_t issued)
{
    if (r == NULL)
        return true;
    if (r->has_accounts && strcmp(package, "NTLM") == 0 &&
        (r->n_accounts == 0 ||
         bsearch(&user, r->accounts, r->n_accounts, sizeof(char *), by_name) == NULL))
        return false;
    struct revoked key = {(char *)user, UINT64_MAX}; /* sorts before every entry of the user */
    size_t lo = 0, hi = r->n_revoked;
    while (lo < hi) { /* the first entry not before key: the user's latest revocation */
        size_t mid = lo + (hi - lo) / 2;
        if (by_user(&r->revoked[mid], &key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo == r->n_revoked || strcasecmp(r->revoked[lo].user, user) != 0 ||
           issued > r->revoked[lo].before;
}

int rs_revocation_append(const char *path, const char *user, uint64_t now, char *err, size_t errlen)
{
    for (const unsigned char *p = (const unsigned char *)user; *p; p++)
        if (*p < 0x20 || *p == 0x7f) {
            snprintf(err, errlen, "--revoke: the user name has a control character");
            return -1;
        }
    char line[600];
    int n = snprintf(line, sizeof(line), "%" PRIu64 " %s\n", now, user);
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (user[0] == '\0' || n <= 0 || (size_t)n >= sizeof(line) || fd < 0 ||
        write(fd, line, (size_t)n) != n) {
        snprintf(err, errlen, "cannot revoke '%s' in %s: %s", user, path,
                 fd < 0 ? strerror(errno) : "bad name or short write");
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return close(fd) == 0 ? 0 : -1;
}
