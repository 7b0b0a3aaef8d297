#!/bin/bash
# The Debian tree the nspawn and container-runtime tests run (debootstrap once, cached).
#   debian-rootfs.sh ROOT EXTRA_PACKAGES(comma-separated) LOG_PREFIX
set -uo pipefail
ROOT=$1 EXTRA=$2 LOG=$3
if [ ! -x "$ROOT/lib/systemd/systemd" ]; then
  command -v debootstrap >/dev/null || { echo "debootstrap not installed"; exit 1; }
  mirror=$(sed -n 's/^URIs: //p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)
  mirror=${mirror:-http://deb.debian.org/debian}
  rm -rf "$ROOT.tmp" && mkdir -p "$(dirname "$ROOT")"
  debootstrap --variant=minbase --include=systemd,systemd-sysv,dbus,rpm,iproute2,$EXTRA \
    bookworm "$ROOT.tmp" "$mirror" > "$LOG.debootstrap.log" 2>&1 || { tail -20 "$LOG.debootstrap.log"; exit 1; }
  mv "$ROOT.tmp" "$ROOT"
fi
# A tree cached by an older version may lack a package added since.
missing=$(for l in ${EXTRA//,/ }; do chroot "$ROOT" dpkg -s "$l" >/dev/null 2>&1 || echo "$l"; done)
if [ -n "$missing" ]; then
  chroot "$ROOT" apt-get install -y --no-install-recommends $missing > "$LOG.apt.log" 2>&1 ||
    { tail -20 "$LOG.apt.log"; echo "cannot add $missing to $ROOT"; exit 1; }
  # Packages enable their services; a test starts the daemons it wants, a booted tree none.
  for unit in $(chroot "$ROOT" dpkg -L $missing 2>/dev/null | grep -E '^/lib/systemd/system/[^/]+\.service$' | xargs -rn1 basename); do
    chroot "$ROOT" systemctl disable "$unit" >/dev/null 2>&1
  done
fi
exit 0
