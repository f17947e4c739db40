#!/usr/bin/env bash
# Squid helper-protocol throughput: negring-squid-auth against Squid's own
# negotiate_kerberos_auth (Debian's squid package) with its replay cache (MIT's default file
# cache, in a folder of its own) and without it (-t none), on the same Kerberos tokens: N
# distinct SPNEGO tokens from MIT's initiator, each sent once to each helper as "YR token".
# Every answer must be a login (AF / OK); the run fails otherwise. docs/benchmarks.md ("Squid
# helper") comes from this script.
#
#   scripts/bench-squid.sh [-n TOKENS] [--repeat R] [--keep]
#
# Two ways of driving a helper: "lockstep" writes a request and waits for its answer, as Squid
# drives a stateful (Negotiate, NTLM) helper, one request in flight per child; "pipelined"
# writes them all, the helper's own rate. Figures are requests/s and the helper's CPU time per
# request (user + system, from wait4). negring-squid-auth from NEGRING_BUILD (default
# build/release; cmake --build build/release --target negring-squid-auth).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tokens=10000
repeat=1
keep=0
while [[ $# -gt 0 ]]; do
    case $1 in
    -n) tokens=$2; shift 2 ;;
    --repeat) repeat=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    *) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
    esac
done
build=$(cd "$root" && realpath "${NEGRING_BUILD:-build/release}")
ours=$build/squid/negring-squid-auth
theirs=/usr/lib/squid/negotiate_kerberos_auth
[[ -x $ours ]] || { echo "bench-squid: $ours not built" >&2; exit 1; }
[[ -x $theirs ]] || { echo "bench-squid: $theirs missing (apt install squid)" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/negring-bench-squid.XXXXXX")
cleanup() {
    "$root/scripts/realm.sh" stop "$work/realm" >/dev/null 2>&1 || true
    if [[ $keep -eq 0 ]]; then rm -rf "$work"; else echo "bench-squid: kept $work" >&2; fi
}
trap cleanup EXIT
"$root/scripts/realm.sh" start "$work/realm" >/dev/null
# shellcheck disable=SC1091
. "$work/realm/env"
echo "load average $(cut -d' ' -f1 /proc/loadavg); $tokens tokens; $ours" >&2

/usr/bin/python3 - "$work" "$tokens" "$repeat" "$ours" "$theirs" <<'PY'
import base64, os, subprocess, sys, time
import gssapi

work, n, repeat, ours, theirs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
keytab = os.environ["KRB5_KTNAME"]
name = gssapi.Name("HTTP@localhost", gssapi.NameType.hostbased_service)
spnego = gssapi.OID.from_int_seq("1.3.6.1.5.5.2")
t0 = time.time()
lines = [b"YR " + base64.b64encode(gssapi.SecurityContext(name=name, mech=spnego, usage="initiate")
                                   .step()) + b"\n" for _ in range(n)]
print(f"{n} tokens made in {time.time() - t0:.1f} s", file=sys.stderr)

helpers = {
    "negring-squid-auth": lambda d: [ours, "-k", keytab, "-c", d],
    "negotiate_kerberos_auth": lambda d: [theirs, "-k", keytab, "-s", "GSS_C_NO_NAME", "-c", d],
    "negotiate_kerberos_auth -t none": lambda d: [theirs, "-k", keytab, "-s", "GSS_C_NO_NAME",
                                                  "-t", "none"],
}

def run(argv, mode):
    """One helper process over every token; returns (requests/s, CPU us per request)."""
    p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL)
    ok = 0
    start = time.perf_counter()
    if mode == "lockstep":
        for line in lines:
            p.stdin.write(line)
            p.stdin.flush()
            answer = p.stdout.readline()
            ok += answer[:3] in (b"AF ", b"OK ")
        p.stdin.close()
    else:
        import threading
        writer = threading.Thread(target=lambda: (p.stdin.writelines(lines), p.stdin.close()))
        writer.start()
        for answer in p.stdout:
            ok += answer[:3] in (b"AF ", b"OK ")
        writer.join()
    elapsed = time.perf_counter() - start
    _, status, usage = os.wait4(p.pid, 0)
    if ok != n:
        sys.exit(f"bench-squid: {argv[0]} logged in {ok} of {n} (exit status {status})")
    return n / elapsed, (usage.ru_utime + usage.ru_stime) * 1e6 / n

results = {}
for rep in range(repeat):
    for mode in ("lockstep", "pipelined"):
        for i, (label, argv_of) in enumerate(helpers.items()):
            d = os.path.join(work, f"rcache-{rep}-{mode}-{i}")  # a fresh replay cache per run
            os.makedirs(d)
            results.setdefault((label, mode), []).append(run(argv_of(d), mode))
print(f"{'helper':<32} {'mode':<10} {'requests/s':>11} {'CPU us/request':>15}")
median = {}
for (label, mode), runs in results.items():
    runs.sort()
    median[(label, mode)] = rate, cpu = runs[(len(runs) - 1) // 2]
    print(f"{label:<32} {mode:<10} {rate:>11.1f} {cpu:>15.1f}")
for mode in ("lockstep", "pipelined"):
    r, c = median[("negring-squid-auth", mode)]
    for other in ("negotiate_kerberos_auth", "negotiate_kerberos_auth -t none"):
        ro, co = median[(other, mode)]
        print(f"{mode}: negring-squid-auth / {other}: {r / ro:.2f}x requests/s, "
              f"{co / c:.2f}x less CPU per request")
PY
