#!/usr/bin/env bash
# farm_test.sh: the scale-out tests (farm_test.py) against a throwaway realm: three ringserver
# nodes behind HAProxy, each started and stopped by the Python test (farm.py).
source "$(dirname "$0")/lib.sh"
start_realm
"$NEGRING_USER_TOOL" add --db "$WORK/users" 'NEGRING\alice' <<<"$NEGRING_USER_PASSWORD" >/dev/null
export RS_WORK="$WORK"
if ! PYTHONPATH="$HERE" "$PY" "$HERE/farm_test.py"; then
    fail "farm_test.py"
    for f in "$WORK"/node*.log "$WORK"/haproxy.log; do
        echo "---- $f ----" >&2
        tail -n 15 "$f" >&2
    done
fi
finish
