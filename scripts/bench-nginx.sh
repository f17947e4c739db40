#!/usr/bin/env bash
# Negotiate handshake rates of three front-ends on loopback, same machine, same load
# (negring-load): Debian's nginx with ngx_http_negotiate_module (the worker accepts; nginx/),
# Debian's nginx with auth_request in front of ringserver (mode=auth_request), and Apache httpd
# (event MPM) + mod_auth_gssapi. Kerberos: each handshake with its own pre-made token (every
# replay cache stays on and sees no repeats); NTLM (NTLMSSP in SPNEGO, live): the module and
# Apache only (auth_request cannot keep NTLM's legs on one upstream connection). Each front-end
# serves a static file once the client is authenticated. Prints a table with the ratios;
# docs/benchmarks.md ("nginx module") comes from this script.
#
#   scripts/bench-nginx.sh [-n HANDSHAKES] [-c CONNECTIONS] [-t LOADGEN_THREADS]
#                          [--modes "keepalive fresh"] [--mechs "kerberos ntlm"]
#                          [--repeat R] [--warmup N] [--json-dir DIR] [--keep]
#
# Binaries from NEGRING_BUILD (default build/release): bench/loadgen/negring-load,
# ringserver/ringserver, tools/negring-user and nginx/ngx_http_negotiate_module.so
# (cmake --build build/release --target negring-load ringserver negring-user nginx_module).
# nginx and Apache run from /usr/sbin with configurations written into a temporary folder;
# nothing under /etc is read or changed. --repeat runs every row R times, interleaved, and
# reports the run with the median rate.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
handshakes=20000
connections=32
lg_threads=1
modes="keepalive fresh"
mechs="kerberos ntlm"
json_dir=
keep=0
warmup=500
repeat=1

usage() {
    sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

while [[ $# -gt 0 ]]; do
    case $1 in
    -n) handshakes=$2; shift 2 ;;
    -c) connections=$2; shift 2 ;;
    -t) lg_threads=$2; shift 2 ;;
    --modes) modes=$2; shift 2 ;;
    --mechs) mechs=$2; shift 2 ;;
    --json-dir) json_dir=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --repeat) repeat=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    *) usage ;;
    esac
done

# shellcheck source-path=SCRIPTDIR source=lib/bench-servers.sh
. "$root/scripts/lib/bench-servers.sh" bench-nginx "--service HTTP/localhost"

build=$(cd "$root" && realpath "${NEGRING_BUILD:-build/release}")
loadgen=$build/bench/loadgen/negring-load
ring=$build/ringserver/ringserver
module=$build/nginx/ngx_http_negotiate_module.so
for f in "$loadgen" "$ring" "$module"; do
    [[ -e $f ]] || { echo "bench-nginx: $f not built (see the header)" >&2; exit 1; }
done
apache_installed || { echo "bench-nginx: apache2 or libapache2-mod-auth-gssapi missing" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/negring-bench-nginx.XXXXXX")
chmod 755 "$work" # nginx's workers (nobody) read the static file under it
nginx_pid=
stop_nginx() {
    [[ -n $nginx_pid ]] && kill "$nginx_pid" 2>/dev/null && wait "$nginx_pid" 2>/dev/null
    return 0
}
trap 'stop_nginx; cleanup' EXIT
start_realm

# Apache + mod_auth_gssapi, as bench-http.sh runs it.
apache_port=$(free_port)
start_apache "$apache_port" "StartServers 2
ServerLimit 16
ThreadsPerChild 64
MaxRequestWorkers 1024
MinSpareThreads 64
MaxSpareThreads 1024
KeepAliveTimeout 30"

# ringserver behind auth_request: its second listener (the first is start_ringserver's own).
ring_port=$(free_port)
ring_ar_port=$(free_port)
start_ringserver "$ring" "$ring_port" required --listen "127.0.0.1:$ring_ar_port mode=auth_request"

# One nginx, two workers (one per core), two servers: the module, and auth_request.
module_port=$(free_port)
ar_port=$(free_port)
ndir=$work/nginx
mkdir -p "$ndir/html"
echo ok >"$ndir/html/ok.txt"
cat >"$ndir/nginx.conf" <<CONF
load_module $module;
worker_processes 2;
error_log $ndir/error.log warn;
pid $ndir/nginx.pid;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_requests 100000;
    client_body_temp_path $ndir/tmp-body; proxy_temp_path $ndir/tmp-proxy;
    fastcgi_temp_path $ndir/tmp-fastcgi; uwsgi_temp_path $ndir/tmp-uwsgi;
    scgi_temp_path $ndir/tmp-scgi;
    upstream ringserver { server 127.0.0.1:$ring_ar_port; keepalive 64; }
    server {
        listen 127.0.0.1:$module_port reuseport backlog=4096;
        root $ndir/html;
        auth_negotiate on;
        auth_negotiate_keytab $NEGRING_REALM_DIR/service.keytab;
        auth_negotiate_ntlm_accounts $work/ringserver/users;
    }
    server {
        listen 127.0.0.1:$ar_port reuseport backlog=4096;
        root $ndir/html;
        location = /_auth {
            internal;
            proxy_pass http://ringserver;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_pass_request_body off;
            proxy_set_header Content-Length "";
            proxy_set_header X-Client-Connection "\$remote_addr:\$remote_port \$connection";
        }
        location / {
            auth_request /_auth;
            auth_request_set \$mutual \$upstream_http_www_authenticate;
            add_header WWW-Authenticate \$mutual;
        }
    }
}
CONF
nginx -p "$ndir" -c "$ndir/nginx.conf" -g 'daemon off;' >"$ndir/stdout.log" 2>&1 &
nginx_pid=$!
wait_port "$module_port" "$nginx_pid" || { cat "$ndir/stdout.log" "$ndir/error.log" >&2; exit 1; }
wait_port "$ar_port" "$nginx_pid"

declare -A url pids
url[module - kerberos]=http://127.0.0.1:$module_port/ok.txt
url[module - ntlm]=http://127.0.0.1:$module_port/ok.txt
url[auth_request - kerberos]=http://127.0.0.1:$ar_port/ok.txt
url[apache - kerberos]=http://127.0.0.1:$apache_port/ok.txt
url[apache - ntlm]=http://127.0.0.1:$apache_port/ntlm/ok.txt
pids[module]=$nginx_pid
pids[auth_request]="$nginx_pid $ring_pid"
pids[apache]=$apache_pid

# Replay detection must be on in what is measured: the same token sent twice must be refused.
replay_check() {
    local u=$1 tok first second
    tok=$(/usr/bin/python3 -c '
import base64, gssapi
name = gssapi.Name("HTTP@localhost", gssapi.NameType.hostbased_service)
ctx = gssapi.SecurityContext(name=name, usage="initiate", mech=gssapi.OID.from_int_seq("1.3.6.1.5.5.2"))
print(base64.b64encode(ctx.step()).decode())')
    first=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Negotiate $tok" "$u")
    second=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Negotiate $tok" "$u")
    if [[ $first == 200 && $second != 200 ]]; then echo "on ($first then $second)"; else echo "OFF? ($first then $second)"; fi
}
for server in module auth_request apache; do
    echo "replay detection, $server: $(replay_check "${url[$server - kerberos]}")" >&2
done

ticks_of() { # the CPU ticks of every process of a front-end
    local total=0 p
    for p in $1; do total=$((total + $(server_ticks "$p"))); done
    echo "$total"
}

[[ -n $json_dir ]] || json_dir=$work/results
mkdir -p "$json_dir"
common=(-n "$handshakes" -c "$connections" -t "$lg_threads" --json -q)
echo "negring-load: $loadgen; module: $module; ringserver: $ring" >&2
echo "load: ${common[*]} [-F] MECH-ARGS URL; load average $(cut -d' ' -f1 /proc/loadavg)" >&2
measure() { # SERVER MECH MODE REP
    local server=$1 mech=$2 mode=$3 rep=$4 u out before flags=()
    u=${url[$server - $mech]:-}
    [[ -n $u ]] || return 0
    [[ $mode == fresh ]] && flags=(-F)
    if [[ $server == apache && $mech == ntlm && $mode == keepalive ]]; then
        return 0 # not measurable: see bench-http.sh
    fi
    # shellcheck disable=SC2046 # word list on purpose
    if [[ $warmup -gt 0 && $rep -eq 1 ]]; then
        "$loadgen" -n "$warmup" -c "$connections" -t "$lg_threads" -q "${flags[@]}" \
            $(mech_args "$mech") "$u" >/dev/null || true
    fi
    out=$json_dir/$server-$mech-$mode.$rep.json
    echo "run: $server $mech $mode ($rep/$repeat)" >&2
    before=$(ticks_of "${pids[$server]}")
    local rc=0
    # shellcheck disable=SC2046
    "$loadgen" "${common[@]}" "${flags[@]}" $(mech_args "$mech") "$u" >"$out" || rc=$?
    [[ $rc -eq 0 ]] || echo "bench-nginx: $server $mech $mode exited $rc (see $out)" >&2
    echo $(($(ticks_of "${pids[$server]}") - before)) >"${out%.json}.ticks"
}

for mech in $mechs; do
    for mode in $modes; do
        for ((rep = 1; rep <= repeat; rep++)); do
            for server in module auth_request apache; do
                measure "$server" "$mech" "$mode" "$rep"
            done
        done
    done
done

/usr/bin/python3 - "$json_dir" "$mechs" "$modes" <<'PY'
import json, os, sys
d, mechs, modes = sys.argv[1], sys.argv[2].split(), sys.argv[3].split()
hz = os.sysconf("SC_CLK_TCK")
servers = ("module", "auth_request", "apache")
def load(server, mech, mode):
    runs = []
    for rep in range(1, 1000):
        p = os.path.join(d, f"{server}-{mech}-{mode}.{rep}.json")
        if not os.path.exists(p):
            break
        if os.path.getsize(p) > 0:
            with open(p) as f:
                r = json.load(f)
            with open(p[:-5] + ".ticks") as f:
                ticks = int(f.read())
            r["server_cpu_us"] = ticks / hz * 1e6 / r["ok"] if r["ok"] else 0.0
            runs.append(r)
    if not runs:
        return None
    runs.sort(key=lambda r: r["handshakes_per_s"])
    return runs[(len(runs) - 1) // 2]
names = {"keepalive": "keep-alive", "fresh": "fresh conn"}
print(f"{'mech':<9} {'mode':<11} {'front-end':<13} {'handshakes/s':>12} {'p50 us':>9} "
      f"{'p99 us':>9} {'ok':>8} {'failed':>7} {'server CPU us/hs':>16}")
ratios = []
for mech in mechs:
    for mode in modes:
        rows = {s: load(s, mech, mode) for s in servers}
        for s, r in rows.items():
            if r is None:
                continue
            l = r["latency_us"]
            print(f"{mech:<9} {names.get(mode, mode):<11} {s:<13} {r['handshakes_per_s']:>12.1f} "
                  f"{l['p50']:>9.0f} {l['p99']:>9.0f} {r['ok']:>8} {r['failed']:>7} "
                  f"{r['server_cpu_us']:>16.1f}")
        m = rows.get("module")
        for other in ("auth_request", "apache"):
            o = rows.get(other)
            if m and o and o["handshakes_per_s"] > 0 and m["server_cpu_us"] > 0:
                ratios.append(f"{mech} {names.get(mode, mode)}: module/{other} "
                              f"{m['handshakes_per_s'] / o['handshakes_per_s']:.2f}x handshakes/s, "
                              f"server CPU per handshake {o['server_cpu_us'] / m['server_cpu_us']:.2f}x less")
for line in ratios:
    print(line)
PY
