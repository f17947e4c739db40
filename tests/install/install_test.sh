#!/usr/bin/env bash
# The build tree installed into a temporary prefix (cmake --install) as a user would install it,
# then used from outside: libnegring.so and libnegring.a export exactly the public ABI
# (core/libnegring.map), a program builds against them with pkg-config (shared and --static) and
# with CMake's find_package(negring) and runs an NTLM handshake, the installed negring-user writes
# its account file, and the installed ringserver checks the installed configuration against a
# throwaway realm's keytab.
# usage: install_test.sh BUILD_DIR
set -euo pipefail
build=$1
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix

cmake --install "$build" --prefix "$prefix" >/dev/null
libdir=$(dirname "$(find "$prefix" -name negring.pc)")/..
export PKG_CONFIG_PATH=$libdir/pkgconfig LD_LIBRARY_PATH=$libdir

# The exported ABI: the map's names, no more, no less, in both libraries.
sed -n 's/^ *\([A-Za-z_][A-Za-z0-9_]*\);$/\1/p' "$root/core/libnegring.map" | sort >"$work/abi"
nm -D --defined-only "$libdir/libnegring.so" | awk '$2 == "T" {sub(/@.*/, "", $3); print $3}' |
  sort >"$work/shared"
nm -g --defined-only "$libdir/libnegring.a" | awk 'NF == 3 && $2 ~ /[TDBR]/ {print $3}' |
  sort >"$work/static"
diff -u "$work/abi" "$work/shared"
diff -u "$work/abi" "$work/static"
objdump -p "$libdir/libnegring.so" | grep 'SONAME *libnegring.so.0' >/dev/null
echo "exports: $(wc -l <"$work/abi") public functions, nothing else (shared and static)"

# An account for the consumer's handshake, written by the installed tool.
printf 'Secret1\n' | "$prefix/sbin/negring-user" add --db "$work/users" 'EXAMPLE\alice'

src=$root/tests/install/consumer
# shellcheck disable=SC2046
cc -Wall -Werror -o "$work/consumer-pc" "$src/consumer.c" $(pkg-config --cflags --libs negring)
# shellcheck disable=SC2046
cc -Wall -Werror -o "$work/consumer-static" "$src/consumer.c" \
  $(pkg-config --cflags negring) "$libdir/libnegring.a" $(pkg-config --static --libs-only-l --libs-only-other negring | sed 's/-lnegring//')
cmake -S "$src" -B "$work/cmake" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$work/cmake" >/dev/null
for consumer in "$work/consumer-pc" "$work/consumer-static" "$work/cmake/consumer"; do
  out=$("$consumer" "$work/users")
  [[ $out == 'ok EXAMPLE\alice' ]] || { echo "$consumer printed: $out" >&2; exit 1; }
done
ldd "$work/consumer-pc" | grep -F "$libdir/libnegring.so.0" >/dev/null
! ldd "$work/consumer-static" | grep libnegring >/dev/null
echo "consumers: pkg-config (shared), pkg-config --static, find_package: all authenticated alice"

# The installed daemon with the installed configuration, against a throwaway realm's keytab.
env_file=$("$root/scripts/realm.sh" start "$work/realm")
trap '"$root/scripts/realm.sh" stop "$work/realm" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
# shellcheck disable=SC1090
source "$env_file"
"$prefix/sbin/ringserver" --version
"$prefix/sbin/ringserver" --config "$prefix/etc/negring/ringserver.conf" --keytab "$KRB5_KTNAME" \
  --check
echo "installed ringserver accepts its installed configuration"
