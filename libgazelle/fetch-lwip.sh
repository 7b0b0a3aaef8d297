#!/bin/bash
# Fetches the distribution's lwIP source package into OUTDIR/lwip (never copied into this
# repository): `apt-get source` on Debian, `dnf download --source` on openEuler.
#   fetch-lwip.sh OUTDIR
set -euo pipefail
out=$1
[ -f "$out/lwip/src/Filelists.cmake" ] && exit 0
work=$(mktemp -d "$out.fetch.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
if command -v apt-get >/dev/null; then
  apt-get source -qq lwip >/dev/null 2>&1 || { echo "fetch-lwip: 'apt-get source lwip' failed (deb-src entries? scripts/install-deps.sh adds them)" >&2; exit 1; }
elif command -v dnf >/dev/null; then
  dnf download -q --source lwip >/dev/null
  rpm2cpio ./lwip-*.src.rpm | cpio -idm --quiet
  for t in ./*.tar.* ./*.zip; do [ -f "$t" ] && { tar xf "$t" 2>/dev/null || unzip -q "$t"; }; done
else
  echo "fetch-lwip: no apt-get or dnf" >&2
  exit 1
fi
dir=$(dirname "$(find . -path '*/src/Filelists.cmake' | head -1)")
[ -n "$dir" ] && [ "$dir" != . ] || { echo "fetch-lwip: no lwIP tree in the source package" >&2; exit 1; }
mkdir -p "$out"
rm -rf "$out/lwip"
mv "$(dirname "$dir")" "$out/lwip"
echo "fetch-lwip: $(basename "$(dirname "$dir")") -> $out/lwip"
