#!/bin/bash
# rpmbuild -bb of spec/netaccel.spec, packaging the suite's own build tree (--prebuilt: the
# compile is the build's, not done twice), yields the packages with their files and scriptlets.
# (package.rpm_offline builds the same spec from the source tarballs alone.)
#   rpm_build.sh SOURCE_DIR OUT BUILD_DIR
set -euo pipefail
SRC=$1 OUT=$2 BUILD=$3
command -v rpmbuild >/dev/null || { echo "SKIP: rpmbuild not installed"; exit 77; }
rm -rf "$OUT/rpm"
"$SRC/spec/build-rpm.sh" --prebuilt "$BUILD" "$OUT/rpm" > "$OUT.rpmbuild.log" 2>&1 || { tail -40 "$OUT.rpmbuild.log"; exit 1; }
fail=0
for p in netaccel netaccel-fwd netaccel-sockmap netaccel-iptables netaccel-agent netaccel-policy netaccel-selinux libgazelle libgazelle-dpdk libgazelle-devel; do
  ls "$OUT/rpm/$p-0"*.rpm >/dev/null 2>&1 || { echo "FAIL: no $p package"; fail=1; }
done
# A service package ships its daemon, unit, bus policy and config, and its uninstall purges.
service_pkg() {  # PACKAGE DAEMON BUS_SUFFIX CONF [MORE_FILES...]
  local pkg=$1 daemon=$2 bus=$3 conf=$4
  shift 4
  local rpm files scripts
  rpm=$(ls "$OUT"/rpm/"$pkg"-0*.rpm)
  files=$(rpm -qpl "$rpm")
  scripts=$(rpm -qp --scripts "$rpm")
  for f in /usr/sbin/"$daemon" /usr/lib/systemd/system/"$pkg".service \
           /usr/share/dbus-1/system.d/org.openeuler.NetAccel1."$bus".conf /etc/netaccel/"$conf" "$@"; do
    grep -qx "$f" <<<"$files" || { echo "FAIL: $f not in $pkg"; fail=1; }
  done
  grep -q "$daemon --purge" <<<"$scripts" || { echo "FAIL: $pkg uninstall does not purge"; fail=1; }
}
service_pkg netaccel-fwd netaccel-fwd Fwd fwd.conf
service_pkg netaccel-sockmap netaccel-sockmap Sockmap sockmap.conf
service_pkg netaccel-iptables netaccel-iptablesd Iptables iptables.conf \
  /usr/sbin/netaccel-iptables-restore /usr/sbin/netaccel-iptables-save /usr/sbin/netaccel-iptables
service_pkg netaccel-policy netaccel-policy Policy policy.conf
service_pkg netaccel-agent netaccel-agent Agent agent.conf /usr/libexec/cni/netaccel /opt/cni/bin/netaccel /etc/cni/net.d/87-netaccel.conflist.sample
fwd_scripts=$(rpm -qp --scripts "$(ls "$OUT"/rpm/netaccel-fwd-0*.rpm)")
grep -q '%systemd' <<<"$fwd_scripts" && { echo "FAIL: systemd macros left unexpanded"; fail=1; }
grep -q 'systemctl --no-reload preset netaccel-fwd.service' <<<"$fwd_scripts" || { echo "FAIL: no preset in %post"; fail=1; }
# File lists are read into variables first: `rpm -qpl | grep -q` under pipefail fails
# whenever grep exits before rpm has written everything (SIGPIPE).
files_of() { rpm -qpl "$(ls "$OUT"/rpm/"$1"-0*.rpm)"; }
dpdk_files=$(files_of libgazelle-dpdk)
grep -qx /usr/share/gazelle/gazelle_steer.bpf.o <<<"$dpdk_files" || { echo "FAIL: steering object not in libgazelle-dpdk"; fail=1; }
gz_files=$(files_of libgazelle)
for f in /usr/lib64/libgazelle.so.0 /usr/bin/gazellectl /etc/gazelle/lstack.conf; do
  grep -qx "$f" <<<"$gz_files" || { echo "FAIL: $f not in libgazelle"; fail=1; }
done
devel_files=$(files_of libgazelle-devel)
for f in /usr/include/gazelle/gazelle.h /usr/include/gazelle/stats_abi.h /usr/lib64/libgazelle.so; do
  grep -qx "$f" <<<"$devel_files" || { echo "FAIL: $f not in libgazelle-devel"; fail=1; }
done
# Every shipped binary has its man page in the package that ships it (compressed or not).
man_in() { grep -q "^/usr/share/man/man$3/$2\.$3" <<<"$(files_of "$1")" || { echo "FAIL: $2($3) not in $1"; fail=1; }; }
man_in netaccel netaccelctl 8
man_in netaccel-fwd netaccel-fwd 8
man_in netaccel-sockmap netaccel-sockmap 8
man_in netaccel-agent netaccel-agent 8
man_in netaccel-policy netaccel-policy 8
man_in netaccel-agent netaccel-cni 8
for m in netaccel-iptablesd netaccel-iptables netaccel-iptables-restore netaccel-iptables-save netaccel-ip6tables \
         netaccel-ip6tables-restore netaccel-ip6tables-save; do man_in netaccel-iptables $m 8; done
man_in libgazelle gazellectl 8
man_in libgazelle lstack.conf 5
[ $fail -eq 0 ] && echo "rpm build: $(ls "$OUT/rpm" | tr '\n' ' ')"
exit $fail
