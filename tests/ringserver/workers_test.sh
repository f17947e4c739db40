#!/usr/bin/env bash
# ringserver's default number of workers is the number of CPUs it may run on (its affinity: a
# container's cpuset, taskset, systemd's CPUAffinity=), not the machine's: kept to one CPU it
# runs one worker, and with this test's whole CPU set one per CPU of it.
source "$(dirname "$0")/lib.sh"
command -v taskset >/dev/null || { echo "taskset missing (util-linux)"; exit 77; }
start_realm
allowed=$(taskset -pc $$ | sed 's/.*: //')
count=$(nproc) # nproc counts the CPUs of this process's affinity
first=${allowed%%[-,]*}

taskset -pc "$first" $$ >/dev/null # the server inherits it
start_server --listen 127.0.0.1:0
expect_eq "workers when kept to CPU $first" "$(metric negring_workers)" 1
code=$(curl -s -o /dev/null -w '%{http_code}' --negotiate -u : "http://localhost:$PORT/")
expect_eq "a Kerberos login on one worker" "$code" 200
stop_server

taskset -pc "$allowed" $$ >/dev/null
start_server --listen 127.0.0.1:0
expect_eq "workers with CPUs $allowed" "$(metric negring_workers)" "$count"
stop_server

taskset -pc "$first" $$ >/dev/null
start_server --listen 127.0.0.1:0 --workers 3
expect_eq "--workers 3 whatever the affinity" "$(metric negring_workers)" 3
stop_server
finish
