#!/usr/bin/env bash
# negring-load --hold through scripts/bench-scaling.sh at one small level (50 connections):
# every connection stops between its two legs until all 50 are there. Against ringserver the
# server's own negring_pending_handshakes gauge must read 50 NTLM contexts at that moment
# (so the load generator really held them pending, each on its own connection), every held
# handshake must then complete, the hold must last, and the table and both plots must be
# written. Apache + mod_auth_gssapi is included when installed (its held handshakes must
# complete as well).
set -euo pipefail
export NEGRING_LOAD=$1 NEGRING_RINGSERVER=$2
root=$(cd "$(dirname "$0")/../.." && pwd)
out=$(mktemp -d "${TMPDIR:-/tmp}/negring-loadgen-hold.XXXXXX")
trap 'rm -rf "$out"' EXIT
servers=ringserver
[[ -x /usr/sbin/apache2 && -f /usr/lib/apache2/modules/mod_auth_gssapi.so ]] &&
    servers="apache ringserver"
"$root/scripts/bench-scaling.sh" --levels 50 --servers "$servers" --hold 1 --rate-n 200 \
    --out "$out/results" --img "$out/img"
check() { # FILE EXPECTED: "ok failed held_pending elapsed>=hold"
    local got
    got=$(/usr/bin/python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
print(r["ok"], r["failed"], r["held_pending"], r["elapsed_s"] >= r["hold_s"] > 0)' "$1")
    echo "$(basename "$1"): $got"
    [[ $got == "$2" ]] || { echo "FAIL: $1: expected $2" >&2; exit 1; }
}
r=$out/results
for mech in ntlm kerberos; do
    for s in $servers; do
        check "$r/$s-$mech-50.rss.json" "50 0 50 True"
        [[ $(cat "$r/$s-$mech-50.rss.rc") == 0 ]] || { echo "FAIL: negring-load exit" >&2; exit 1; }
        [[ $(cat "$r/$s-$mech-50.rss.peak") -gt 0 ]] || { echo "FAIL: no RSS sample" >&2; exit 1; }
    done
    /usr/bin/python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
sys.exit(not (r["ok"] == 200 and r["failed"] == 0 and r["hold_s"] == 0))' \
        "$r/ringserver-$mech-50.rate.json" || { echo "FAIL: ringserver $mech rate run" >&2; exit 1; }
    [[ $(cat "$r/ringserver-$mech-50.rate.rc") == 0 ]] || { echo "FAIL: negring-load exit" >&2; exit 1; }
done
# NTLM keeps a context per connection between the legs; the 401 challenge of Kerberos does not.
[[ $(cat "$r/ringserver-ntlm-50.rss.pending") == 50 ]] ||
    { echo "FAIL: ringserver's pending gauge: $(cat "$r/ringserver-ntlm-50.rss.pending")" >&2; exit 1; }
[[ $(cat "$r/ringserver-kerberos-50.rss.pending") == 0 ]] ||
    { echo "FAIL: pending Kerberos contexts after a bare 401?" >&2; exit 1; }
grep -q '^| ntlm | ringserver | 50 |' "$r/scaling.md" || { echo "FAIL: table row" >&2; exit 1; }
if command -v gnuplot >/dev/null; then
    for p in scaling-rate scaling-rss; do
        [[ $(head -c 4 "$out/img/$p.png" | od -An -tx1 | tr -d ' ') == 89504e47 ]] ||
            { echo "FAIL: $p.png is not a PNG" >&2; exit 1; }
    done
fi
echo PASS
