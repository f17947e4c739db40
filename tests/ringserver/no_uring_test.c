/* ringserver where io_uring is forbidden: a seccomp filter (as container runtimes install)
 * makes io_uring_setup fail with EPERM; ringserver must exit 1 at start with a message naming
 * kernel.io_uring_disabled and seccomp, not hang or crash.
 *
 * Usage: ringserver_no_uring_test PATH_TO_RINGSERVER */
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int forbid_io_uring(void)
{
    struct sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = {sizeof(filter) / sizeof(filter[0]), filter};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
        prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) {
        perror("seccomp");
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    int pipefd[2];
    if (pipe(pipefd) != 0)
        return 1;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(pipefd[1], STDERR_FILENO);
        close(pipefd[0]);
        if (forbid_io_uring() != 0)
            _exit(99);
        /* The keytab does not matter: io_uring is checked before anything listens. */
        execl(argv[1], argv[1], "--listen", "127.0.0.1:0", "--keytab", "/nonexistent",
              (char *)NULL);
        _exit(127);
    }
    close(pipefd[1]);
    static char out[8192];
    size_t off = 0;
    ssize_t n;
    while (off < sizeof(out) - 1 && (n = read(pipefd[0], out + off, sizeof(out) - 1 - off)) > 0)
        off += (size_t)n;
    int status;
    waitpid(pid, &status, 0);
    printf("%s", out);
    int failures = 0;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 1) {
        fprintf(stderr, "FAIL: want exit status 1, got 0x%x\n", status);
        failures++;
    }
    const char *want[] = {"io_uring is not available", "kernel.io_uring_disabled", "seccomp"};
    for (size_t i = 0; i < 3; i++)
        if (strstr(out, want[i]) == NULL) {
            fprintf(stderr, "FAIL: message lacks '%s'\n", want[i]);
            failures++;
        }
    printf(failures ? "FAILED\n" : "all checks passed\n");
    return failures ? 1 : 0;
}
