/* A replay table (replay_table.h) in a file that unrelated processes map together: Squid
 * starts each helper child itself, so they inherit no memory, only a path. The file is made
 * whole under a temporary name and linked into place, so no process ever maps a half-made
 * table; an existing file is used as it is (its size, its key), if it is this user's own. */
#ifndef NEGRING_EMBED_REPLAY_FILE_H
#define NEGRING_EMBED_REPLAY_FILE_H

#include <stddef.h>

#include "replay_table.h"

/* Opens (or creates, with 2^slots_log2 slots) the table at `path` and attaches `t` to it. The
 * mapping lasts as long as the process. Refuses a symbolic link, and a file another user owns
 * or others may read or write (they could fill it, or read which logins happened). 0, or -1
 * with a sentence in err. */
int ne_replay_file_open(struct ne_replay_table *t, const char *path, unsigned slots_log2, char *err,
                        size_t errlen);

#endif
