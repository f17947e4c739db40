#!/usr/bin/env bash
# The man pages (docs/man/) render without a groff warning and keep up with the programs: every
# option ringserver --help, negring-load --help and negring-squid-auth --help print, and every
# negring-user command, is described in its page.
# usage: man_pages_test.sh RINGSERVER NEGRING_LOAD NEGRING_USER NEGRING_SQUID_AUTH
set -euo pipefail
man=$(cd "$(dirname "$0")/../../docs/man" && pwd)
status=0

for page in "$man"/*.[18]; do
  warnings=$(groff -man -ww -z "$page" 2>&1)
  [[ -z $warnings ]] || { echo "$page: $warnings" >&2; status=1; }
done

# Each --option of a program's help must appear in its page (roff writes '-' as '\-').
covers() { # PAGE OPTION...
  local page=$1 option
  shift
  for option in "$@"; do
    grep -qF -- "${option//-/\\-}" "$page" || { echo "$(basename "$page") lacks $option" >&2; status=1; }
  done
}
mapfile -t rs < <("$1" --help 2>&1 | grep -oE -- '^ +--[a-z0-9-]+' | tr -d ' ' | sort -u)
mapfile -t load < <("$2" --help 2>&1 | grep -oE -- '--[a-z0-9-]+' | sort -u)
mapfile -t user < <("$3" --help 2>&1 | grep -oE '(add|disable|enable|remove|list|--db)' | sort -u)
mapfile -t squid < <("$4" --help 2>&1 | grep -oE -- '(^| )-(-[a-z0-9-]+|[a-z])' | tr -d ' ' | sort -u)
[[ ${#rs[@]} -gt 20 && ${#load[@]} -gt 15 && ${#user[@]} -eq 6 && ${#squid[@]} -gt 10 ]] ||
  { echo "could not read the programs' help" >&2; exit 1; }
covers "$man/ringserver.8" "${rs[@]}"
covers "$man/negring-load.1" "${load[@]}"
covers "$man/negring-user.8" "${user[@]}"
covers "$man/negring-squid-auth.8" "${squid[@]}"
[[ $status -eq 0 ]] &&
  echo "man pages: ${#rs[@]} + ${#load[@]} + ${#user[@]} + ${#squid[@]} options covered, no groff warning"
exit $status
