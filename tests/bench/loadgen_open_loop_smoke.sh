#!/usr/bin/env bash
# negring-load --rate against ringserver. At 100 handshakes/s for 2 s the run keeps its schedule
# (rate achieved, every start made, none left due). Then at 100/s over 2 connections the server
# is stopped (SIGSTOP) for 1.5 s mid-run: the ~150 handshakes scheduled meanwhile cannot start,
# and their latency, measured from the scheduled start, is up to 1.5 s; measured from when a
# connection let them begin it would be a few ms for all but the 2 in flight (coordinated
# omission). So p90 must be over 300 ms, the starts late, and the run still catch up.
# usage: loadgen_open_loop_smoke.sh NEGRING_LOAD RINGSERVER
set -euo pipefail
LOADGEN=$1
export RINGSERVER=$2 REALM_SH
REALM_SH=$(cd "$(dirname "$0")/../.." && pwd)/scripts/realm.sh
# shellcheck source-path=SCRIPTDIR source=../ringserver/lib.sh
. "$(dirname "$0")/../ringserver/lib.sh"

start_realm
start_server --listen 127.0.0.1:0
url=http://127.0.0.1:$PORT/

rc=0
"$LOADGEN" --rate 100 -n 200 -c 4 --json --service HTTP/localhost "$url" >"$WORK/steady.json" ||
    rc=$?
expect_eq "steady: negring-load exits 0" "$rc" 0
got=$("$PY" -c '
import json, sys
r = json.load(open(sys.argv[1]))
o = r["open_loop"]
print(r["ok"], r["failed"], o["target_per_s"], o["started"], o["overdue"], o["achieved"],
      90 <= o["achieved_per_s"] <= 110, 1.8 <= r["elapsed_s"] <= 2.4)' "$WORK/steady.json")
expect_eq "steady: ok failed target started overdue achieved rate~100/s elapsed~2s" "$got" \
    "200 0 100.0 200 0 True True True"

handshakes() { # handshakes the server counted so far
    metric 'negring_handshakes_total{mech="kerberos",result="ok"}'
}
"$LOADGEN" --rate 100 -n 400 -c 2 --json --service HTTP/localhost "$url" >"$WORK/stall.json" &
load_pid=$!
for ((i = 0; i < 500; i++)); do # the timed phase has begun once the server answers it
    [[ $(handshakes) -ge 210 ]] && break # the 200 of the steady run and 10 of this one
    sleep 0.01
done
kill -STOP "$RS_PID"
sleep 1.5
kill -CONT "$RS_PID"
rc=0
wait "$load_pid" || rc=$?
expect_eq "stall: negring-load exits 0" "$rc" 0
got=$("$PY" -c '
import json, sys
r = json.load(open(sys.argv[1]))
o, l = r["open_loop"], r["latency_us"]
print(r["ok"], r["failed"], l["p90"] > 300000, l["max"] > 1200000, o["late_starts"] >= 100,
      o["start_lag_us"]["max"] > 1000000, o["achieved_per_s"] >= 90)' "$WORK/stall.json")
expect_eq "stall: ok failed p90>300ms max>1.2s late>=100 lag>1s rate>=90/s" "$got" \
    "400 0 True True True True True"

stop_server
finish
