#!/usr/bin/env bash
# py_test.sh SCRIPT.py [ringserver args...]: starts a realm and a ringserver with the given
# arguments, runs the Python test against it (listener ports in RS_PORTS, the server's
# arguments in RS_ARGS, realm env exported),
# then stops the server with SIGTERM and checks it exits cleanly.
source "$(dirname "$0")/lib.sh"
script=$1
shift
start_realm
head -c 32 /dev/urandom >"$WORK/cookie.key"
head -c 24 /dev/urandom | base64 >"$WORK/frontend.secret"
# NTLM accounts (docs/ntlm.md) for tests that pass --user-db @WORK@/users.
if [[ -x ${NEGRING_USER_TOOL:-} ]]; then
    "$NEGRING_USER_TOOL" add --db "$WORK/users" 'NEGRING\alice' <<<"$NEGRING_USER_PASSWORD" >/dev/null
fi
# A throwaway PKI for tests whose listeners name its files (make_certs.sh).
if [[ "$*" == *@WORK@/pki/* ]]; then "$HERE/make_certs.sh" "$WORK/pki"; fi
args=()
for a in "$@"; do args+=("${a//@WORK@/$WORK}"); done
start_server "${args[@]}"
export RS_PID RS_PORTS="${PORTS[*]}" RS_WORK="$WORK" RS_LOG="$WORK/server.log" RS_ARGS="${args[*]}"
if ! PYTHONPATH="$HERE" "$PY" "$HERE/$script"; then
    fail "$script"
fi
stop_server
finish
