/* C side of the throwaway realm harness: runs scripts/realm.sh (path baked in as
 * NEGRING_REALM_SCRIPT) through posix_spawn, without a shell in between, and loads the realm's
 * DIR/env into the struct and this process's environment. */
#define _GNU_SOURCE /* pipe2 */
#include "realm.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef NEGRING_REALM_SCRIPT
#error "NEGRING_REALM_SCRIPT must be defined to the path of scripts/realm.sh"
#endif

extern char **environ;

/* Realms still running, stopped at exit by the process that started them (not by a forked
 * child that happens to call exit()). */
#define MAX_LIVE_REALMS 16
static char live_dirs[MAX_LIVE_REALMS][256];
static pid_t live_owner;
static int atexit_registered;

/* Runs `bash NEGRING_REALM_SCRIPT args...` and waits for it. stdout goes to /dev/null, stderr
 * is inherited so the script's diagnostics reach the test log. stdin_data, if not NULL, is fed
 * through a pipe. Returns the exit status, or -1 if it could not run or died on a signal. */
static int run_script(char *const args[], const char *stdin_data)
{
    char *argv[32];
    size_t n = 0;
    argv[n++] = "bash";
    argv[n++] = NEGRING_REALM_SCRIPT;
    for (size_t i = 0; args[i] != NULL; i++) {
        if (n + 1 >= sizeof argv / sizeof argv[0]) {
            fprintf(stderr, "realm harness: too many arguments\n");
            return -1;
        }
        argv[n++] = args[i];
    }
    argv[n] = NULL;

    int pipefd[2] = {-1, -1};
    posix_spawn_file_actions_t fa;
    if (posix_spawn_file_actions_init(&fa) != 0)
        return -1;
    if (stdin_data != NULL) {
        if (pipe2(pipefd, O_CLOEXEC) != 0) {
            fprintf(stderr, "realm harness: pipe: %s\n", strerror(errno));
            posix_spawn_file_actions_destroy(&fa);
            return -1;
        }
        posix_spawn_file_actions_adddup2(&fa, pipefd[0], STDIN_FILENO);
    } else {
        posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    }
    posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
    /* The KDC outlives the script: don't let it inherit the test's sockets and files. */
    posix_spawn_file_actions_addclosefrom_np(&fa, STDERR_FILENO + 1);
#endif

    fflush(NULL); /* nothing buffered may be duplicated into the child's stderr */
    pid_t pid;
    int err = posix_spawnp(&pid, "bash", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (pipefd[0] >= 0)
        close(pipefd[0]);
    if (err != 0) {
        fprintf(stderr, "realm harness: cannot run bash %s: %s\n", NEGRING_REALM_SCRIPT,
                strerror(err));
        if (pipefd[1] >= 0)
            close(pipefd[1]);
        return -1;
    }
    if (stdin_data != NULL) {
        /* The child may exit without reading: don't let SIGPIPE kill the test. */
        struct sigaction ign = {.sa_handler = SIG_IGN}, old;
        sigemptyset(&ign.sa_mask);
        sigaction(SIGPIPE, &ign, &old);
        size_t len = strlen(stdin_data), off = 0;
        while (off < len) {
            ssize_t w = write(pipefd[1], stdin_data + off, len - off);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0)
                break;
            off += (size_t)w;
        }
        close(pipefd[1]);
        sigaction(SIGPIPE, &old, NULL);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            fprintf(stderr, "realm harness: waitpid: %s\n", strerror(errno));
            return -1;
        }
    }
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    fprintf(stderr, "realm harness: %s killed by signal %d\n", NEGRING_REALM_SCRIPT,
            WIFSIGNALED(status) ? WTERMSIG(status) : -1);
    return -1;
}

/* Undo the shell quoting scripts/realm.sh uses in DIR/env: bare words, '...' segments and
 * backslash escapes. Returns 0, or -1 if the value does not fit or is malformed. */
static int unquote(const char *in, char *out, size_t outsz)
{
    size_t o = 0;
    for (const char *p = in; *p != '\0' && *p != '\n';) {
        char c;
        if (*p == '\'') {
            const char *end = strchr(p + 1, '\'');
            if (end == NULL)
                return -1;
            for (const char *q = p + 1; q < end; q++) {
                if (o + 1 >= outsz)
                    return -1;
                out[o++] = *q;
            }
            p = end + 1;
            continue;
        }
        if (*p == '\\' && p[1] != '\0' && p[1] != '\n') {
            c = p[1];
            p += 2;
        } else {
            c = *p++;
        }
        if (o + 1 >= outsz)
            return -1;
        out[o++] = c;
    }
    out[o] = '\0';
    return 0;
}

static int copy_field(char *dst, size_t dstsz, const char *src, const char *name)
{
    size_t len = strlen(src);
    if (len >= dstsz) {
        fprintf(stderr, "realm harness: %s too long (%zu bytes)\n", name, len);
        return -1;
    }
    memcpy(dst, src, len + 1);
    return 0;
}

/* Reads DIR/env: every `export NAME=VALUE` line is setenv'd and the known ones fill *r. */
static int load_env(struct ng_test_realm *r)
{
    char path[320];
    snprintf(path, sizeof path, "%s/env", r->dir);
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        fprintf(stderr, "realm harness: cannot open %s: %s\n", path, strerror(errno));
        return -1;
    }
    char line[1024], value[512];
    int rc = 0;
    r->kdc_port = 0;
    while (rc == 0 && fgets(line, sizeof line, f) != NULL) {
        if (strncmp(line, "export ", 7) != 0)
            continue;
        char *name = line + 7;
        char *eq = strchr(name, '=');
        if (eq == NULL)
            continue;
        *eq = '\0';
        if (unquote(eq + 1, value, sizeof value) != 0) {
            fprintf(stderr, "realm harness: bad value for %s in %s\n", name, path);
            rc = -1;
            break;
        }
        if (setenv(name, value, 1) != 0) {
            fprintf(stderr, "realm harness: setenv %s: %s\n", name, strerror(errno));
            rc = -1;
            break;
        }
        if (strcmp(name, "KRB5_CONFIG") == 0)
            rc = copy_field(r->krb5_config, sizeof r->krb5_config, value, name);
        else if (strcmp(name, "KRB5_KTNAME") == 0)
            rc = copy_field(r->keytab, sizeof r->keytab, value, name);
        else if (strcmp(name, "KRB5CCNAME") == 0)
            rc = copy_field(r->ccache, sizeof r->ccache, value, name);
        else if (strcmp(name, "NEGRING_OTHER_KEYTAB") == 0)
            rc = copy_field(r->other_keytab, sizeof r->other_keytab, value, name);
        else if (strcmp(name, "NEGRING_REALM") == 0)
            rc = copy_field(r->realm, sizeof r->realm, value, name);
        else if (strcmp(name, "NEGRING_USER") == 0)
            rc = copy_field(r->user, sizeof r->user, value, name);
        else if (strcmp(name, "NEGRING_USER_PASSWORD") == 0)
            rc = copy_field(r->password, sizeof r->password, value, name);
        else if (strcmp(name, "NEGRING_SERVICE") == 0)
            rc = copy_field(r->service, sizeof r->service, value, name);
        else if (strcmp(name, "NEGRING_KDC_PORT") == 0)
            r->kdc_port = atoi(value);
    }
    fclose(f);
    if (rc != 0)
        return -1;
    if (r->krb5_config[0] == '\0' || r->keytab[0] == '\0' || r->ccache[0] == '\0' ||
        r->other_keytab[0] == '\0' || r->realm[0] == '\0' || r->user[0] == '\0' ||
        r->password[0] == '\0' || r->service[0] == '\0' || r->kdc_port <= 0 ||
        r->kdc_port > 65535) {
        fprintf(stderr, "realm harness: %s is incomplete\n", path);
        return -1;
    }
    return 0;
}

static void stop_dir(const char *dir)
{
    char *args[] = {"stop", (char *)dir, NULL};
    if (run_script(args, NULL) != 0)
        fprintf(stderr, "realm harness: stopping the realm in %s failed\n", dir);
}

static void stop_live_realms(void)
{
    if (getpid() != live_owner)
        return;
    for (int i = 0; i < MAX_LIVE_REALMS; i++) {
        if (live_dirs[i][0] != '\0') {
            stop_dir(live_dirs[i]);
            live_dirs[i][0] = '\0';
        }
    }
}

static void forget_dir(const char *dir)
{
    for (int i = 0; i < MAX_LIVE_REALMS; i++) {
        if (strcmp(live_dirs[i], dir) == 0)
            live_dirs[i][0] = '\0';
    }
}

int ng_test_realm_start(struct ng_test_realm *r)
{
    return ng_test_realm_start_named(r, NULL);
}

int ng_test_realm_start_named(struct ng_test_realm *r, const char *realm_name)
{
    memset(r, 0, sizeof *r);
    int slot = -1;
    for (int i = 0; i < MAX_LIVE_REALMS && slot < 0; i++) {
        if (live_dirs[i][0] == '\0')
            slot = i;
    }
    if (slot < 0) {
        fprintf(stderr, "realm harness: more than %d live realms\n", MAX_LIVE_REALMS);
        return -1;
    }

    const char *tmp = getenv("TMPDIR");
    if (tmp == NULL || tmp[0] == '\0')
        tmp = "/tmp";
    /* Leave room for "FILE:" + DIR + "/service.keytab" in the 320-byte fields. */
    int n = snprintf(r->dir, sizeof r->dir, "%s/negring-realm-XXXXXX", tmp);
    if (n < 0 || (size_t)n >= sizeof r->dir - 32) {
        fprintf(stderr, "realm harness: TMPDIR %s is too long\n", tmp);
        return -1;
    }
    if (mkdtemp(r->dir) == NULL) {
        fprintf(stderr, "realm harness: mkdtemp %s: %s\n", r->dir, strerror(errno));
        return -1;
    }

    /* Ask the script's watchdog to stop the KDC if this process dies without atexit. */
    char pidbuf[32];
    snprintf(pidbuf, sizeof pidbuf, "%ld", (long)getpid());
    setenv("NEGRING_REALM_WATCH_PID", pidbuf, 1);
    char *args[] = {"start", r->dir, (char *)realm_name, NULL};
    int rc = run_script(args, NULL);
    unsetenv("NEGRING_REALM_WATCH_PID");
    if (rc != 0) {
        fprintf(stderr, "realm harness: %s start %s failed (status %d)\n", NEGRING_REALM_SCRIPT,
                r->dir, rc);
        stop_dir(r->dir);
        rmdir(r->dir); /* in case the script failed before marking it as a realm */
        return -1;
    }

    memcpy(live_dirs[slot], r->dir, sizeof r->dir);
    live_owner = getpid();
    if (!atexit_registered) {
        atexit(stop_live_realms);
        atexit_registered = 1;
    }
    if (load_env(r) != 0) {
        ng_test_realm_stop(r);
        return -1;
    }
    return 0;
}

void ng_test_realm_stop(struct ng_test_realm *r)
{
    if (r->dir[0] == '\0')
        return;
    forget_dir(r->dir);
    stop_dir(r->dir);
}

int ng_test_realm_kadmin(struct ng_test_realm *r, const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof cmd) {
        fprintf(stderr, "realm harness: kadmin command too long\n");
        return -1;
    }
    char *args[] = {"kadmin", r->dir, cmd, NULL};
    int rc = run_script(args, NULL);
    if (rc != 0)
        fprintf(stderr, "realm harness: kadmin.local '%s' failed\n", cmd);
    return rc == 0 ? 0 : -1;
}

int ng_test_realm_kinit(struct ng_test_realm *r, const char *principal, const char *password,
                        const char *ccache_name, const char *extra_flags)
{
    char flags[512] = "";
    char *args[24];
    size_t n = 0;
    args[n++] = "kinit";
    args[n++] = r->dir;
    args[n++] = (char *)principal;
    args[n++] = (char *)ccache_name;
    if (extra_flags != NULL) {
        if (strlen(extra_flags) >= sizeof flags) {
            fprintf(stderr, "realm harness: kinit flags too long\n");
            return -1;
        }
        strcpy(flags, extra_flags);
        char *save = NULL;
        for (char *tok = strtok_r(flags, " \t", &save); tok != NULL;
             tok = strtok_r(NULL, " \t", &save)) {
            if (n + 1 >= sizeof args / sizeof args[0]) {
                fprintf(stderr, "realm harness: too many kinit flags\n");
                return -1;
            }
            args[n++] = tok;
        }
    }
    args[n] = NULL;

    char input[256];
    int len = snprintf(input, sizeof input, "%s\n", password);
    if (len < 0 || (size_t)len >= sizeof input) {
        fprintf(stderr, "realm harness: password too long\n");
        return -1;
    }
    int rc = run_script(args, input);
    if (rc != 0)
        fprintf(stderr, "realm harness: kinit %s into %s failed\n", principal, ccache_name);
    return rc == 0 ? 0 : -1;
}
