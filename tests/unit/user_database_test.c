/* user_database: the account file's format (comments, case-insensitive names, disabled
 * accounts, malformed lines with their number, duplicates), lookups, and the negring-user tool
 * that writes it (password from stdin only, atomic rewrite, comments kept). */
#include <stdlib.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "ntlm_crypto.h"
#include "user_database.h"

static char dir[64], path[128];

static void write_file(const char *text)
{
    FILE *f = fopen(path, "w");
    REQUIRE(f != NULL);
    fputs(text, f);
    fclose(f);
}

static void test_parse_and_lookup(void)
{
    write_file("# accounts\n"
               "\n"
               "EXAMPLE:alice:8846F7EAEE8FB117AD06BDD830B7586C:\n"
               "  EXAMPLE:bob:8846f7eaee8fb117ad06bdd830b7586c:disabled\n"
               "OTHER:carol:31d6cfe0d16ae931b73c59d7e0c089c0:\r\n");
    struct ng_user_db *db = NULL;
    REQUIRE(ng_user_db_load(path, &db, NULL) == NG_OK);
    CHECK_EQ(ng_user_db_count(db), 3);
    CHECK(strcmp(ng_user_db_first_domain(db), "EXAMPLE") == 0);
    CHECK(ng_user_db_serves(db, "example"));
    CHECK(ng_user_db_serves(db, "OTHER"));
    CHECK(!ng_user_db_serves(db, "EXAMPL"));
    CHECK(!ng_user_db_serves(db, "ELSEWHERE"));
    const struct ng_user_entry *e = ng_user_db_find(db, "Example", "ALICE");
    REQUIRE(e != NULL);
    CHECK(strcmp(e->user, "alice") == 0 && !e->disabled);
    uint8_t want[16];
    REQUIRE(ng_nt_hash("password", 8, want) == NG_OK); /* 8846f7ea... is MD4("password") */
    CHECK_MEM(e->nt_hash, want, 16);
    e = ng_user_db_find(db, "EXAMPLE", "bob");
    CHECK(e != NULL && e->disabled);
    CHECK(ng_user_db_find(db, "OTHER", "alice") == NULL);
    CHECK(ng_user_db_find(db, "EXAMPLE", "mallory") == NULL);
    ng_user_db_free(db);
}

/* Two keyed HMAC states hold the same key when they MAC the same bytes alike. */
static bool same_key(const struct ng_hmac_md5 *a, const struct ng_hmac_md5 *b)
{
    uint8_t x[16], y[16];
    struct ng_hmac_md5 ha = *a, hb = *b;
    ng_hmac_md5_update(&ha, ng_slice_of("probe", 5));
    ng_hmac_md5_update(&hb, ng_slice_of("probe", 5));
    ng_hmac_md5_final(&ha, x);
    ng_hmac_md5_final(&hb, y);
    return memcmp(x, y, 16) == 0;
}

/* The precomputed ResponseKeyNT is NTOWFv2 over the domain's first spelling in the file; an
 * unknown user gets the disabled stand-in, whose key no password gives. */
static void test_lookup_precomputes_response_keys(void)
{
    write_file("EXAMPLE:alice:8846F7EAEE8FB117AD06BDD830B7586C:\n"
               "example:dave:8846F7EAEE8FB117AD06BDD830B7586C:\n"
               "OTHER:carol:31d6cfe0d16ae931b73c59d7e0c089c0:\n");
    struct ng_user_db *db = NULL;
    REQUIRE(ng_user_db_load(path, &db, NULL) == NG_OK);
    struct ng_user_match m;
    struct ng_hmac_md5 want;
    ng_user_db_lookup(db, "Example", "DAVE", &m);
    REQUIRE(m.entry != NULL && m.checked == m.entry && m.response_key != NULL);
    CHECK(strcmp(m.entry->user, "dave") == 0);
    CHECK(strcmp(m.domain_spelling, "EXAMPLE") == 0); /* alice's line comes first */
    REQUIRE(ng_ntowfv2_keyed(m.entry->nt_hash, "DAVE", "EXAMPLE", &want) == NG_OK);
    CHECK(same_key(m.response_key, &want));
    REQUIRE(ng_ntowfv2_keyed(m.entry->nt_hash, "dave", "example", &want) == NG_OK);
    CHECK(!same_key(m.response_key, &want)); /* the domain's spelling counts */
    ng_user_db_lookup(db, "other", "carol", &m);
    REQUIRE(m.response_key != NULL);
    CHECK(strcmp(m.domain_spelling, "OTHER") == 0);
    REQUIRE(ng_ntowfv2_keyed(m.entry->nt_hash, "carol", "OTHER", &want) == NG_OK);
    CHECK(same_key(m.response_key, &want));

    ng_user_db_lookup(db, "EXAMPLE", "mallory", &m);
    CHECK(m.entry == NULL && m.domain_spelling != NULL);
    REQUIRE(m.checked != NULL && m.response_key != NULL);
    CHECK(m.checked->disabled);
    uint8_t zeros[16] = {0};
    ng_hmac_md5_init(&want, zeros);
    CHECK(!same_key(m.response_key, &want));
    ng_user_db_lookup(db, "ELSEWHERE", "alice", &m);
    CHECK(m.entry == NULL && m.checked == NULL && m.domain_spelling == NULL &&
          m.response_key == NULL);
    ng_user_db_lookup(db, "OTHER", "zed", &m); /* after the last entry */
    CHECK(m.entry == NULL && m.domain_spelling != NULL && m.checked->disabled);
    ng_user_db_free(db);
}

static void expect_bad(const char *text, unsigned line)
{
    write_file(text);
    struct ng_user_db *db = (struct ng_user_db *)1;
    unsigned bad = 0;
    CHECK_EQ(ng_user_db_load(path, &db, &bad), NG_ERR_INVALID_PARAM);
    CHECK(db == NULL);
    CHECK_EQ(bad, line);
}

/* Many accounts over a few domains (the look-up is an index, not a scan): each found in any
 * ASCII case as exactly itself, its domain served; names one letter off are not accounts. */
static void test_every_account_of_a_large_file_is_found(void)
{
    enum { DOMAINS = 3, USERS = 1500 };
    static const char *const domains[DOMAINS] = {"EXAMPLE", "Other", "third"};
    FILE *f = fopen(path, "w");
    REQUIRE(f != NULL);
    for (int u = 0; u < USERS; u++)
        fprintf(f, "%s:User%04d:8846F7EAEE8FB117AD06BDD830B7586C:%s\n", domains[u % DOMAINS], u,
                u % 7 == 0 ? "disabled" : "");
    fclose(f);
    struct ng_user_db *db = NULL;
    REQUIRE(ng_user_db_load(path, &db, NULL) == NG_OK);
    CHECK_EQ(ng_user_db_count(db), USERS);
    int found = 0, exact = 0, strangers = 0;
    for (int u = 0; u < USERS; u++) {
        char user[32], stranger[32], domain[16];
        snprintf(user, sizeof(user), u % 2 ? "USER%04d" : "user%04d", u);
        snprintf(stranger, sizeof(stranger), "user%04dx", u);
        snprintf(domain, sizeof(domain), "%s", domains[u % DOMAINS]);
        for (char *p = domain; u % 3 == 0 && *p != '\0'; p++)
            *p = (char)(*p ^ 0x20); /* the other case of every letter */
        struct ng_user_match m;
        ng_user_db_lookup(db, domain, user, &m);
        found += m.entry != NULL;
        if (m.entry != NULL && strcasecmp(m.entry->user, user) == 0 &&
            strcmp(m.domain_spelling, domains[u % DOMAINS]) == 0 &&
            m.entry->disabled == (u % 7 == 0) && m.response_key != NULL)
            exact++;
        ng_user_db_lookup(db, domain, stranger, &m);
        strangers += m.entry == NULL && m.checked != NULL && m.checked->disabled;
    }
    CHECK_EQ(found, USERS);
    CHECK_EQ(exact, USERS);
    CHECK_EQ(strangers, USERS);
    CHECK(!ng_user_db_serves(db, "EXAMPLEX") && !ng_user_db_serves(db, "thir"));
    CHECK(ng_user_db_find(db, "other", "user0000") == NULL); /* user0000 is EXAMPLE's */
    ng_user_db_free(db);
}

static void test_malformed_files_are_refused_with_the_line(void)
{
    expect_bad("EXAMPLE:alice:8846F7EAEE8FB117AD06BDD830B7586:\n", 1);        /* 31 digits */
    expect_bad("#\nEXAMPLE:alice:8846F7EAEE8FB117AD06BDD830B7586G:\n", 2);    /* not hex */
    expect_bad("EXAMPLE:alice:8846F7EAEE8FB117AD06BDD830B7586C\n", 1);        /* no flags */
    expect_bad("EXAMPLE:alice:8846F7EAEE8FB117AD06BDD830B7586C:locked\n", 1); /* bad flag */
    expect_bad("EXAMPLE::8846F7EAEE8FB117AD06BDD830B7586C:\n", 1);            /* no user */
    expect_bad("EXAMPLE:al\tice:8846F7EAEE8FB117AD06BDD830B7586C:\n", 1);     /* control */
    expect_bad("EXAMPLE:a:8846F7EAEE8FB117AD06BDD830B7586C::\n", 1);          /* extra : */
    /* The same account twice (ignoring case) would make lookups ambiguous. */
    write_file("EXAMPLE:alice:8846F7EAEE8FB117AD06BDD830B7586C:\n"
               "example:ALICE:31d6cfe0d16ae931b73c59d7e0c089c0:\n");
    struct ng_user_db *db = NULL;
    CHECK_EQ(ng_user_db_load(path, &db, NULL), NG_ERR_INVALID_PARAM);
    /* A line longer than the limit. */
    char big[2 * NG_USER_DB_MAX_LINE];
    memset(big, 'a', sizeof(big) - 2);
    big[sizeof(big) - 2] = '\n';
    big[sizeof(big) - 1] = '\0';
    expect_bad(big, 1);
    CHECK_EQ(ng_user_db_load("/nonexistent/users", &db, NULL), NG_ERR_NO_CREDENTIALS);
    CHECK_EQ(ng_user_db_load(NULL, &db, NULL), NG_ERR_NO_CREDENTIALS);
}

/* Runs the tool with `input` on stdin; returns its exit status, output in `out`. */
static int tool(const char *args, const char *input, char *out, size_t cap)
{
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "printf '%s' | %s %s > %s/out 2>/dev/null", input, NG_USER_TOOL,
             args, dir);
    int rc = system(cmd);
    char out_path[128];
    snprintf(out_path, sizeof(out_path), "%s/out", dir);
    FILE *f = fopen(out_path, "r");
    size_t n = f ? fread(out, 1, cap - 1, f) : 0;
    out[n] = '\0';
    if (f)
        fclose(f);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static void test_negring_user_tool(void)
{
    char args[256], out[1024];
    unlink(path);
    snprintf(args, sizeof(args), "add --db %s 'EXAMPLE\\alice'", path);
    CHECK_EQ(tool(args, "Secret1\\n", out, sizeof(out)), 0);
    snprintf(args, sizeof(args), "add --db %s 'EXAMPLE\\bob'", path);
    CHECK_EQ(tool(args, "Bobpass1\\n", out, sizeof(out)), 0);
    struct stat st;
    REQUIRE(stat(path, &st) == 0);
    CHECK_EQ(st.st_mode & 0777, 0600);

    struct ng_user_db *db = NULL;
    REQUIRE(ng_user_db_load(path, &db, NULL) == NG_OK);
    uint8_t want[16];
    REQUIRE(ng_nt_hash("Secret1", 7, want) == NG_OK);
    const struct ng_user_entry *e = ng_user_db_find(db, "EXAMPLE", "alice");
    CHECK(e != NULL && memcmp(e->nt_hash, want, 16) == 0);
    ng_user_db_free(db);

    /* Disable, list, enable, change the password, remove. */
    snprintf(args, sizeof(args), "disable --db %s 'example\\ALICE'", path);
    CHECK_EQ(tool(args, "", out, sizeof(out)), 0);
    snprintf(args, sizeof(args), "list --db %s", path);
    CHECK_EQ(tool(args, "", out, sizeof(out)), 0);
    CHECK(strcmp(out, "EXAMPLE\\alice (disabled)\nEXAMPLE\\bob\n") == 0);
    snprintf(args, sizeof(args), "enable --db %s 'EXAMPLE\\alice'", path);
    CHECK_EQ(tool(args, "", out, sizeof(out)), 0);
    snprintf(args, sizeof(args), "add --db %s 'EXAMPLE\\alice'", path);
    CHECK_EQ(tool(args, "Secret2\\n", out, sizeof(out)), 0);
    snprintf(args, sizeof(args), "remove --db %s 'EXAMPLE\\bob'", path);
    CHECK_EQ(tool(args, "", out, sizeof(out)), 0);
    REQUIRE(ng_user_db_load(path, &db, NULL) == NG_OK);
    REQUIRE(ng_nt_hash("Secret2", 7, want) == NG_OK);
    e = ng_user_db_find(db, "EXAMPLE", "alice");
    CHECK(e != NULL && !e->disabled && memcmp(e->nt_hash, want, 16) == 0);
    CHECK_EQ(ng_user_db_count(db), 1);
    ng_user_db_free(db);

    /* Refusals: unknown account, a name without a domain, a password option, no such verb. */
    snprintf(args, sizeof(args), "disable --db %s 'EXAMPLE\\nobody'", path);
    CHECK_EQ(tool(args, "", out, sizeof(out)), 1);
    snprintf(args, sizeof(args), "add --db %s alice", path);
    CHECK_EQ(tool(args, "x\\n", out, sizeof(out)), 2);
    snprintf(args, sizeof(args), "add --db %s 'EXAMPLE\\a' --password=x", path);
    CHECK_EQ(tool(args, "x\\n", out, sizeof(out)), 2);
    snprintf(args, sizeof(args), "purge --db %s", path);
    CHECK_EQ(tool(args, "", out, sizeof(out)), 2);
    /* Comments survive a rewrite. */
    FILE *f = fopen(path, "a");
    REQUIRE(f != NULL);
    fputs("# kept\n", f);
    fclose(f);
    snprintf(args, sizeof(args), "disable --db %s 'EXAMPLE\\alice'", path);
    CHECK_EQ(tool(args, "", out, sizeof(out)), 0);
    f = fopen(path, "r");
    REQUIRE(f != NULL);
    char all[1024];
    size_t n = fread(all, 1, sizeof(all) - 1, f);
    all[n] = '\0';
    fclose(f);
    CHECK(strstr(all, "# kept\n") != NULL && strstr(all, ":disabled\n") != NULL);
}

int main(void)
{
    snprintf(dir, sizeof(dir), "/tmp/user-db-XXXXXX");
    REQUIRE(mkdtemp(dir) != NULL);
    snprintf(path, sizeof(path), "%s/users", dir);
    RUN(test_parse_and_lookup);
    RUN(test_lookup_precomputes_response_keys);
    RUN(test_every_account_of_a_large_file_is_found);
    RUN(test_malformed_files_are_refused_with_the_line);
    RUN(test_negring_user_tool);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return check_report();
}
