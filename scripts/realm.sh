#!/usr/bin/env bash
# Throwaway MIT Kerberos realm on loopback, for negring's tests and demo.
#
#   scripts/realm.sh start DIR [REALM]   create realm + KDC in DIR (default realm NEGRING.TEST);
#                                        writes DIR/env (export lines: `. DIR/env` to use the
#                                        realm) and prints that file's path on stdout
#   scripts/realm.sh stop DIR            kill the KDC and remove DIR
#   scripts/realm.sh kadmin DIR 'cmd'    run one kadmin.local command against the realm
#   scripts/realm.sh kinit DIR PRINC CCACHE [KINIT_FLAGS...]
#                                        kinit PRINC into CCACHE, password read from stdin
#   scripts/realm.sh users DIR N [FORMAT [PASSWORD]]
#                                        a population of N users for load tests: FORMAT with %u
#                                        for 1..N (default user%u), all with PASSWORD (default
#                                        user-Pass-5); only the missing ones are added
#
# Everything lives in DIR: krb5.conf, kdc.conf, database, stash, logs, keytabs, ccaches, the
# replay cache and the KDC pid file. Nothing outside DIR is read or written (/etc/krb5.conf and
# /var/lib/krb5kdc are never consulted because KRB5_CONFIG and KRB5_KDC_PROFILE point into DIR).
# The KDC runs as the invoking user on a free 127.0.0.1 TCP+UDP port, so any number of realms
# can run side by side.
#
# NEGRING_REALM_RC4=1 when starting also permits arcfour-hmac (RC4 sessions, as AD issues them).
# If NEGRING_REALM_WATCH_PID is set when starting, a small watchdog stops the realm once that
# process is gone (the C test harness sets it to the test's pid, so a crashed test leaves no KDC).
set -u
set -o pipefail

PATH="${PATH:-/usr/bin:/bin}:/usr/sbin:/sbin:/usr/local/sbin"
export PATH
umask 077

USER_PASSWORD='alice-Pass-1'
BOB_PASSWORD='bob-Pass-2'
POPULATION_FORMAT='user%u'
POPULATION_PASSWORD='user-Pass-5'
POPULATION_MAX=1000000
MARKER='.negring-realm'
ENCTYPES_PERMITTED='aes256-cts-hmac-sha1-96 aes128-cts-hmac-sha1-96 aes256-cts-hmac-sha384-192 aes128-cts-hmac-sha256-128'
ENCTYPES_SUPPORTED='aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal aes256-cts-hmac-sha384-192:normal aes128-cts-hmac-sha256-128:normal'
# NEGRING_REALM_RC4=1 at start: arcfour-hmac is permitted too, last, as in an Active Directory
# domain (a service principal made with only an RC4 key then gets RC4 tickets and sessions).
if [[ ${NEGRING_REALM_RC4:-} == 1 ]]; then
    ENCTYPES_PERMITTED="$ENCTYPES_PERMITTED arcfour-hmac"
    ENCTYPES_SUPPORTED="$ENCTYPES_SUPPORTED arcfour-hmac:normal"
    RC4_SETTING='allow_rc4 = true'
fi

die() {
    echo "realm.sh: $*" >&2
    exit 1
}

usage() {
    cat >&2 <<'EOF'
usage: realm.sh start DIR [REALM]     prints the path of DIR/env; '. DIR/env' to use it
       realm.sh stop DIR
       realm.sh kadmin DIR 'kadmin.local command'
       realm.sh kinit DIR PRINCIPAL CCACHE [KINIT_FLAGS...]   (password on stdin)
       realm.sh users DIR N [FORMAT [PASSWORD]]   (FORMAT has %u for 1..N; default user%u)
EOF
    exit 2
}

need() {
    local tool
    for tool in "$@"; do
        command -v "$tool" >/dev/null 2>&1 ||
            die "$tool not found (install krb5-kdc krb5-admin-server krb5-user)"
    done
}

# Quote a value for a `export VAR=value` line: bare if it is made of safe characters only,
# otherwise single-quoted with embedded quotes as '\''.
shquote() {
    if [[ $1 =~ ^[A-Za-z0-9_./:@%+=,-]+$ ]]; then
        printf '%s' "$1"
    else
        printf "'%s'" "${1//\'/\'\\\'\'}"
    fi
}

abspath() {
    (cd "$1" 2>/dev/null && pwd -P)
}

# Isolate every Kerberos tool we run from the caller's environment and the host's config.
realm_env() {
    local dir=$1
    unset KRB5_CLIENT_KTNAME KRB5_TRACE KPROP_PORT
    export KRB5_CONFIG="$dir/krb5.conf"
    export KRB5_KDC_PROFILE="$dir/kdc.conf"
    export KRB5CCNAME="FILE:$dir/alice.ccache"
    export KRB5_KTNAME="FILE:$dir/service.keytab"
    export KRB5RCACHEDIR="$dir"
}

# Prints a port that is currently free for both TCP and UDP on 127.0.0.1, below the kernel's
# ephemeral range where possible (so client sockets cannot take it later).
pick_port() {
    local lo=20000 hi=60000 eph_lo eph_hi
    if read -r eph_lo eph_hi </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null; then
        if ((eph_lo > lo + 1000)); then
            hi=$((eph_lo - 1))
        elif ((eph_hi < hi - 1000)); then
            lo=$((eph_hi + 1))
        fi
    fi
    # Cheap check against the sockets the kernel lists (local ADDR:PORT in hex, column 2). Only
    # a hint: the KDC launch loop retries on another port if the bind still fails.
    local port hex try
    if [[ -r /proc/net/tcp && -r /proc/net/udp ]]; then
        for ((try = 0; try < 200; try++)); do
            port=$((lo + (RANDOM * 32768 + RANDOM) % (hi - lo + 1)))
            printf -v hex ':%04X' "$port"
            if ! awk -v h="$hex" 'substr($2, length($2) - 4) == h { f = 1 } END { exit !f }' \
                /proc/net/tcp /proc/net/udp /proc/net/tcp6 /proc/net/udp6 2>/dev/null; then
                echo "$port"
                return 0
            fi
        done
    fi
    # No /proc: ask python3 to bind TCP and UDP (slower to start, e.g. through pyenv shims).
    if command -v python3 >/dev/null 2>&1; then
        python3 - "$lo" "$hi" <<'EOF' && return 0
import random, socket, sys
lo, hi = int(sys.argv[1]), int(sys.argv[2])
for _ in range(200):
    port = random.randint(lo, hi)
    socks = []
    try:
        for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
            s = socket.socket(socket.AF_INET, kind)
            socks.append(s)
            s.bind(("127.0.0.1", port))
    except OSError:
        continue
    finally:
        for s in socks:
            s.close()
    print(port)
    sys.exit(0)
sys.exit(1)
EOF
    fi
    return 1
}

show_logs() {
    local dir=$1 f
    for f in "$dir/setup.log" "$dir/kadmin.log" "$dir/kdc.stderr" "$dir/kdc.log"; do
        if [[ -s $f ]]; then
            echo "---- tail of $f ----" >&2
            tail -n 25 "$f" >&2
        fi
    done
}

fail() {
    echo "realm.sh: $*" >&2
    show_logs "$DIR"
    stop_kdc "$DIR"
    exit 1
}

write_krb5_conf() {
    local dir=$1 realm=$2 port=$3
    cat >"$dir/krb5.conf" <<EOF
# Generated by negring scripts/realm.sh for a throwaway test realm.
[libdefaults]
    default_realm = $realm
    dns_lookup_kdc = false
    dns_lookup_realm = false
    dns_canonicalize_hostname = false
    rdns = false
    udp_preference_limit = 1
    forwardable = true
    ticket_lifetime = 10h
    renew_lifetime = 7d
    permitted_enctypes = $ENCTYPES_PERMITTED
    default_tkt_enctypes = $ENCTYPES_PERMITTED
    default_tgs_enctypes = $ENCTYPES_PERMITTED
    default_ccache_name = FILE:$dir/alice.ccache
    default_keytab_name = FILE:$dir/service.keytab
    kdc_timesync = 1
    ${RC4_SETTING:-}

[realms]
    $realm = {
        kdc = 127.0.0.1:$port
    }

[domain_realm]
    localhost = $realm
    .localhost = $realm
    .localdomain = $realm
    localhost.localdomain = $realm
EOF
}

write_kdc_conf() {
    local dir=$1 realm=$2 port=$3
    cat >"$dir/kdc.conf" <<EOF
# Generated by negring scripts/realm.sh for a throwaway test realm.
[kdcdefaults]
    kdc_listen = 127.0.0.1:$port
    kdc_tcp_listen = 127.0.0.1:$port

[realms]
    $realm = {
        database_name = $dir/principal
        key_stash_file = $dir/stash
        acl_file = $dir/kadm5.acl
        max_life = 10h 0m 0s
        max_renewable_life = 7d 0h 0m 0s
        master_key_type = aes256-cts-hmac-sha1-96
        supported_enctypes = $ENCTYPES_SUPPORTED
        kdc_listen = 127.0.0.1:$port
        kdc_tcp_listen = 127.0.0.1:$port
        default_principal_flags = +preauth
    }

# SPAKE needs spake_preauth_groups and Windows never offers it; encrypted timestamp it is.
[plugins]
    kdcpreauth = {
        disable = spake
    }

# Only here, not also in krb5.conf: the KDC merges both profiles and would log every line twice.
[logging]
    kdc = FILE:$dir/kdc.log
    admin_server = FILE:$dir/kadmin.log
    default = FILE:$dir/krb5lib.log
EOF
}

write_env() {
    local dir=$1 realm=$2 port=$3
    {
        echo "export KRB5_CONFIG=$(shquote "$dir/krb5.conf")"
        echo "export KRB5_KDC_PROFILE=$(shquote "$dir/kdc.conf")"
        echo "export KRB5CCNAME=$(shquote "FILE:$dir/alice.ccache")"
        echo "export KRB5_KTNAME=$(shquote "FILE:$dir/service.keytab")"
        echo "export KRB5RCACHEDIR=$(shquote "$dir")"
        echo "export NEGRING_REALM_DIR=$(shquote "$dir")"
        echo "export NEGRING_REALM=$(shquote "$realm")"
        echo "export NEGRING_KDC_PORT=$port"
        echo "export NEGRING_USER=$(shquote "alice@$realm")"
        echo "export NEGRING_SERVICE=$(shquote "HTTP/localhost@$realm")"
        echo "export NEGRING_USER_PASSWORD=$(shquote "$USER_PASSWORD")"
        echo "export NEGRING_OTHER_KEYTAB=$(shquote "FILE:$dir/other.keytab")"
    } >"$dir/env.tmp" && mv -f "$dir/env.tmp" "$dir/env"
}

# Is pid running? Gotcha: the KDC and watchdog outlive this script, get reparented and, when
# they exit, may stay zombies for a while (or forever under a PID 1 that does not reap), and
# kill -0 succeeds on a zombie. So look at the process state too.
alive() {
    local stat
    kill -0 "$1" 2>/dev/null || return 1
    if read -r stat <"/proc/$1/stat" 2>/dev/null; then
        stat=${stat##*) } # the state follows the parenthesised command name
        [[ ${stat:0:1} != Z && ${stat:0:1} != X ]]
    fi
}

# Is pid one of DIR's processes? Guards against pid reuse: the KDC and the watchdog both carry
# KRB5_KDC_PROFILE=DIR/kdc.conf in their environment (another realm's KDC does not).
ours() {
    local pid=$1 dir=$2
    if [[ -r /proc/$pid/environ ]]; then
        tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -xF "KRB5_KDC_PROFILE=$dir/kdc.conf" >/dev/null
    else
        return 0 # no /proc (or not ours to read): trust the pid file
    fi
}

# Kill the KDC (and watchdog) of DIR, waiting briefly for it to exit.
stop_kdc() {
    local dir=$1 pidfile pid i
    for pidfile in "$dir/watchdog.pid" "$dir/kdc.pid"; do
        [[ -f $pidfile ]] || continue
        read -r pid <"$pidfile" 2>/dev/null || pid=
        rm -f "$pidfile"
        if [[ ! $pid =~ ^[0-9]+$ ]] || ! alive "$pid" || ! ours "$pid" "$dir"; then
            continue
        fi
        kill -TERM "$pid" 2>/dev/null || continue
        for ((i = 0; i < 200; i++)); do
            alive "$pid" || break
            sleep 0.01
        done
        alive "$pid" && kill -KILL "$pid" 2>/dev/null
    done
    return 0
}

# Start krb5kdc in the background, detached from our stdio; sets KDC_PID.
launch_kdc() {
    local dir=$1 realm=$2
    rm -f "$dir/kdc.pid"
    # -n: stay in the foreground (we background it ourselves and own its pid).
    krb5kdc -n -r "$realm" </dev/null >"$dir/kdc.stderr" 2>&1 &
    KDC_PID=$!
    echo "$KDC_PID" >"$dir/kdc.pid"
}

# Wait until the KDC answers by obtaining alice's forwardable TGT. 0 = up, 1 = KDC died
# (e.g. lost a port race), 2 = timed out. $2 is the size of kdc.log before the launch: kinit is
# only tried once this KDC logged "commencing operation", so it never talks to whatever else
# might be listening on the port.
wait_kdc() {
    local dir=$1 realm=$2 logoff=$3 i up=0
    for ((i = 0; i < 500; i++)); do
        if ((!up)) && tail -c +$((logoff + 1)) "$dir/kdc.log" 2>/dev/null |
            grep -q 'commencing operation'; then
            up=1
        fi
        if ((up)) && $TIMEOUT kinit -f -c "FILE:$dir/alice.ccache" "alice@$realm" \
            <<<"$USER_PASSWORD" >>"$dir/setup.log" 2>&1; then
            return 0
        fi
        alive "$KDC_PID" || return 1
        sleep 0.01
    done
    return 2
}

start_watchdog() {
    local dir=$1 watch=$2 kdc=$3 self
    self=$(command -v "$0" 2>/dev/null || echo "$0")
    [[ $self == /* ]] || self="$PWD/$self"
    (
        trap '' HUP INT
        while alive "$watch" && alive "$kdc"; do
            sleep 0.5
        done
        if alive "$kdc"; then
            rm -f "$dir/watchdog.pid"
            exec "$BASH" "$self" stop "$dir"
        fi
    ) </dev/null >/dev/null 2>&1 &
    echo "$!" >"$dir/watchdog.pid"
}

cmd_start() {
    [[ $# -ge 1 && $# -le 2 ]] || usage
    local realm=${2:-NEGRING.TEST} port attempt rc
    [[ $realm =~ ^[A-Za-z0-9._-]+$ ]] || die "bad realm name: $realm"
    need krb5kdc kdb5_util kadmin.local kinit

    mkdir -p -- "$1" || die "cannot create $1"
    DIR=$(abspath "$1") || die "cannot resolve $1"
    [[ -e $DIR/principal || -e $DIR/kdc.pid ]] && die "a realm already exists in $DIR"
    : >"$DIR/$MARKER"
    : >"$DIR/setup.log"
    : >"$DIR/kadm5.acl"
    realm_env "$DIR"

    if [[ -n ${NEGRING_REALM_PORT:-} ]]; then
        [[ $NEGRING_REALM_PORT =~ ^[0-9]+$ ]] || fail "bad NEGRING_REALM_PORT"
        port=$NEGRING_REALM_PORT # first attempt only; a busy port still falls back to a free one
    else
        port=$(pick_port) || fail "no free port found"
    fi
    write_krb5_conf "$DIR" "$realm" "$port"
    write_kdc_conf "$DIR" "$realm" "$port"

    local master
    master=$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n') || fail "cannot read /dev/urandom"
    kdb5_util -r "$realm" create -s -W -P "$master" >>"$DIR/setup.log" 2>&1 ||
        fail "kdb5_util create failed"
    unset master

    # One kadmin.local process for all setup commands (each start costs a database open).
    # kadmin.local reading from stdin does not report per-command failures in its exit
    # status, so the results are verified below.
    kadmin.local -r "$realm" >>"$DIR/setup.log" 2>&1 <<EOF || fail "kadmin.local setup failed"
addprinc -pw $USER_PASSWORD alice@$realm
addprinc -pw $BOB_PASSWORD bob@$realm
addprinc -randkey HTTP/localhost@$realm
addprinc -randkey host/localhost@$realm
addprinc -randkey HTTP/other.localhost@$realm
ktadd -k $DIR/service.keytab -norandkey HTTP/localhost@$realm host/localhost@$realm
ktadd -k $DIR/other.keytab -norandkey HTTP/other.localhost@$realm
EOF
    local p
    for p in alice bob HTTP/localhost host/localhost HTTP/other.localhost; do
        grep -qF "Principal \"$p@$realm\" created." "$DIR/setup.log" ||
            fail "kadmin.local could not create $p@$realm"
    done
    for p in "HTTP/localhost@$realm" "host/localhost@$realm"; do
        grep -qF "$p" <(klist -k "$DIR/service.keytab" 2>/dev/null) ||
            fail "$p missing from $DIR/service.keytab"
    done
    grep -qF "HTTP/other.localhost@$realm" <(klist -k "$DIR/other.keytab" 2>/dev/null) ||
        fail "HTTP/other.localhost@$realm missing from $DIR/other.keytab"

    # Start the KDC; if it dies (another process took the port between probe and bind), move
    # to a fresh port and try again.
    TIMEOUT=
    command -v timeout >/dev/null 2>&1 && TIMEOUT='timeout 10'
    local logoff
    for ((attempt = 1; ; attempt++)); do
        logoff=$(stat -c %s "$DIR/kdc.log" 2>/dev/null || echo 0)
        launch_kdc "$DIR" "$realm"
        wait_kdc "$DIR" "$realm" "$logoff"
        rc=$?
        [[ $rc -eq 0 ]] && break
        stop_kdc "$DIR"
        [[ $rc -eq 2 ]] && fail "KDC on 127.0.0.1:$port did not answer"
        [[ $attempt -lt 5 ]] || fail "krb5kdc exited $attempt times (last port $port)"
        port=$(pick_port) || fail "no free port found"
        write_krb5_conf "$DIR" "$realm" "$port"
        write_kdc_conf "$DIR" "$realm" "$port"
    done

    write_env "$DIR" "$realm" "$port" || fail "cannot write $DIR/env"
    if [[ -n ${NEGRING_REALM_WATCH_PID:-} ]]; then
        [[ $NEGRING_REALM_WATCH_PID =~ ^[0-9]+$ ]] || fail "bad NEGRING_REALM_WATCH_PID"
        start_watchdog "$DIR" "$NEGRING_REALM_WATCH_PID" "$KDC_PID"
    fi
    echo "$DIR/env"
}

realm_of() {
    sed -n 's/^export NEGRING_REALM=//p' "$1/env" | tr -d "'"
}

open_realm() {
    [[ -d $1 && -f $1/$MARKER && -f $1/env ]] || die "no realm in $1"
    DIR=$(abspath "$1") || die "cannot resolve $1"
    REALM=$(realm_of "$DIR")
    [[ -n $REALM ]] || die "no realm name in $DIR/env"
    realm_env "$DIR"
}

cmd_stop() {
    [[ $# -eq 1 ]] || usage
    [[ -d $1 ]] || return 0
    local dir
    dir=$(abspath "$1") || die "cannot resolve $1"
    # Only ever delete a directory this script populated.
    [[ -f $dir/$MARKER ]] || die "$dir is not a realm directory (no $MARKER); not removing"
    stop_kdc "$dir"
    rm -rf -- "$dir" || die "cannot remove $dir"
}

cmd_kadmin() {
    [[ $# -eq 2 ]] || usage
    need kadmin.local
    open_realm "$1"
    # Gotcha (krb5 1.20): kadmin.local -q exits 0 even when its command fails ("Principal
    # does not exist", "already exists"); only an unknown command gives 1. So a command
    # failed if kadmin.local says anything on stderr beyond its informational notes.
    local errf rc
    errf=$(mktemp "$DIR/kadmin.err.XXXXXX") || die "cannot create a temp file in $DIR"
    kadmin.local -r "$REALM" -q "$2" 2>"$errf" | grep -v '^Authenticating as principal'
    rc=${PIPESTATUS[0]}
    if [[ $rc -eq 0 ]] && grep -qvE '^(No policy specified for |WARNING: |NOTICE: |$)' "$errf"; then
        rc=1
    fi
    [[ $rc -ne 0 ]] && cat "$errf" >&2
    rm -f "$errf"
    return "$rc"
}

cmd_kinit() {
    [[ $# -ge 3 ]] || usage
    need kinit
    open_realm "$1"
    local princ=$2 ccache=$3
    shift 3
    kinit "$@" -c "$ccache" "$princ" >/dev/null
}

# The user names FORMAT gives for 1..N, one a line (awk: a bash loop takes seconds at 10^5).
population_names() {
    awk -v n="$2" -v f="$1" 'BEGIN { for (i = 1; i <= n; i++) { s = f; sub(/%u/, i, s); print s } }'
}

# Every principal of the realm, without its @REALM, one a line.
realm_principals() {
    kadmin.local -r "$REALM" -q getprincs 2>/dev/null | awk -v r="@$REALM" '
        length($0) > length(r) && substr($0, length($0) - length(r) + 1) == r {
            print substr($0, 1, length($0) - length(r)) }'
}

# A population for load tests (negring-load --users). A kadmin.local reads a batch of commands:
# a process per user would open the database N times. Each user gets an aes128-cts-hmac-sha1-96 key only:
# a password's string-to-key (PBKDF2, 4096 rounds for each 16 bytes; 32768 for the SHA-2
# enctypes) is what creating a user costs, and what each of its AS exchanges costs the client.
cmd_users() {
    [[ $# -ge 2 && $# -le 4 ]] || usage
    local n=$2 format=${3:-$POPULATION_FORMAT} password=${4:-$POPULATION_PASSWORD}
    [[ $n =~ ^[1-9][0-9]{0,6}$ && $n -le $POPULATION_MAX ]] || die "N must be 1..$POPULATION_MAX"
    [[ $format =~ ^[A-Za-z0-9._-]*%u[A-Za-z0-9._-]*$ ]] ||
        die "FORMAT must hold one %u among letters, digits, '.', '_' and '-'"
    [[ $password =~ ^[A-Za-z0-9._+=,:-]+$ ]] ||
        die "PASSWORD must be letters, digits and . _ + = , : - (kadmin splits on blanks)"
    need kadmin.local
    open_realm "$1"
    local missing added existing
    missing=$(mktemp "$DIR/users.XXXXXX") || die "cannot create a temp file in $DIR"
    # Names wanted but not in the database (awk: the first file is the set to leave out).
    awk 'NR == FNR { have[$0] = 1; next } !($0 in have)' <(realm_principals) \
        <(population_names "$format" "$n") >"$missing"
    added=$(wc -l <"$missing")
    # One kadmin.local per CPU, each on its share of the names: the string-to-key is CPU work
    # done outside the database lock, which each write takes on its own.
    local jobs i
    jobs=$(nproc 2>/dev/null || echo 1)
    for ((i = 0; i < jobs; i++)); do
        awk -v pw="$password" -v realm="$REALM" -v jobs="$jobs" -v i="$i" 'NR % jobs == i {
            print "addprinc -pw " pw " -e aes128-cts-hmac-sha1-96:normal " $0 "@" realm }' \
            "$missing" | kadmin.local -r "$REALM" >>"$DIR/users.$i.log" 2>&1 &
    done
    wait
    rm -f "$missing"
    # kadmin.local reading stdin reports no failure in its status: count what is there now.
    existing=$(awk 'NR == FNR { have[$0] = 1; next } $0 in have { k++ } END { print k + 0 }' \
        <(realm_principals) <(population_names "$format" "$n"))
    [[ $existing -eq $n ]] || die "only $existing of $n users exist (see $DIR/users.*.log)"
    echo "$n users ${format//%u/N}@$REALM (N = 1..$n): $added added, $((n - added)) were there"
}

case "${1:-}" in
start)
    shift
    cmd_start "$@"
    ;;
stop)
    shift
    cmd_stop "$@"
    ;;
kadmin)
    shift
    cmd_kadmin "$@"
    ;;
kinit)
    shift
    cmd_kinit "$@"
    ;;
users)
    shift
    cmd_users "$@"
    ;;
*) usage ;;
esac
