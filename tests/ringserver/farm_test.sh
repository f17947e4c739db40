#!/usr/bin/env bash
# farm_test.sh SCRIPT.py: a scale-out test (farm_test.py, store_test.py, ...) against a
# throwaway realm; the Python test starts and stops its own ringserver nodes, HAProxy and Redis
# (farm.py).
source "$(dirname "$0")/lib.sh"
start_realm
"$NEGRING_USER_TOOL" add --db "$WORK/users" 'NEGRING\alice' <<<"$NEGRING_USER_PASSWORD" >/dev/null
"$HERE/make_certs.sh" "$WORK/pki" # TLS passed through HAProxy to the nodes (farm_test.py)
export RS_WORK="$WORK"
if ! PYTHONPATH="$HERE" "$PY" "$HERE/$1"; then
    fail "$1"
    for f in "$WORK"/*.log; do
        echo "---- $f ----" >&2
        tail -n 15 "$f" >&2
    done
fi
finish
