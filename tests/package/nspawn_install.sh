#!/bin/bash
# Boots systemd as PID 1 in systemd-nspawn on a Debian tree, installs the RPMs with rpm, and
# checks netaccel-fwd as an administrator would: enable --now, busctl, a denied call from
# nobody, restart keeps the data path, disable --now leaves no pins, rpm -e; the same for
# netaccel-sockmap, netaccel-agent (apply, state across restart, nobody denied, purge on erase) and
# netaccel-policy (follows the agent, nobody denied, pins gone on disable).
set -uo pipefail
OUT=$1
command -v systemd-nspawn >/dev/null || { echo "SKIP: systemd-nspawn not installed (systemd-container)"; exit 77; }
command -v debootstrap >/dev/null || { echo "SKIP: debootstrap not installed"; exit 77; }
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root"; exit 77; }
ROOT=${NETACCEL_NSPAWN_ROOT:-/var/cache/netaccel-test/rootfs}
# The shared libraries the installed binaries link (rpm -i --nodeps does not pull them in).
RUNTIME_LIBS=libbpf1,libnl-3-200,libnl-route-3-200,libiniparser1,libyaml-cpp0.7,libcurl4
"$(dirname "$0")/../lib/debian-rootfs.sh" "$ROOT" "$RUNTIME_LIBS" "$OUT" || exit 1

PAY=$(mktemp -d /tmp/netaccel-nspawn.XXXXXX)
BPF=/sys/fs/bpf/netaccel-nspawn-$$
cleanup() { rm -rf "$PAY"; rm -rf "$BPF" 2>/dev/null; }
trap cleanup EXIT
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
mkdir -p "$BPF" "$PAY/out"
cp "$OUT"/rpm/netaccel-0*.rpm "$OUT"/rpm/netaccel-fwd-0*.rpm "$OUT"/rpm/netaccel-sockmap-0*.rpm "$OUT"/rpm/netaccel-agent-0*.rpm \
  "$OUT"/rpm/netaccel-policy-0*.rpm "$PAY/"

cat > "$PAY/run-inside.sh" <<'INSIDE'
#!/bin/bash
exec > /payload/out/log 2>&1
set -x
O=/payload/out
B="org.openeuler.NetAccel1.Fwd /org/openeuler/NetAccel1/Fwd org.openeuler.NetAccel1.Fwd"
rpm -ivh --nodeps /payload/*.rpm; echo $? > $O/install
ip link add vtest0 type veth peer name vtest1 && ip link set vtest0 up && ip link set vtest1 up
printf '[fwd]\ninterfaces = vtest0\n' > /etc/netaccel/fwd.conf
systemctl enable --now netaccel-fwd.service; echo $? > $O/enable
systemctl is-active netaccel-fwd.service > $O/active
systemctl status netaccel-fwd.service --no-pager > $O/status-unit 2>&1
busctl call $B ListInterfaces > $O/list
busctl get-property $B Version > $O/version
busctl introspect org.openeuler.NetAccel1.Fwd /org/openeuler/NetAccel1/Fwd > $O/introspect
runuser -u nobody -- busctl call $B ListInterfaces > $O/nobody-read; echo "rc=$?" >> $O/nobody-read
runuser -u nobody -- busctl call $B Detach s vtest0 > $O/nobody-change 2>&1; echo "rc=$?" >> $O/nobody-change
netaccelctl fwd status > $O/status 2>&1
ls /sys/fs/bpf/netaccel/fwd > $O/pins-running
systemctl restart netaccel-fwd.service
sleep 1
busctl call $B ListInterfaces > $O/list-after-restart
journalctl -b -u netaccel-fwd.service --no-pager > $O/journal
systemctl disable --now netaccel-fwd.service
sleep 1
ls -A /sys/fs/bpf/netaccel/ > $O/pins-after-disable 2>&1
ip -d link show vtest0 > $O/link-after-disable
S="org.openeuler.NetAccel1.Sockmap /org/openeuler/NetAccel1/Sockmap org.openeuler.NetAccel1.Sockmap"
systemctl enable --now netaccel-sockmap.service; echo $? > $O/sm-enable
busctl call $S ListCgroups > $O/sm-list
runuser -u nobody -- busctl call $S Disable s /sys/fs/cgroup > $O/sm-nobody 2>&1; echo "rc=$?" >> $O/sm-nobody
ls /sys/fs/bpf/netaccel/sockmap > $O/sm-pins-running 2>&1
journalctl -b -u netaccel-sockmap.service --no-pager > $O/sm-journal
systemctl disable --now netaccel-sockmap.service
sleep 1
ls -A /sys/fs/bpf/netaccel/ > $O/sm-pins-after-disable 2>&1
systemctl enable --now netaccel-agent.service; echo $? > $O/ag-enable
printf 'apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n' > /tmp/ns.yaml
netaccelctl apply -f /tmp/ns.yaml > $O/ag-apply 2>&1
systemctl restart netaccel-agent.service
netaccelctl get ns shop > $O/ag-get 2>&1
runuser -u nobody -- netaccelctl apply -f /tmp/ns.yaml > $O/ag-nobody 2>&1; echo "rc=$?" >> $O/ag-nobody
ls /var/lib/netaccel/agent > $O/ag-state 2>&1
journalctl -b -u netaccel-agent.service --no-pager > $O/ag-journal
P="org.openeuler.NetAccel1.Policy /org/openeuler/NetAccel1/Policy org.openeuler.NetAccel1.Policy"
systemctl enable --now netaccel-policy.service; echo $? > $O/po-enable
printf 'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny, namespace: shop}\nspec: {podSelector: {}}\n' > /tmp/np.yaml
netaccelctl apply -f /tmp/np.yaml > $O/po-apply 2>&1
for i in $(seq 1 50); do busctl get-property $P PolicyCount | grep -q 'u 1' && break; sleep 0.1; done
busctl get-property $P PolicyCount > $O/po-count 2>&1
runuser -u nobody -- busctl call $P ListIdentities > $O/po-nobody-read 2>&1; echo "rc=$?" >> $O/po-nobody-read
runuser -u nobody -- busctl call $P Resync > $O/po-nobody 2>&1; echo "rc=$?" >> $O/po-nobody
ls /sys/fs/bpf/netaccel/policy > $O/po-pins-running 2>&1
journalctl -b -u netaccel-policy.service --no-pager > $O/po-journal
systemctl disable --now netaccel-policy.service
sleep 1
ls -A /sys/fs/bpf/netaccel/policy > $O/po-pins-after-disable 2>&1
rpm -e netaccel-policy; echo $? > $O/po-erase
rpm -e netaccel-agent; echo $? > $O/ag-erase
ls -A /var/lib/netaccel/agent > $O/ag-state-after 2>&1
rpm -e netaccel-sockmap netaccel-fwd netaccel; echo $? > $O/erase
echo done > $O/done
INSIDE
chmod +x "$PAY/run-inside.sh"
cat > "$PAY/payload.service" <<'UNIT'
[Unit]
Description=netaccel package test payload
After=multi-user.target dbus.service
[Service]
Type=oneshot
ExecStart=/payload/run-inside.sh
ExecStopPost=/bin/systemctl poweroff --no-block
UNIT

timeout 180 systemd-nspawn -q -D "$ROOT" --register=no --keep-unit --volatile=overlay --private-network \
  --capability=CAP_NET_ADMIN,CAP_BPF,CAP_SYS_ADMIN,CAP_PERFMON,CAP_SYS_RESOURCE,CAP_SYS_PTRACE --system-call-filter=bpf \
  --bind="$BPF":/sys/fs/bpf --bind="$PAY":/payload --bind-ro="$PAY/payload.service":/etc/systemd/system/payload.service \
  --console=read-only -b -- systemd.wants=payload.service > "$PAY/out/console.log" 2>&1
echo "nspawn exit: $?"
O=$PAY/out
fail=0
check() {  # description, command
  if eval "$2"; then echo "ok   $1"; else echo "FAIL $1"; fail=1; fi
}
check "payload ran to the end" "[ -f $O/done ]"
check "rpm -i succeeded" "grep -qx 0 $O/install"
check "systemctl enable --now succeeded" "grep -qx 0 $O/enable"
check "service active" "grep -qx active $O/active"
check "busctl ListInterfaces shows the configured veth" "grep -q vtest0 $O/list"
check "busctl reads Version" "grep -q '0.1.0' $O/version"
check "introspection lists Attach" "grep -q '.Attach' $O/introspect"
check "nobody may read" "grep -q 'rc=0' $O/nobody-read"
check "nobody may not change" "grep -q 'Access denied' $O/nobody-change && grep -q 'rc=1' $O/nobody-change"
check "netaccelctl status" "grep -q '1 interfaces attached' $O/status"
check "links and maps pinned while running" "grep -q link_ $O/pins-running && grep -q fwd_ifaces $O/pins-running"
check "restart adopts the pinned data path" "grep -q 'adopted vtest0' $O/journal && grep -q vtest0 $O/list-after-restart"
check "disable --now leaves no pins" "[ ! -s $O/pins-after-disable ] || grep -q 'No such file' $O/pins-after-disable"
check "disable --now detaches" "! grep -q 'tcx\\|xdp' $O/link-after-disable"
check "sockmap: enable --now succeeded" "grep -qx 0 $O/sm-enable"
check "sockmap: the whole node (cgroup v2 root) is enabled by default" "grep -q '\"/sys/fs/cgroup' $O/sm-list"
check "sockmap: nobody may not change" "grep -q 'Access denied' $O/sm-nobody"
check "sockmap: links and maps pinned while running" "grep -q link_msg $O/sm-pins-running && grep -q sm_sockets $O/sm-pins-running"
check "sockmap: disable --now leaves no pins" "[ ! -s $O/sm-pins-after-disable ] || grep -q 'No such file' $O/sm-pins-after-disable"
check "agent: enable --now succeeded" "grep -qx 0 $O/ag-enable"
check "agent: netaccelctl apply creates" "grep -q 'namespace/shop created' $O/ag-apply"
check "agent: the object survives a restart" "grep -q '^shop ' $O/ag-get"
check "agent: nobody may not apply" "grep -q 'AccessDenied' $O/ag-nobody && grep -q 'rc=1' $O/ag-nobody"
check "agent: state in /var/lib/netaccel/agent" "grep -q objects.yaml $O/ag-state"
check "policy: enable --now succeeded" "grep -qx 0 $O/po-enable"
check "policy: follows the agent (a policy applied there is counted)" "grep -q 'u 1' $O/po-count"
check "policy: nobody may read" "grep -q 'rc=0' $O/po-nobody-read"
check "policy: nobody may not resync" "grep -q 'Access denied' $O/po-nobody && grep -q 'rc=1' $O/po-nobody"
check "policy: maps pinned while running" "grep -q pol_version $O/po-pins-running"
check "policy: disable --now leaves no pins" "[ ! -s $O/po-pins-after-disable ] || grep -q 'No such file' $O/po-pins-after-disable"
check "policy: rpm -e succeeded" "grep -qx 0 $O/po-erase"
check "agent: rpm -e removes its state" "grep -qx 0 $O/ag-erase && grep -q 'No such file' $O/ag-state-after"
check "rpm -e succeeded" "grep -qx 0 $O/erase"
if [ $fail -ne 0 ]; then
  echo "---- payload log"; tail -60 $O/log
  echo "---- unit status"; cat $O/status-unit 2>/dev/null
  echo "---- journal"; tail -30 $O/journal 2>/dev/null
  echo "---- sockmap journal"; tail -20 $O/sm-journal 2>/dev/null
  echo "---- agent journal"; tail -20 $O/ag-journal 2>/dev/null; cat $O/ag-apply $O/ag-get 2>/dev/null
  echo "---- policy journal"; tail -20 $O/po-journal 2>/dev/null; cat $O/po-apply $O/po-count 2>/dev/null
  echo "---- console"; tail -30 $O/console.log
fi
exit $fail
