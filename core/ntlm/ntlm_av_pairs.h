/* AV_PAIR lists (MS-NLMP §2.2.2.1): the CHALLENGE's TargetInfo and the AV pairs inside an
 * NTLMv2 client challenge. Parsed through the bounded cursor; slices point into the list. */
#ifndef NEGRING_CORE_NTLM_AV_PAIRS_H
#define NEGRING_CORE_NTLM_AV_PAIRS_H

#include "reader.h"
#include "slice.h"
#include "status.h"
#include "writer.h"

enum ng_av_id {
    NG_AV_EOL = 0,
    NG_AV_NB_COMPUTER_NAME = 1,
    NG_AV_NB_DOMAIN_NAME = 2,
    NG_AV_DNS_COMPUTER_NAME = 3,
    NG_AV_DNS_DOMAIN_NAME = 4,
    NG_AV_DNS_TREE_NAME = 5,
    NG_AV_FLAGS = 6,
    NG_AV_TIMESTAMP = 7,
    NG_AV_SINGLE_HOST = 8,
    NG_AV_TARGET_NAME = 9,
    NG_AV_CHANNEL_BINDINGS = 10,
    NG_AV_ID_COUNT
};

/* MsvAvFlags bits (§2.2.2.1). */
#define NG_AV_FLAG_CONSTRAINED   0x1u
#define NG_AV_FLAG_MIC_PRESENT   0x2u
#define NG_AV_FLAG_UNTRUSTED_SPN 0x4u

/* More pairs than this is a hostile list, not a real peer (Windows sends about ten). */
#define NG_AV_MAX_PAIRS 64

struct ng_av_pairs {
    struct ng_slice value[NG_AV_ID_COUNT]; /* the first of each known id */
    bool present[NG_AV_ID_COUNT];
    uint32_t flags;     /* MsvAvFlags, 0 when absent */
    uint64_t timestamp; /* MsvAvTimestamp (FILETIME), 0 when absent */
    size_t count;       /* pairs before MsvAvEOL */
};

/* Parses a list that must end with MsvAvEOL; bytes after it are ignored (the NTLMv2 client
 * challenge pads with zeros). Known ids with a wrong size (flags 4, timestamp 8, channel
 * bindings 16) are NG_ERR_INVALID_TOKEN, as are a missing EOL and over NG_AV_MAX_PAIRS pairs. */
ng_status ng_av_pairs_parse(struct ng_slice list, struct ng_av_pairs *out);

/* Walks a list pair by pair (for copying one): false at MsvAvEOL or on a malformed list
 * (r->failed tells which). */
bool ng_av_pairs_next(struct ng_reader *r, uint16_t *id, struct ng_slice *value);

void ng_av_pair_write(struct ng_writer *w, uint16_t id, struct ng_slice value);
void ng_av_pair_write_eol(struct ng_writer *w);
/* A pair holding a name in UTF-16LE (none when `name` is NULL). NG_ERR_INVALID_PARAM when the
 * name is too long for a pair, or not UTF-8. */
ng_status ng_av_pair_write_name(struct ng_writer *w, uint16_t id, const char *name);

#endif
