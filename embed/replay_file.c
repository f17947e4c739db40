/* The replay table in a shared file (see replay_file.h). */
#define _GNU_SOURCE /* mkostemp */
#include "replay_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* Makes a formatted table under a temporary name beside `path` and links it to `path` (which
 * fails harmlessly if another process got there first). */
static int create_table(const char *path, unsigned slots_log2, char *err, size_t errlen)
{
    size_t len = ne_replay_region_size(slots_log2);
    char tmp[4096];
    if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp)) {
        snprintf(err, errlen, "replay table path too long");
        return -1;
    }
    int fd = mkostemp(tmp, O_CLOEXEC); /* mode 0600 */
    if (fd < 0) {
        snprintf(err, errlen, "cannot create %s: %s", tmp, strerror(errno));
        return -1;
    }
    int rc = -1;
    void *map = MAP_FAILED;
    if (ftruncate(fd, (off_t)len) != 0 ||
        (map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)) == MAP_FAILED)
        snprintf(err, errlen, "cannot size %s: %s", tmp, strerror(errno));
    else if (ne_replay_region_format(map, len) != 0)
        snprintf(err, errlen, "cannot format %s (no random bytes?)", tmp);
    else if (link(tmp, path) != 0 && errno != EEXIST)
        snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
    else
        rc = 0;
    if (map != MAP_FAILED)
        munmap(map, len);
    unlink(tmp);
    close(fd);
    return rc;
}

static int open_table(const char *path, unsigned slots_log2, char *err, size_t errlen)
{
    int fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) {
        if (create_table(path, slots_log2, err, errlen) != 0)
            return -1;
        fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
    }
    if (fd < 0)
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
    return fd;
}

int ne_replay_file_open(struct ne_replay_table *t, const char *path, unsigned slots_log2, char *err,
                        size_t errlen)
{
    int fd = open_table(path, slots_log2, err, errlen);
    if (fd < 0)
        return -1;
    struct stat st;
    void *map = MAP_FAILED;
    int rc = -1;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
        (st.st_mode & 077) != 0)
        snprintf(err, errlen, "%s is not a private file of this user (mode 0600 expected)", path);
    else if ((map = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)) ==
             MAP_FAILED)
        snprintf(err, errlen, "cannot map %s: %s", path, strerror(errno));
    else if (ne_replay_table_attach(t, map, (size_t)st.st_size) != 0)
        snprintf(err, errlen, "%s is not a negring replay table", path);
    else
        rc = 0;
    if (rc != 0 && map != MAP_FAILED)
        munmap(map, (size_t)st.st_size);
    close(fd);
    return rc;
}
