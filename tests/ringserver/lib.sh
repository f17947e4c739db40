# Shared by the ringserver tests (sourced): a throwaway realm, a ringserver on free loopback
# ports, and cleanup. Needs RINGSERVER (the binary) and REALM_SH (scripts/realm.sh) in the
# environment (tests/ringserver/CMakeLists.txt sets both).
set -euo pipefail

PY=/usr/bin/python3 # Debian's python3 (python3-gssapi), not a pyenv shim
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ringserver-test.XXXXXX")
RS_PID=
FAILS=0

cleanup() {
    local rc=$?
    if [[ -n $RS_PID ]] && kill -0 "$RS_PID" 2>/dev/null; then
        kill -KILL "$RS_PID" 2>/dev/null || true
    fi
    "$REALM_SH" stop "$WORK/realm" >/dev/null 2>&1 || true
    if [[ $rc -ne 0 || $FAILS -ne 0 ]]; then
        echo "---- ringserver log ----" >&2
        tail -n 40 "$WORK/server.log" >&2 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

fail() {
    echo "FAIL: $*" >&2
    FAILS=$((FAILS + 1))
}

ok() {
    echo "ok: $*"
}

expect_eq() { # what got want
    if [[ "$2" == "$3" ]]; then ok "$1"; else fail "$1: got '$2', want '$3'"; fi
}

start_realm() {
    NEGRING_REALM_WATCH_PID=$$ "$REALM_SH" start "$WORK/realm" >/dev/null
    # shellcheck disable=SC1091
    . "$WORK/realm/env"
}

# start_server ARGS...: runs ringserver with the realm's keytab, waits until every listener is
# announced, and sets PORTS (array, in --listen order) and RS_PID. With RS_NOFILE set, the
# server runs with that descriptor limit (soft and hard), or with the hard limit if lower. With
# RS_LOG_APPEND set, server.log is opened for appending (the rings write it) instead of plainly
# (each line is a write(2)); either way it is emptied first.
start_server() {
    local nl=0 a limit=()
    for a in "$@"; do [[ $a == --listen* ]] && nl=$((nl + 1)); done
    [[ $nl -gt 0 ]] || nl=1
    if [[ -n ${RS_NOFILE:-} ]]; then # lowered only: a hard limit cannot be raised
        local n=$RS_NOFILE hard
        hard=$(ulimit -Hn)
        [[ $hard == unlimited || $hard -ge $n ]] || n=$hard
        limit=(prlimit "--nofile=$n:$n")
    fi
    if [[ -n ${RS_LOG_APPEND:-} ]]; then
        : >"$WORK/server.log"
        "${limit[@]}" "$RINGSERVER" --keytab "$KRB5_KTNAME" "$@" 2>>"$WORK/server.log" &
    else
        "${limit[@]}" "$RINGSERVER" --keytab "$KRB5_KTNAME" "$@" 2>"$WORK/server.log" &
    fi
    RS_PID=$!
    local i
    for ((i = 0; i < 200; i++)); do
        [[ $(grep -c 'event=listening' "$WORK/server.log" 2>/dev/null || true) -ge $nl ]] && break
        kill -0 "$RS_PID" 2>/dev/null || {
            cat "$WORK/server.log" >&2
            echo "ringserver exited at start" >&2
            exit 1
        }
        sleep 0.02
    done
    mapfile -t PORTS < <(grep 'event=listening' "$WORK/server.log" | sed 's/.*address=[^ ]*:\([0-9]*\) .*/\1/')
    PORT=${PORTS[0]}
}

metric() { # metric NAME_WITH_LABELS -> value on the first HTTP listener
    curl -s "http://127.0.0.1:$PORT/metrics" | awk -v m="$1" '$1 == m { print $2 }'
}

wait_metric() { # wait_metric NAME VALUE: up to 3 s for the metric to reach VALUE; prints it
    local i v
    for ((i = 0; i < 150; i++)); do
        v=$(metric "$1")
        [[ $v == "$2" ]] && break
        sleep 0.02
    done
    echo "$v"
}

# stop_server: SIGTERM, expect a clean exit (0; under ASan also no leak report).
stop_server() {
    kill -TERM "$RS_PID" 2>/dev/null || true # a test may have stopped it already
    local rc=0
    wait "$RS_PID" || rc=$?
    RS_PID=
    expect_eq "ringserver exits cleanly on SIGTERM" "$rc" 0
    if grep -q 'ERROR: \(Leak\|Address\)Sanitizer\|WARNING: ThreadSanitizer' "$WORK/server.log"; then
        fail "sanitizer report in the server log"
    fi
}

finish() {
    if [[ $FAILS -ne 0 ]]; then
        echo "$FAILS check(s) failed" >&2
        exit 1
    fi
    echo "all checks passed"
}
