#!/usr/bin/env bash
# Each worker prepares its thread's Kerberos state before it serves anyone
# (SECPKG_CRED_ATTR_NEGRING_PREPARE_THREAD), and "listening" is logged only after every worker
# has. Shown with strace attached to the running server: the first Kerberos accept on each
# worker makes no krb5_context, so nothing on a worker thread looks krb5.conf up with access(2)
# as krb5_init_context does (libkrb5's own once-a-second modification check of an open profile,
# a stat(2), may remain). A worker that made its context on its first accept shows the access
# calls. strace's attach is the control: the SIGHUP key reload on the main thread must show up
# as the keytab's open. Exit 77 (skipped) when ptrace is not allowed here.
source "$(dirname "$0")/lib.sh"
command -v strace >/dev/null || { echo "strace missing (scripts/setup.sh)"; exit 77; }
start_realm
cp -p "$KRB5_CONFIG" "$WORK/server-krb5.conf"
KRB5_CONFIG="$WORK/server-krb5.conf" start_server --listen 127.0.0.1:0 --workers 2
grep -q 'event=prepare_failed' "$WORK/server.log" && fail "a worker could not prepare"
tasks=$(ls "/proc/$RS_PID/task" | paste -sd,)
strace -f -qq -p "$tasks" -e trace=access,openat,newfstatat -o "$WORK/trace" 2>"$WORK/strace.err" &
ST=$!
for ((i = 0; i < 100; i++)); do
    [[ $(awk '/^TracerPid/ { print $2 }' "/proc/$RS_PID/status") != 0 ]] && break
    sleep 0.02
done
if [[ $(awk '/^TracerPid/ { print $2 }' "/proc/$RS_PID/status") == 0 ]]; then
    kill "$ST" 2>/dev/null || true
    stop_server
    echo "cannot ptrace here: $(head -c 200 "$WORK/strace.err")"
    exit 77
fi
sleep 0.3 # the other threads' attach
ok=0
for ((i = 0; i < 16; i++)); do # fresh connections: both workers take some
    code=$(curl -s -o /dev/null -w '%{http_code}' --negotiate -u : "http://localhost:$PORT/")
    [[ $code == 200 ]] && ok=$((ok + 1))
done
expect_eq "16 Kerberos logins under strace" "$ok" 16
kill -HUP "$RS_PID"
for ((i = 0; i < 100; i++)); do
    grep -q 'event=reload' "$WORK/server.log" && break
    sleep 0.02
done
sleep 0.2
kill -INT "$ST" 2>/dev/null || true
wait "$ST" || true
grep -q 'service.keytab' "$WORK/trace" && ok "strace saw the reload's keytab open" ||
    fail "strace saw nothing: $(head -c 300 "$WORK/trace")"
if grep -q "access(\"$WORK/server-krb5.conf\"" "$WORK/trace"; then
    fail "a worker made its krb5_context on an accept: $(grep access "$WORK/trace" | head -3)"
else
    ok "no krb5_init_context on a worker thread after listening"
fi
stop_server
finish
