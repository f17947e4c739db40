#include "server_cpu.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Deep enough for a server's process tree (Apache: parent and workers). */
#define MAX_DEPTH 4

/* utime + stime + cutime + cstime of one process, in clock ticks. */
static bool process_ticks(pid_t pid, unsigned long long *ticks)
{
    char path[64], line[1024];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return false;
    bool got = fgets(line, sizeof(line), f) != NULL;
    fclose(f);
    /* proc(5): "pid (comm) state ppid ...": comm may hold blanks and ')', so start after the
     * last ')'; utime is field 14 of the line, field 12 after it. */
    const char *p = got ? strrchr(line, ')') : NULL;
    unsigned long long utime, stime, cutime, cstime;
    if (p == NULL ||
        sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %llu %llu", &utime,
               &stime, &cutime, &cstime) != 4)
        return false;
    *ticks = utime + stime + cutime + cstime;
    return true;
}

static unsigned long long tree_ticks(pid_t pid, int depth);

/* The children of each of pid's threads (/proc/PID/task/TID/children). */
static unsigned long long children_ticks(pid_t pid, int depth)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
    DIR *tasks = opendir(path);
    if (tasks == NULL)
        return 0;
    unsigned long long total = 0;
    struct dirent *t;
    while ((t = readdir(tasks)) != NULL) {
        if (t->d_name[0] == '.')
            continue;
        char children[300];
        snprintf(children, sizeof(children), "/proc/%d/task/%.32s/children", (int)pid, t->d_name);
        FILE *f = fopen(children, "r");
        if (f == NULL)
            continue;
        int child;
        while (fscanf(f, "%d", &child) == 1)
            total += tree_ticks(child, depth + 1);
        fclose(f);
    }
    closedir(tasks);
    return total;
}

static unsigned long long tree_ticks(pid_t pid, int depth)
{
    unsigned long long own = 0;
    if (!process_ticks(pid, &own))
        return 0; /* exited meanwhile: its time moved to its parent's cutime once reaped */
    return depth < MAX_DEPTH ? own + children_ticks(pid, depth) : own;
}

bool lg_server_cpu_s(pid_t pid, double *seconds)
{
    unsigned long long own;
    if (!process_ticks(pid, &own))
        return false;
    long hz = sysconf(_SC_CLK_TCK);
    *seconds = (double)tree_ticks(pid, 0) / (double)(hz > 0 ? hz : 100);
    return true;
}
