# shellcheck shell=bash
# The servers that scripts/bench-http.sh and scripts/bench-scaling.sh measure, sourced by both:
# finding the binaries, a throwaway realm, Apache httpd + mod_auth_gssapi (+ gss-ntlmssp) from a
# temporary config, ringserver, free ports, the servers' CPU time and the load generator's
# mechanism arguments. Only functions and constants: sourcing starts nothing.
#
#   . "$root/scripts/lib/bench-servers.sh" NAME KERBEROS_ARGS
# NAME prefixes error messages (bench-http, bench-scaling); KERBEROS_ARGS are negring-load's
# arguments for Kerberos (mech_args). The sourcing script sets, before it calls these functions:
#   root  the repository
#   work  the temporary folder (servers' files under it; removed by cleanup)
#   keep  1: cleanup leaves the folder
# and reads apache_pid and ring_pid (set by start_apache, start_ringserver).
# shellcheck disable=SC2034,SC2154 # variables shared with the sourcing script

bench_name=$1
kerberos_args=$2
apache_pid=
ring_pid=

# The NTLM account, known to both servers (gss-ntlmssp's file; negring's user database).
ntlm_domain=EXAMPLE
ntlm_user=carol
ntlm_password=carol-Pass-3

# The first of CANDIDATES that is an executable file, as a real path.
find_first() {
    local c
    for c in "$@"; do
        [[ -n $c && -x $c ]] && { realpath "$c"; return 0; }
    done
    return 1
}

stop_server_processes() {
    [[ -n $apache_pid ]] && kill "$apache_pid" 2>/dev/null && wait "$apache_pid" 2>/dev/null
    [[ -n $ring_pid ]] && kill "$ring_pid" 2>/dev/null && wait "$ring_pid" 2>/dev/null
    return 0
}

# For trap cleanup EXIT: the servers, the realm, the temporary folder.
cleanup() {
    stop_server_processes
    "$root/scripts/realm.sh" stop "$work/realm" >/dev/null 2>&1 || true
    if [[ $keep -eq 0 ]]; then rm -rf "$work"; else echo "$bench_name: kept $work" >&2; fi
}

# The throwaway realm in WORK/realm, its variables (KRB5_CONFIG, NEGRING_REALM_DIR, ...) exported.
start_realm() {
    "$root/scripts/realm.sh" start "$work/realm" >/dev/null
    # shellcheck disable=SC1091
    . "$work/realm/env"
}

# A free loopback TCP port (the realm script's way: not listed in /proc/net/tcp).
free_port() {
    local port hex
    for _ in $(seq 200); do
        port=$((20000 + RANDOM % 12000))
        printf -v hex ':%04X' "$port"
        awk -v h="$hex" 'substr($2, length($2) - 4) == h { f = 1 } END { exit !f }' \
            /proc/net/tcp /proc/net/tcp6 2>/dev/null || { echo "$port"; return 0; }
    done
    return 1
}

# PORT PID: until PORT accepts a connection; fails when PID has exited or after 10 s.
wait_port() {
    local port=$1 pid=$2
    for _ in $(seq 500); do
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
        kill -0 "$pid" 2>/dev/null || return 1
        sleep 0.02
    done
    return 1
}

apache_installed() {
    [[ -x /usr/sbin/apache2 && -f /usr/lib/apache2/modules/mod_auth_gssapi.so ]]
}

# start_apache PORT MPM_DIRECTIVES: Apache on 127.0.0.1:PORT, Kerberos at /ok.txt, NTLM at
# /ntlm/ok.txt; MPM_DIRECTIVES (lines of httpd.conf) size the event MPM for the script's load.
# Apache drops to www-data: give it its own readable copies of krb5.conf and the keytab, and a
# replay-cache folder it can write (replay detection stays on: every token is used once).
start_apache() {
    local port=$1 mpm=$2 dir=$work/apache
    mkdir -p "$dir/htdocs/ntlm" "$dir/rcache" "$dir/logs" "$dir/run"
    cp "$KRB5_CONFIG" "$dir/krb5.conf"
    cp "$NEGRING_REALM_DIR/service.keytab" "$dir/service.keytab"
    echo ok >"$dir/htdocs/ok.txt"
    echo ok >"$dir/htdocs/ntlm/ok.txt"
    # gss-ntlmssp's account file (DOMAIN:user:password), read through NTLM_USER_FILE.
    echo "$ntlm_domain:$ntlm_user:$ntlm_password" >"$dir/ntlm_users"
    chown -R www-data:www-data "$dir"
    chmod 600 "$dir/service.keytab" "$dir/ntlm_users"
    cat >"$dir/httpd.conf" <<CONF
ServerRoot /usr/lib/apache2
ServerName localhost
Listen 127.0.0.1:$port
ListenBacklog 4096
PidFile $dir/run/httpd.pid
DefaultRuntimeDir $dir/run
Mutex file:$dir/run default
User www-data
Group www-data
LoadModule mpm_event_module modules/mod_mpm_event.so
LoadModule authn_core_module modules/mod_authn_core.so
LoadModule authz_core_module modules/mod_authz_core.so
LoadModule authz_user_module modules/mod_authz_user.so
LoadModule auth_gssapi_module modules/mod_auth_gssapi.so
ErrorLog $dir/logs/error.log
LogLevel warn
$mpm
KeepAlive On
MaxKeepAliveRequests 0
DocumentRoot $dir/htdocs
<Directory $dir/htdocs>
    AuthType GSSAPI
    AuthName "negring bench"
    GssapiCredStore keytab:$dir/service.keytab
    GssapiAllowedMech krb5
    Require valid-user
</Directory>
# NTLM through gss-ntlmssp (GSSAPI mechanism 1.3.6.1.4.1.311.2.2.10), wrapped in SPNEGO.
# NTLM's three messages need the context kept between requests: bound to the connection.
<Directory $dir/htdocs/ntlm>
    GssapiAllowedMech ntlmssp
    GssapiConnectionBound On
</Directory>
CONF
    NTLM_USER_FILE=$dir/ntlm_users \
        KRB5_CONFIG=$dir/krb5.conf KRB5RCACHEDIR=$dir/rcache KRB5_KTNAME=FILE:$dir/service.keytab \
        /usr/sbin/apache2 -d /usr/lib/apache2 -f "$dir/httpd.conf" -DFOREGROUND \
        >"$dir/logs/stdout.log" 2>&1 &
    apache_pid=$!
    wait_port "$port" "$apache_pid" || {
        echo "$bench_name: Apache did not start:" >&2
        cat "$dir/logs/stdout.log" "$dir/logs/error.log" >&2 2>/dev/null
        exit 1
    }
}

# start_ringserver BIN PORT USERS [ARGS...]: ringserver (ringserver --help) on 127.0.0.1:PORT
# with the realm's keytab and ARGS, the NTLM account in a negring user database made with
# negring-user from BIN's build. USERS "required": exit when negring-user is not built;
# "optional": ringserver then runs without NTLM accounts. Replay detection and mutual
# authentication are always on.
start_ringserver() {
    local bin=$1 port=$2 users=$3 dir=$work/ringserver tool
    shift 3
    mkdir -p "$dir"
    tool=$(dirname "$bin")/../tools/negring-user
    if [[ -x $tool ]]; then
        echo "$ntlm_password" | "$tool" add --db "$dir/users" "$ntlm_domain\\$ntlm_user" >/dev/null
    elif [[ $users == required ]]; then
        echo "$bench_name: negring-user not built (NTLM accounts)" >&2
        exit 1
    fi
    NEGRING_USER_DB=$dir/users "$bin" --listen "127.0.0.1:$port" "$@" \
        --keytab "$NEGRING_REALM_DIR/service.keytab" >"$dir/stdout.log" 2>&1 &
    ring_pid=$!
    wait_port "$port" "$ring_pid" || {
        echo "$bench_name: ringserver did not start:" >&2
        cat "$dir/stdout.log" >&2
        exit 1
    }
}

# The server's processes: the process PID and its children (Apache's MPM worker processes).
server_pids() {
    echo "$1"
    ps -o pid= --ppid "$1" 2>/dev/null || true
}

# CPU time (clock ticks) the server PID has used so far: the process and its live children, plus
# children it reaped (cutime/cstime). On a shared machine this per-handshake cost is steadier
# than wall-clock rates.
server_ticks() {
    local total=0 p f
    for p in $(server_pids "$1"); do
        f=$(cut -d')' -f2- "/proc/$p/stat" 2>/dev/null) || continue
        # after "pid (comm)": field 14..17 of stat are utime stime cutime cstime (here 12..15)
        total=$((total + $(echo "$f" | awk '{ print $12 + $13 + $14 + $15 }')))
    done
    echo "$total"
}

# negring-load's arguments for MECH. Kerberos: KERBEROS_ARGS (pre-made tokens, one per
# handshake). NTLM: live, the challenge answered per handshake, NTLMSSP inside SPNEGO (what
# gss-ntlmssp behind mod_auth_gssapi accepts), the account above.
mech_args() {
    case $1 in
    kerberos) echo "$kerberos_args" ;;
    ntlm) echo "-m ntlm --package Negotiate --user $ntlm_user --domain $ntlm_domain --password $ntlm_password" ;;
    esac
}
