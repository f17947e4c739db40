#!/usr/bin/env bash
# negring-load --source-ips: 40 fresh-connection Kerberos handshakes from 127.0.0.1 .. 127.0.0.4
# in turn all succeed, and ringserver's log names each of the four as a peer, ten logins each,
# whether the log is a plain file (written line by line) or one opened for appending (written by
# the rings); a target that is not IPv4 loopback is refused before anything is sent.
# usage: loadgen_source_ips_smoke.sh NEGRING_LOAD RINGSERVER
set -euo pipefail
LOADGEN=$1
export RINGSERVER=$2 REALM_SH
REALM_SH=$(cd "$(dirname "$0")/../.." && pwd)/scripts/realm.sh
# shellcheck source-path=SCRIPTDIR source=../ringserver/lib.sh
. "$(dirname "$0")/../ringserver/lib.sh"

start_realm
for RS_LOG_APPEND in "" yes; do
    log=${RS_LOG_APPEND:+appended}
    log=${log:-plain}
    start_server --listen 127.0.0.1:0 --log-success yes --workers 2
    rc=0
    "$LOADGEN" -F --source-ips 4 -n 40 -c 2 -t 1 --json --service HTTP/localhost \
        "http://127.0.0.1:$PORT/" >"$WORK/run.json" || rc=$?
    expect_eq "negring-load exits 0 ($log log)" "$rc" 0
    expect_eq "ok failed connects ($log log)" "$("$PY" -c '
import json, sys
r = json.load(open(sys.argv[1]))
print(r["ok"], r["failed"], r["connects"])' "$WORK/run.json")" "40 0 40"
    if [[ -z $RS_LOG_APPEND ]]; then
        rc=0
        "$LOADGEN" -F --source-ips 4 -n 1 "http://[::1]:$PORT/" >/dev/null 2>"$WORK/v6.err" || rc=$?
        expect_eq "an IPv6 target is refused (usage/setup error)" "$rc" 2
    fi
    stop_server
    # A worker logs a login after its answer is sent: the log is whole once ringserver has exited.
    peers=$(grep 'event=auth_ok' "$WORK/server.log" | sed 's/.* peer=\([0-9.]*\):.*/\1/' |
        sort | uniq -c | awk '{ printf "%s:%s ", $2, $1 }')
    expect_eq "logins by peer address ($log log)" "$peers" \
        "127.0.0.1:10 127.0.0.2:10 127.0.0.3:10 127.0.0.4:10 "
done
finish
