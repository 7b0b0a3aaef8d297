#!/bin/bash
# Installs everything netaccel needs to build, test and run its lab, on Debian 12 or openEuler.
# Idempotent: packages already present are skipped by the package manager itself.
set -euo pipefail

DEB_PKGS=(
  build-essential cmake pkg-config clang llvm bpftool libbpf-dev libxdp-dev xdp-tools
  libsystemd-dev libnl-3-dev libnl-route-3-dev libiniparser-dev libcurl4-openssl-dev etcd-server etcd-client
  libgtest-dev libgmock-dev libbenchmark-dev nlohmann-json3-dev libcli11-dev libyaml-cpp-dev dpdk-dev libdpdk-dev
  systemd dbus procps util-linux iproute2 iputils-ping ethtool iptables iperf3 python3 redis-server redis-tools socat nginx-light wrk haproxy containernetworking-plugins
  rpm cpio selinux-policy-dev checkpolicy debootstrap systemd-container dpkg-dev podman runc containerd
  gnuplot-nox chromium python3-pil
)
RPM_PKGS=(
  gcc-c++ cmake make pkgconf clang llvm bpftool libbpf-devel libxdp-devel xdp-tools
  systemd-devel libnl3-devel iniparser-devel libcurl-devel etcd
  gtest-devel gmock-devel google-benchmark-devel json-devel cli11-devel yaml-cpp-devel dpdk-devel
  systemd dbus-daemon procps-ng util-linux iproute iputils ethtool iptables iperf3 python3 redis socat nginx wrk haproxy containernetworking-plugins
  rpm-build cpio selinux-policy-devel checkpolicy systemd-container dnf-plugins-core podman runc containerd
  gnuplot python3-pillow
)
# Not in every openEuler release's repositories: the lab report's render test skips without it.
RPM_OPTIONAL=(chromium)

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: must run as root (installs packages)" >&2
  exit 1
fi

if command -v apt-get >/dev/null; then
  missing=()
  for p in "${DEB_PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  # lwIP comes as the distribution's source package (libgazelle): enable deb-src entries that
  # mirror the configured binary ones.
  src_list=/etc/apt/sources.list.d/netaccel-src.sources
  fresh_src=0
  if [ ! -f "$src_list" ] && [ -f /etc/apt/sources.list.d/debian.sources ] &&
     ! grep -qs '^Types:.*deb-src' /etc/apt/sources.list.d/debian.sources; then
    sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources > "$src_list"
    fresh_src=1
  fi
  if [ ${#missing[@]} -gt 0 ] || [ $fresh_src -eq 1 ]; then
    echo "install-deps: installing ${missing[*]}"
    apt-get update -qq
    [ ${#missing[@]} -eq 0 ] || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
elif command -v dnf >/dev/null; then
  dnf install -y -q "${RPM_PKGS[@]}"
  dnf install -y -q "${RPM_OPTIONAL[@]}" 2>/dev/null || echo "install-deps: not available here: ${RPM_OPTIONAL[*]}"
else
  echo "install-deps: neither apt-get nor dnf found; install by hand: ${DEB_PKGS[*]}" >&2
  exit 1
fi
