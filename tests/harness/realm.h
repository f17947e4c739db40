/* Throwaway MIT Kerberos realm for tests: a real krb5kdc on a free 127.0.0.1 port, its database,
 * keytabs and ccaches all in one temporary directory (see scripts/realm.sh). Each test starts
 * its own realm, so tests run alone and in parallel.
 *
 * Users:    alice@REALM (password alice-Pass-1, forwardable TGT in `ccache`), bob@REALM
 *           (password bob-Pass-2).
 * Services: HTTP/localhost@REALM and host/localhost@REALM in `keytab`,
 *           HTTP/other.localhost@REALM in `other_keytab`. Keytab kvnos match the KDC. */
#ifndef NEGRING_TESTS_HARNESS_REALM_H
#define NEGRING_TESTS_HARNESS_REALM_H

struct ng_test_realm {
    char dir[256];          /* mkdtemp'd under $TMPDIR or /tmp */
    char realm[64];         /* NEGRING.TEST */
    char krb5_config[320];  /* DIR/krb5.conf */
    char keytab[320];       /* FILE:DIR/service.keytab */
    char other_keytab[320]; /* FILE:DIR/other.keytab */
    char ccache[320];       /* FILE:DIR/alice.ccache */
    char user[128];         /* alice@NEGRING.TEST */
    char password[64];
    char service[128]; /* HTTP/localhost@NEGRING.TEST */
    int kdc_port;
};

/* Starts a fresh realm and exports its variables (KRB5_CONFIG, KRB5_KDC_PROFILE, KRB5CCNAME,
 * KRB5_KTNAME, KRB5RCACHEDIR, NEGRING_*) into this process's environment with setenv, so libkrb5
 * in this process uses it; registers an atexit() stop (and the script's watchdog stops the KDC
 * should this process die without running atexit handlers). Returns 0 or -1 with a message on
 * stderr. Call before creating any krb5_context. */
int ng_test_realm_start(struct ng_test_realm *r);
/* The same with another realm name (NULL: NEGRING.TEST), e.g. for a second, untrusted realm. */
int ng_test_realm_start_named(struct ng_test_realm *r, const char *realm_name);
/* Kills the KDC and removes DIR. Idempotent. */
void ng_test_realm_stop(struct ng_test_realm *r);
/* Runs a kadmin.local command (printf-style) against the realm; 0 on success. The command is
 * passed as one argument, no shell is involved. */
int ng_test_realm_kadmin(struct ng_test_realm *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* kinit principal with password into ccache_name (e.g. "FILE:/path"); extra_flags like "-f" or
 * "-l 5m" (split on blanks) or NULL. 0 on success. */
int ng_test_realm_kinit(struct ng_test_realm *r, const char *principal, const char *password,
                        const char *ccache_name, const char *extra_flags);

#endif
