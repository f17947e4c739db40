#!/usr/bin/env bash
# negring-load against ringserver through scripts/bench-http.sh: 200 Kerberos and 200 NTLM
# handshakes over HTTP and over the raw token protocol, keep-alive and fresh connections, with
# every final server token verified by the initiator (AP-REP, SPNEGO accept-completed + MIC).
set -euo pipefail
loadgen=$1
export NEGRING_RINGSERVER=$2
root=$(cd "$(dirname "$0")/../.." && pwd)
out=$(mktemp -d "${TMPDIR:-/tmp}/negring-loadgen-ring.XXXXXX")
trap 'rm -rf "$out"' EXIT
NEGRING_LOAD=$loadgen "$root/scripts/bench-http.sh" --servers ringserver -n 200 -c 8 --warmup 0 \
    --loadgen-args "--verify" --json-dir "$out"
count=0
for f in "$out"/ringserver-*.json "$out"/ring-raw-*.json; do
    got=$(/usr/bin/python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
print(r["ok"], r["failed"], r["verified"])' "$f")
    echo "$(basename "$f"): $got, exit $(cat "${f%.json}.rc")"
    [[ $(cat "${f%.json}.rc") == 0 ]] || { echo "FAIL: negring-load did not exit 0" >&2; exit 1; }
    [[ $got == "200 0 200" ]] || { echo "FAIL: expected 200 ok, 0 failed, 200 verified" >&2; exit 1; }
    count=$((count + 1))
done
[[ $count -eq 8 ]] || { echo "FAIL: $count result files, expected 8" >&2; exit 1; }
echo PASS
