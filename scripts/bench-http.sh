#!/usr/bin/env bash
# HTTP handshake rates: Apache httpd (event MPM) + mod_auth_gssapi against ringserver (when
# built), on loopback, same machine, same load. Kerberos: each handshake with its own pre-made
# token (both servers' replay caches stay on and see no repeats). NTLM: Apache + mod_auth_gssapi
# + gss-ntlmssp against ringserver's own NTLM acceptor, both with the account EXAMPLE\carol.
# Prints a table with the ratios; docs/benchmarks.md ("HTTP handshakes") comes from this script.
#
#   scripts/bench-http.sh [-n HANDSHAKES] [-c CONNECTIONS] [-t LOADGEN_THREADS]
#                         [--modes "keepalive fresh"] [--mechs "kerberos ntlm"]
#                         [--servers "apache ringserver"] [--repeat R] [--warmup N]
#                         [--users N [--first-use PCT]] [--loadgen-args "ARGS"]
#                         [--server-cpus LIST --loadgen-cpus LIST] [--json-dir DIR] [--keep]
#
# --loadgen-args are appended to every measured negring-load run (e.g. "--verify" to check each
# mutual-authentication token). --repeat runs every row R times, interleaved, and reports the run
# with the median rate (the machine may be shared). --users makes N users in the realm
# (scripts/realm.sh users) and every measured Kerberos run a population run (negring-load
# --users N --first-use PCT: each run signs the users in anew, shows each user's ticket to the
# server once, untimed, and then PCT % of its handshakes carry a ticket the server never saw);
# the results are then also given by class, first use and repeat. --server-cpus and
# --loadgen-cpus (taskset CPU lists, e.g. 1 and 0) keep the servers and the load generator on
# CPUs of their own, so that neither takes the other's time: each server then has the same
# CPUs (ringserver one worker per CPU of them, Apache's processes bound to them). --json-dir keeps
# negring-load's results: SERVER-MECH-MODE.REP.json, .rc (its exit status), .ticks (server CPU)
# and .rss (the server's resident KiB, all its processes, right after the run); "ring-raw" is
# ringserver's raw token protocol, for reference.
#
# Binaries: NEGRING_LOAD (default build/loadgen/bench/loadgen/negring-load, else build/bench/...)
# and NEGRING_RINGSERVER (default: the ringserver of the same build, else any under build/).
# Apache runs from /usr/sbin/apache2 with a config written into a temporary folder; nothing
# under /etc is read or changed, and everything is stopped and removed at exit (--keep leaves
# the folder).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
handshakes=20000
connections=32
lg_threads=1
modes="keepalive fresh"
mechs="kerberos ntlm"
servers="apache ringserver"
json_dir=
keep=0
warmup=500
repeat=1
extra=
users=0
first_use=0
population_password=user-Pass-5
server_cpus=
loadgen_cpus=

usage() {
    sed -n '2,/^[^#]/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2
    exit 2
}

while [[ $# -gt 0 ]]; do
    case $1 in
    -n) handshakes=$2; shift 2 ;;
    -c) connections=$2; shift 2 ;;
    -t) lg_threads=$2; shift 2 ;;
    --modes) modes=$2; shift 2 ;;
    --mechs) mechs=$2; shift 2 ;;
    --servers) servers=$2; shift 2 ;;
    --json-dir) json_dir=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --repeat) repeat=$2; shift 2 ;;
    --loadgen-args) extra=$2; shift 2 ;;
    --users) users=$2; shift 2 ;;
    --first-use) first_use=$2; shift 2 ;;
    --server-cpus) server_cpus=$2; shift 2 ;;
    --loadgen-cpus) loadgen_cpus=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    *) usage ;;
    esac
done

# The servers; Kerberos from a pool of pre-made tokens (one per handshake).
# shellcheck source-path=SCRIPTDIR source=lib/bench-servers.sh
. "$root/scripts/lib/bench-servers.sh" bench-http "--service HTTP/localhost"

# VALUE (NEGRING_LOAD, NEGRING_RINGSERVER) as given when set, and then nothing else is tried;
# else the first of CANDIDATES that is built.
given_or_first() { # VALUE CANDIDATES...
    if [[ -n $1 ]]; then
        [[ -x $1 ]] && echo "$1"
        return
    fi
    shift
    find_first "$@"
}

loadgen=$(given_or_first "${NEGRING_LOAD:-}" "$root/build/loadgen/bench/loadgen/negring-load" \
    "$root/build/bench/loadgen/negring-load" "$root"/build/*/bench/loadgen/negring-load) || {
    echo "bench-http: negring-load not built (cmake --build build/loadgen --target negring-load)" >&2
    exit 1
}

work=$(mktemp -d "${TMPDIR:-/tmp}/negring-bench-http.XXXXXX")
chmod 755 "$work"
trap cleanup EXIT

start_realm

# --users: the population in the realm, and the Kerberos runs' arguments for it.
population=()
if [[ $users -gt 0 ]]; then
    t0=$EPOCHREALTIME
    made=$("$root/scripts/realm.sh" users "$work/realm" "$users" 'user%u' "$population_password")
    echo "realm: $made in $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }') s" >&2
    population=(--users "$users" --user-password "$population_password" --first-use "$first_use")
fi

# The servers inherit the script's CPU affinity while they start (Apache's later processes from
# their parent); the script takes its own back afterwards.
own_cpus=$(taskset -pc $$ | sed 's/.*: //')
[[ -z $server_cpus ]] || taskset -pc "$server_cpus" $$ >/dev/null
loadgen_pin=()
[[ -z $loadgen_cpus ]] || loadgen_pin=(taskset -c "$loadgen_cpus")

declare -A url
if [[ " $servers " == *" apache "* ]]; then
    if apache_installed; then
        port=$(free_port)
        # The event MPM sized for the load: idle keep-alive connections hold no worker thread.
        start_apache "$port" "StartServers 2
ServerLimit 16
ThreadsPerChild 64
MaxRequestWorkers 1024
MinSpareThreads 64
MaxSpareThreads 1024
KeepAliveTimeout 30"
        url[apache - kerberos]=http://127.0.0.1:$port/ok.txt
        url[apache - ntlm]=http://127.0.0.1:$port/ntlm/ok.txt
    else
        echo "bench-http: apache2 or libapache2-mod-auth-gssapi missing; Apache skipped" >&2
    fi
fi
if [[ " $servers " == *" ringserver "* ]]; then
    # ringserver from the load generator's own build first (same build type), then any build.
    if ring=$(given_or_first "${NEGRING_RINGSERVER:-}" "$(dirname "$loadgen")/../../ringserver/ringserver" \
        "$root"/build/*/ringserver/ringserver); then
        port=$(free_port)
        rawport=$(free_port)
        start_ringserver "$ring" "$port" optional --listen "127.0.0.1:$rawport mode=raw"
        url[ringserver - kerberos]=http://127.0.0.1:$port/
        url[ringserver - ntlm]=http://127.0.0.1:$port/
        # The raw token protocol, for reference (no Apache counterpart, so no ratio).
        url[ring-raw - kerberos]=raw://127.0.0.1:$rawport
        url[ring-raw - ntlm]=raw://127.0.0.1:$rawport
        echo "ringserver: $ring" >&2
    else
        echo "bench-http: ringserver not built; only Apache measured" >&2
    fi
fi
[[ ${#url[@]} -gt 0 ]] || { echo "bench-http: no server to measure" >&2; exit 1; }
taskset -pc "$own_cpus" $$ >/dev/null
[[ -z $server_cpus$loadgen_cpus ]] ||
    echo "cpus: servers ${server_cpus:-$own_cpus}, load generator ${loadgen_cpus:-$own_cpus}" >&2

# Replay detection must be on in what is measured: the same token sent twice must be refused.
replay_check() {
    local u=$1 tok first second
    tok=$(/usr/bin/python3 -c '
import base64, gssapi
name = gssapi.Name("HTTP@localhost", gssapi.NameType.hostbased_service)
ctx = gssapi.SecurityContext(name=name, usage="initiate", mech=gssapi.OID.from_int_seq("1.3.6.1.5.5.2"))
print(base64.b64encode(ctx.step()).decode())') || { echo "unknown (python3-gssapi missing)"; return; }
    first=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Negotiate $tok" "$u")
    second=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Negotiate $tok" "$u")
    if [[ $first == 200 && $second != 200 ]]; then echo "on ($first then $second)"; else echo "OFF? ($first then $second)"; fi
}
for server in apache ringserver; do
    [[ -n ${url[$server - kerberos]:-} ]] || continue
    echo "replay detection, $server: $(replay_check "${url[$server - kerberos]}")" >&2
done

declare -A pid_of
pid_of[apache]=$apache_pid
pid_of[ringserver]=$ring_pid
pid_of[ring-raw]=$ring_pid

# Resident memory (KiB) of the server PID and its children (Apache's worker processes).
server_rss_kib() {
    local total=0 p v
    for p in $(server_pids "$1"); do
        v=$(awk '/^VmRSS:/ { print $2 }' "/proc/$p/status" 2>/dev/null) || continue
        total=$((total + ${v:-0}))
    done
    echo "$total"
}

[[ -n $json_dir ]] || json_dir=$work/results
mkdir -p "$json_dir"
common=(-n "$handshakes" -c "$connections" -t "$lg_threads" --json -q)
echo "negring-load: $loadgen" >&2
echo "load: ${common[*]} [-F] MECH-ARGS $extra URL" >&2
# One measured run: SERVER MECH MODE REP.
measure() {
    local server=$1 mech=$2 mode=$3 rep=$4 u out before flags=() measured=()
    u=${url[$server - $mech]:-}
    [[ -n $u ]] || return 0
    [[ $mode == fresh ]] && flags=(-F)
    [[ $mech == kerberos ]] && measured=("${population[@]}")
    if [[ $server == apache && $mech == ntlm && $mode == keepalive ]]; then
        # mod_auth_gssapi refuses a second NTLM handshake on a connection that completed one
        # ("Mechanism needs continuation but neither GssapiConnectionBound nor
        # GssapiUseSessions are configured", every other handshake): not measurable.
        [[ $rep -eq 1 ]] && echo "skip: apache ntlm keep-alive (mod_auth_gssapi re-authenticates" \
            "a connection-bound connection only every other time)" >&2
        return 0
    fi
    # shellcheck disable=SC2046,SC2086 # word lists on purpose
    if [[ $warmup -gt 0 && $rep -eq 1 ]]; then # not recorded: workers started, tickets cached
        "${loadgen_pin[@]}" "$loadgen" -n "$warmup" -c "$connections" -t "$lg_threads" -q "${flags[@]}" \
            $(mech_args "$mech") "$u" >/dev/null || true
    fi
    out=$json_dir/$server-$mech-$mode.$rep.json
    echo "run: $server $mech $mode ($rep/$repeat)" >&2
    before=$(server_ticks "${pid_of[$server]}")
    local rc=0
    # shellcheck disable=SC2046,SC2086
    "${loadgen_pin[@]}" "$loadgen" "${common[@]}" "${flags[@]}" $(mech_args "$mech") "${measured[@]}" $extra \
        --server-pid "${pid_of[$server]}" "$u" >"$out" || rc=$?
    echo "$rc" >"${out%.json}.rc" # 0: all succeeded, 1: some failed, else a crash or bad usage
    [[ $rc -eq 0 ]] || echo "bench-http: $server $mech $mode exited $rc (see $out)" >&2
    # The whole run's server CPU; the table takes negring-load's server_cpu_s (the timed phase
    # alone, without a population's warm-up), these ticks only when it is missing.
    echo $(($(server_ticks "${pid_of[$server]}") - before)) >"${out%.json}.ticks"
    server_rss_kib "${pid_of[$server]}" >"${out%.json}.rss"
}

for mech in $mechs; do
    for mode in $modes; do
        for ((rep = 1; rep <= repeat; rep++)); do
            for server in apache ringserver ring-raw; do
                measure "$server" "$mech" "$mode" "$rep"
            done
        done
    done
done

/usr/bin/python3 - "$json_dir" "$mechs" "$modes" "$users" <<'PY'
import json, os, sys
d, mechs, modes = sys.argv[1], sys.argv[2].split(), sys.argv[3].split()
population = int(sys.argv[4]) > 0
hz = os.sysconf("SC_CLK_TCK")
def load(server, mech, mode):
    runs = []
    for rep in range(1, 1000):
        p = os.path.join(d, f"{server}-{mech}-{mode}.{rep}.json")
        if not os.path.exists(p):
            break
        if os.path.getsize(p) > 0:
            runs.append(load_run(p))
    if not runs:
        return None
    runs.sort(key=lambda r: r["handshakes_per_s"])
    return runs[(len(runs) - 1) // 2]
def load_run(p):
    with open(p) as f:
        r = json.load(f)
    try:
        with open(p[:-5] + ".ticks") as f:
            seconds = r.get("server_cpu_s", int(f.read()) / hz)
        r["server_cpu_us"] = seconds * 1e6 / r["ok"] if r["ok"] else 0.0
    except (OSError, ValueError):
        r["server_cpu_us"] = 0.0
    try:
        with open(p[:-5] + ".rss") as f:
            r["server_rss_mib"] = int(f.read()) / 1024
    except (OSError, ValueError):
        r["server_rss_mib"] = 0.0
    r["client_cpu_us"] = r.get("client_cpu_s", 0) * 1e6 / r["ok"] if r["ok"] else 0.0
    return r
names = {"keepalive": "keep-alive", "fresh": "fresh conn"}
# The targets of the issues that asked for these figures: one ticket for every handshake
# (docs/benchmarks.md "HTTP handshakes"), or a population of users (issue 18).
targets = ({("kerberos", "keepalive"): 12.0, ("kerberos", "fresh"): 5.0} if population
           else {("kerberos", "keepalive"): 8.0, ("kerberos", "fresh"): 4.0})
print(f"{'mech':<9} {'mode':<11} {'server':<11} {'handshakes/s':>12} {'p50 us':>9} {'p99 us':>9} "
      f"{'p99.9 us':>9} {'ok':>8} {'failed':>7} {'server CPU us/hs':>16} {'client CPU us/hs':>16} "
      f"{'server RSS MiB':>14}")
ratios = []
for mech in mechs:
    for mode in modes:
        rows = {s: load(s, mech, mode) for s in ("apache", "ringserver", "ring-raw")}
        for s, r in rows.items():
            if r is None:
                continue
            l = r["latency_us"]
            print(f"{mech:<9} {names.get(mode, mode):<11} {s:<11} {r['handshakes_per_s']:>12.1f} "
                  f"{l['p50']:>9.0f} {l['p99']:>9.0f} {l['p99.9']:>9.0f} {r['ok']:>8} {r['failed']:>7} "
                  f"{r['server_cpu_us']:>16.1f} {r['client_cpu_us']:>16.1f} {r['server_rss_mib']:>14.1f}")
        a, g = rows.get("apache"), rows.get("ringserver")
        if a and g and a["handshakes_per_s"] > 0 and a["ok"] > 0:
            ratio = g["handshakes_per_s"] / a["handshakes_per_s"]
            p99 = a["latency_us"]["p99"] / g["latency_us"]["p99"] if g["latency_us"]["p99"] else 0
            cpu = a["server_cpu_us"] / g["server_cpu_us"] if g["server_cpu_us"] else 0
            # The targets are for rates as high as each server goes, not for a set rate.
            t = None if "open_loop" in g else targets.get((mech, mode))
            ratios.append(f"{mech} {names.get(mode, mode)}: ringserver/apache {ratio:.2f}x handshakes/s"
                          + (f" (target {t:.0f}x)" if t else "") + f", p99 {p99:.2f}x lower, "
                          f"server CPU per handshake {cpu:.2f}x less")
for line in ratios:
    print(line)
# An open-loop run (--loadgen-args "--rate R"): did each row keep the schedule?
header = False
for mech in mechs:
    for mode in modes:
        for s in ("apache", "ringserver", "ring-raw"):
            r = load(s, mech, mode)
            if r is None or "open_loop" not in r:
                continue
            o = r["open_loop"]
            if not header:
                print(f"\n{'mech':<9} {'mode':<11} {'server':<11} {'target/s':>9} {'achieved/s':>10} "
                      f"{'met':>5} {'late starts':>11} {'lag p50 us':>10} {'lag p99 us':>10} "
                      f"{'lag max us':>10} {'overdue':>7}")
                header = True
            g = o["start_lag_us"]
            print(f"{mech:<9} {names.get(mode, mode):<11} {s:<11} {o['target_per_s']:>9.1f} "
                  f"{o['achieved_per_s']:>10.1f} {'yes' if o['achieved'] else 'NO':>5} "
                  f"{o['late_starts']:>11} {g['p50']:>10.0f} {g['p99']:>10.0f} {g['max']:>10.0f} "
                  f"{o['overdue']:>7}")
# A population run (--users): the same rows by class, and what each run did before timing.
classes = [("first_use", "first use"), ("repeat", "repeat")]
header = False
for mech in mechs:
    for mode in modes:
        for s in ("apache", "ringserver", "ring-raw"):
            r = load(s, mech, mode)
            if r is None or "classes" not in r:
                continue
            if not header:
                print(f"\n{'mech':<9} {'mode':<11} {'server':<11} {'class':<10} {'handshakes/s':>12} "
                      f"{'p50 us':>9} {'p90 us':>9} {'p99 us':>9} {'max us':>9} {'ok':>8} {'failed':>7}")
                header = True
            for key, name in classes:
                c = r["classes"][key]
                l = c["latency_us"]
                print(f"{mech:<9} {names.get(mode, mode):<11} {s:<11} {name:<10} "
                      f"{c['handshakes_per_s']:>12.1f} {l['p50']:>9.0f} {l['p90']:>9.0f} "
                      f"{l['p99']:>9.0f} {l['max']:>9.0f} {c['ok']:>8} {c['failed']:>7}")
            w = r["warm_up"]
            print(f"{'':<9} {'':<11} {s:<11} before: {r['users']} users signed in with a ticket each "
                  f"in {r['sign_in_s']:.1f} s, warm-up {w['ok']} ok/{w['failed']} failed in "
                  f"{w['elapsed_s']:.1f} s, pool of {r['pool_size']} ({r['first_use_tokens']} first "
                  f"uses) in {r['pool_seconds']:.1f} s")
PY
