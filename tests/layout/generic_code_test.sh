#!/usr/bin/env bash
# No generic file of the core names a specific mechanism: sspi/, negotiate/ and context/ reach
# Kerberos and NTLM only through their tables. The tables that register them are the exceptions:
# negotiate/mechanisms.c (the mechanisms) and context/packages.[ch] (their SSPI packages).
# Comments may name them; code may not.
set -euo pipefail
core=$(cd "$(dirname "$0")/../../core" && pwd)
pattern='NG_MECH_(KRB5|KRB5_MS|NTLM)\b|NG_PKG_(KERBEROS|NTLM)\b|\b(ng_)?(krb5|ntlm)_[a-z0-9_]+|<krb5/'
status=0
for f in "$core"/sspi/*.[ch] "$core"/negotiate/*.[ch] "$core"/context/*.[ch]; do
  case "$f" in */negotiate/mechanisms.c | */context/packages.[ch]) continue ;; esac
  # Drop comments (block and line) before looking.
  hits=$(sed -e 's://.*$::' "$f" | perl -0pe 's:/\*.*?\*/::gs' | grep -nE "$pattern" || true)
  if [[ -n $hits ]]; then
    echo "${f#"$core"/} names a mechanism:" >&2
    echo "$hits" >&2
    status=1
  fi
done
[[ $status -eq 0 ]] && echo "generic code names no mechanism"
exit $status
