#!/bin/bash
# What a distribution build does: rpmbuild of spec/netaccel.spec from its two source tarballs
# (netaccel, lwIP), compiling everything, as an unprivileged user (nobody) in a network
# namespace of its own with nothing but loopback: no root, no network, no download.
#   rpm_offline.sh SOURCE_DIR OUT BUILD_DIR
set -uo pipefail
SRC=$1 OUT=$2 BUILD=$3
command -v rpmbuild >/dev/null || { echo "SKIP: rpmbuild not installed"; exit 77; }
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root to drop to nobody and unshare the network"; exit 77; }
work=$(mktemp -d /tmp/netaccel-offline.XXXXXX)
trap 'rm -rf "$work"' EXIT
chown nobody "$work"
# The source tree and the lwIP tree the suite's build fetched, copied where nobody reads them.
mkdir "$work/src"
tar -C "$SRC" --exclude=./build --exclude='./build-*' --exclude=./.git -c . | tar -C "$work/src" -x
cp -r "$BUILD/third_party/lwip" "$work/lwip"
chown -R nobody "$work/src" "$work/lwip"
unshare --net -- runuser -u nobody -- env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$work" TMPDIR="$work" \
  LWIP_SOURCE_DIR="$work/lwip" sh -c 'ip -o link show | grep -qv " lo:" && { echo "network visible"; exit 3; }
    exec "$0/spec/build-rpm.sh" "$1/rpm"' "$work/src" "$work" > "$OUT.offline.log" 2>&1
rc=$?
[ $rc -eq 0 ] || { tail -40 "$OUT.offline.log"; echo "FAIL: offline rpmbuild as nobody exited $rc"; exit 1; }
for p in netaccel netaccel-fwd netaccel-sockmap netaccel-iptables netaccel-agent netaccel-selinux libgazelle libgazelle-dpdk libgazelle-devel; do
  ls "$work/rpm/$p-0"*.rpm >/dev/null 2>&1 || { echo "FAIL: no $p package"; exit 1; }
done
echo "offline rpm build as nobody: $(ls "$work/rpm" | tr '\n' ' ')"
