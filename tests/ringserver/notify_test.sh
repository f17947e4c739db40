#!/usr/bin/env bash
# The service manager's notify protocol (systemd Type=notify) against a socket this test listens
# on, as systemd would: READY=1 once listening, RELOADING=1 (with MONOTONIC_USEC) and READY=1
# around a SIGHUP reload, STOPPING=1 on SIGTERM; the same over an abstract socket ("@name");
# nothing sent and no harm done without NOTIFY_SOCKET.
source "$(dirname "$0")/lib.sh"
start_realm

listen_and_run() { # NOTIFY_SOCKET value, socket file to bind (or "" for abstract)
    "$PY" - "$1" "$RINGSERVER" "$KRB5_KTNAME" <<'PY'
import os, signal, socket, subprocess, sys, time
name, server, keytab = sys.argv[1:4]
sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
sock.bind("\0" + name[1:] if name.startswith("@") else name)
sock.settimeout(10)
env = dict(os.environ, NOTIFY_SOCKET=name)
proc = subprocess.Popen([server, "--listen", "127.0.0.1:0", "--workers", "1", "--keytab", keytab],
                        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
def next_state():
    return dict(line.split("=", 1) for line in sock.recv(4096).decode().split("\n") if line)
try:
    first = next_state()
    assert first.get("READY") == "1", first
    proc.send_signal(signal.SIGHUP)
    reloading = next_state()
    assert reloading.get("RELOADING") == "1", reloading
    usec = int(reloading["MONOTONIC_USEC"])
    assert abs(usec - time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000) < 10_000_000, usec
    assert next_state().get("READY") == "1"
    proc.send_signal(signal.SIGTERM)
    assert next_state().get("STOPPING") == "1"
    assert proc.wait(10) == 0
finally:
    proc.kill()
print("notify ok: " + name)
PY
}
out=$(listen_and_run "$WORK/notify.sock") && ok "$out" || fail "path socket: $out"
out=$(listen_and_run "@negring-notify-$$") && ok "$out" || fail "abstract socket: $out"

# Without NOTIFY_SOCKET the server starts and stops as always.
start_server --listen 127.0.0.1:0 --workers 1
stop_server
finish
