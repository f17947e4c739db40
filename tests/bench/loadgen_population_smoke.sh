#!/usr/bin/env bash
# negring-load --users against ringserver: 20 users made by scripts/realm.sh users (a second call
# adds none), 200 handshakes of which 50 % are first uses. Both classes appear in their share
# (exactly 100 each: the plan is exact), nothing fails, every final token is verified, the
# warm-up showed each user's ticket once, and the KDC's log holds exactly one AS and one TGS
# exchange per user plus one of each per first use: so every first use had a ticket nobody had
# seen, and every repeat reused a ticket the server saw in the warm-up. --server-pid reports
# ringserver's CPU time.
# usage: loadgen_population_smoke.sh NEGRING_LOAD RINGSERVER
set -euo pipefail
LOADGEN=$1
export RINGSERVER=$2 REALM_SH
REALM_SH=$(cd "$(dirname "$0")/../.." && pwd)/scripts/realm.sh
# shellcheck source-path=SCRIPTDIR source=../ringserver/lib.sh
. "$(dirname "$0")/../ringserver/lib.sh"

start_realm
made=$("$REALM_SH" users "$WORK/realm" 20)
expect_eq "realm.sh users adds 20" "$made" "20 users userN@$NEGRING_REALM (N = 1..20): 20 added, 0 were there"
made=$("$REALM_SH" users "$WORK/realm" 20)
expect_eq "realm.sh users again adds none" "$made" "20 users userN@$NEGRING_REALM (N = 1..20): 0 added, 20 were there"
start_server --listen 127.0.0.1:0
url=http://127.0.0.1:$PORT/

# Exchanges the KDC logged for the population's users: AS (sign-ins) or TGS (service tickets).
issued() { # AS_REQ|TGS_REQ
    grep -c "$1 .*ISSUE: .*user[0-9]*@$NEGRING_REALM" "$NEGRING_REALM_DIR/kdc.log" || true
}

expect_grep() { # WHAT PATTERN FILE
    if grep -q -- "$2" "$3"; then ok "$1"; else fail "$1: $(cat "$3")"; fi
}

rc=0
"$LOADGEN" --users 20 --user-password user-Pass-5 --first-use 50 -n 200 -c 4 --verify --json \
    --server-pid "$RS_PID" --service HTTP/localhost "$url" >"$WORK/population.json" || rc=$?
expect_eq "negring-load exits 0" "$rc" 0
got=$("$PY" -c '
import json, sys
r = json.load(open(sys.argv[1]))
c = r["classes"]
print(r["ok"], r["failed"], r["verified"], r["users"], r["first_use_tokens"],
      r["warm_up"]["ok"], r["warm_up"]["failed"],
      c["first_use"]["ok"], c["first_use"]["failed"], c["repeat"]["ok"], c["repeat"]["failed"],
      c["first_use"]["latency_us"]["p50"] > 0, c["repeat"]["latency_us"]["max"] > 0,
      r["server_pid"] > 0, r["server_cpu_s"] >= 0)' "$WORK/population.json")
expect_eq "ok failed verified users first-uses warm-up(ok failed) first-use(ok failed) repeat(ok failed)" \
    "$got" "200 0 200 20 100 20 0 100 0 100 0 True True True True"
expect_eq "AS exchanges: one per user, one per first use" "$(issued AS_REQ)" 120
expect_eq "TGS exchanges: one per user, one per first use" "$(issued TGS_REQ)" 120

# The text report: a 10 % share of 20 handshakes is 2 first uses, each a new sign-in.
"$LOADGEN" --users 20 --user-password user-Pass-5 --first-use 10 -n 20 -c 2 \
    --service HTTP/localhost "$url" >"$WORK/population.txt" || rc=$?
expect_eq "negring-load exits 0 (text)" "$rc" 0
expect_grep "text: 2 first uses" '^first use    2 ok, 0 failed' "$WORK/population.txt"
expect_grep "text: 18 repeats" '^repeat       18 ok, 0 failed' "$WORK/population.txt"
expect_eq "TGS exchanges after the second run" "$(issued TGS_REQ)" $((120 + 20 + 2))

# The server's CPU time: ringserver's own, from /proc, over a run long enough to tick.
"$LOADGEN" -n 3000 -c 4 --server-pid "$RS_PID" --service HTTP/localhost "$url" >"$WORK/cpu.txt" ||
    rc=$?
expect_grep "text: the server's CPU per handshake" \
    "^server CPU   [1-9][0-9.]* us per handshake (pid $RS_PID and its descendants" "$WORK/cpu.txt"
rc=0
"$LOADGEN" -n 10 --server-pid 4194304 --service HTTP/localhost "$url" >/dev/null 2>&1 || rc=$?
expect_eq "--server-pid of no process: setup error" "$rc" 2

# A wrong password stops before the timed phase, naming the user.
rc=0
"$LOADGEN" --users 3 --user-password wrong -n 10 --service HTTP/localhost "$url" \
    >/dev/null 2>"$WORK/wrong.err" || rc=$?
expect_eq "wrong password: setup error" "$rc" 2
expect_grep "wrong password: the user is named" 'user user[0-9] could not sign in' "$WORK/wrong.err"

stop_server
finish
