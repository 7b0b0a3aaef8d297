#!/bin/bash
# systemd-analyze verify of the unit as the RPM installs it, in a root that has what the unit
# refers to (the host's own units, /bin/sh, our binaries); then the exposure score.
set -euo pipefail
OUT=$1
command -v systemd-analyze >/dev/null || { echo "SKIP: no systemd-analyze"; exit 77; }
root=$(mktemp -d /tmp/netaccel-verify.XXXXXX)
trap 'rm -rf "$root"' EXIT
(cd "$root" && for r in "$OUT"/rpm/netaccel-0*.rpm "$OUT"/rpm/netaccel-fwd-0*.rpm "$OUT"/rpm/netaccel-sockmap-0*.rpm "$OUT"/rpm/netaccel-iptables-0*.rpm "$OUT"/rpm/netaccel-agent-0*.rpm; do rpm2cpio "$r" | cpio -idm --quiet; done)
mkdir -p "$root/bin" "$root/usr/lib/systemd/system"
cp /bin/sh "$root/bin/sh"
cp -rn /lib/systemd/system/* "$root/usr/lib/systemd/system/"
for unit in netaccel-fwd.service netaccel-sockmap.service netaccel-iptables.service netaccel-agent.service; do
  systemd-analyze verify --man=no --root="$root" /usr/lib/systemd/system/$unit
  echo "systemd-analyze verify $unit: ok"
  systemd-analyze security --offline=yes "$root/usr/lib/systemd/system/$unit" | tail -1
done
