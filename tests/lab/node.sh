#!/bin/bash
# The lab's node: netaccel-agent, -fwd, -sockmap and -policy from this build on one (private) bus, and
# pods made by podman through CNI (the reference bridge + host-local plugins chained with
# netaccel), or, where podman cannot run, bare network namespaces with the same plugins exec'd
# as a runtime would (the output says which and why). Shows `netaccelctl status` and
# `netaccelctl get endpoints`, sends traffic pod to pod (redis PING and ICMP) and shows that
# netaccel-fwd forwarded it; applies a NetworkPolicy (redis on TCP 6379 only) and shows redis
# still answering, a ping dropped, the drop as `netaccelctl policy monitor` reports it and the
# pod's policy in words; saves what it showed in OUT_DIR for the report, tears down.
#   node.sh SOURCE_DIR BUILD_DIR OUT_DIR
set -uo pipefail
SRC=$(cd "$1" && pwd) BUILD=$(cd "$2" && pwd) OUT=$3
P=nalab$$
DIR=/tmp/netaccel-lab-$P
PINS=/sys/fs/bpf/netaccel-lab-$P
CG=$( [ -f /sys/fs/cgroup/cgroup.subtree_control ] && echo /sys/fs/cgroup || echo /sys/fs/cgroup/unified )/netaccel-lab-$P
ROOTFS=/var/cache/netaccel-test/rootfs
NET=$P SUBNET=10.66.0.0/24 BR=${P}br
CTL="$BUILD/services/ctl/netaccelctl"
MODE= PIDS=() BARE_PODS=()
mkdir -p "$DIR/cni-bin" "$DIR/net.d" "$OUT" "$PINS" "$CG"

podman_() {
  CONTAINERS_CONF=$DIR/containers.conf podman --root "$DIR/storage" --runroot "$DIR/runroot" --cgroup-manager cgroupfs \
    --events-backend file --runtime /usr/sbin/runc "$@"
}
# One plugin of the conflist as a runtime runs it: config on stdin, CNI_* in the environment.
cni() {  # cni COMMAND POD CONFIG_JSON
  CNI_COMMAND=$1 CNI_CONTAINERID=$2 CNI_NETNS=/run/netns/$P-$2 CNI_IFNAME=eth0 CNI_PATH=$DIR/cni-bin \
    CNI_ARGS="IgnoreUnknown=1;K8S_POD_NAMESPACE=lab;K8S_POD_NAME=$2" "$DIR/cni-bin/$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["type"])' "$3")" <<< "$3"
}
conf() {  # the conflist's plugin N with name, cniVersion and (for N>0) prevResult added
  python3 - "$DIR/net.d/$NET.conflist" "$1" "${2:-}" <<'PY'
import json, sys
c = json.load(open(sys.argv[1])); p = dict(c["plugins"][int(sys.argv[2])])
p.update(name=c["name"], cniVersion=c["cniVersion"])
if sys.argv[3]: p["prevResult"] = json.loads(sys.argv[3])
print(json.dumps(p))
PY
}
cleanup() {
  [ "$MODE" = podman ] && podman_ rm -a -f -t 0 >/dev/null 2>&1
  for pod in "${BARE_PODS[@]}"; do
    cni DEL "$pod" "$(conf 1 "$(cat "$DIR/$pod.result" 2>/dev/null || echo '{}')")" >/dev/null 2>&1
    cni DEL "$pod" "$(conf 0)" >/dev/null 2>&1
    [ -f "$DIR/$pod.pid" ] && kill "$(cat "$DIR/$pod.pid")" 2>/dev/null
    ip netns del "$P-$pod" 2>/dev/null
  done
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  done
  [ -n "${MONITOR:-}" ] && kill "$MONITOR" 2>/dev/null
  "$BUILD/services/policy/netaccel-policy" --purge -c /dev/null --pin-root "$PINS" >/dev/null 2>&1
  "$BUILD/services/fwd/netaccel-fwd" --purge -c /dev/null --pin-root "$PINS" >/dev/null 2>&1
  "$BUILD/services/sockmap/netaccel-sockmap" --purge -c /dev/null --pin-root "$PINS/sockmap" >/dev/null 2>&1
  rmdir "$PINS/sockmap" "$PINS" "$CG" 2>/dev/null
  ip link del "$BR" 2>/dev/null  # the bridge plugin leaves its bridge behind
  "$SRC/tests/lib/private-bus.sh" stop "$DIR/bus" 2>/dev/null
  umount -R "$DIR/storage" "$DIR/runroot" 2>/dev/null
  rm -rf "$DIR"
}
trap cleanup EXIT INT TERM

# The node: four daemons on one bus. fwd and sockmap act only when the agent asks them; policy
# follows the agent. fwd and policy share a pin root (the TC guard between them lives there).
read -r ADDR _ < <("$SRC/tests/lib/private-bus.sh" start "$DIR/bus" "$SRC"/systemd/org.openeuler.NetAccel1.*.conf) || exit 1
export DBUS_SYSTEM_BUS_ADDRESS=$ADDR
printf '[agent]\nstate_dir = %s/agent\ncgroup_scan_ms = 100\n' "$DIR" > "$DIR/agent.conf"
printf '[fwd]\nhook = tc\nauto_attach = no\npin_root = %s\n' "$PINS" > "$DIR/fwd.conf"
printf '[policy]\npin_root = %s\nsettle_ms = 5\n' "$PINS" > "$DIR/policy.conf"
printf '[sockmap]\ncgroups = %s\nlocal_prefixes = %s\nbulk_bypass = off\npin_root = %s/sockmap\n' "$CG" "$SUBNET" "$PINS" > "$DIR/sockmap.conf"
for d in agent fwd sockmap policy; do
  NETACCEL_LOG=stderr "$BUILD/services/$d/netaccel-$d" -c "$DIR/$d.conf" 2>"$DIR/$d.log" &
  PIDS+=($!)
  name=org.openeuler.NetAccel1.$(tr a-z A-Z <<< "${d:0:1}")${d:1}
  for _ in $(seq 100); do busctl --address="$ADDR" status "$name" >/dev/null 2>&1 && break; sleep 0.1; done
  busctl --address="$ADDR" status "$name" >/dev/null 2>&1 || { echo "netaccel-$d did not start:"; tail -5 "$DIR/$d.log"; exit 1; }
done
for f in /usr/lib/cni/*; do ln -s "$f" "$DIR/cni-bin/"; done
ln -s "$BUILD/services/cni/netaccel" "$DIR/cni-bin/netaccel"
cat > "$DIR/net.d/$NET.conflist" <<JSON
{"cniVersion": "1.0.0", "name": "$NET", "plugins": [
  {"type": "bridge", "bridge": "$BR", "isGateway": true, "ipMasq": false,
   "ipam": {"type": "host-local", "ranges": [[{"subnet": "$SUBNET"}]], "dataDir": "$DIR/ipam"}},
  {"type": "netaccel", "busAddress": "$ADDR"}]}
JSON
printf '[network]\nnetwork_backend = "cni"\ncni_plugin_dirs = ["%s/cni-bin"]\nnetwork_config_dir = "%s/net.d"\n' "$DIR" "$DIR" > "$DIR/containers.conf"

# The pods: redis, and a client. podman first; bare namespaces when it cannot run here.
why=
if ! command -v podman >/dev/null || [ ! -x /usr/sbin/runc ]; then
  why="podman or runc is not installed"
elif ! out=$("$SRC/tests/lib/debian-rootfs.sh" "$ROOTFS" iproute2,redis-server,redis-tools,libbpf1,libxdp1,libiniparser1 "$DIR/rootfs" 2>&1); then
  why="no container tree ($out)"
else
  MODE=podman
  run=(run -d --network "$NET" --ulimit nproc=1000:1000 --ulimit nofile=1000:1000)
  if ! out=$(podman_ "${run[@]}" --name "$P-redis" --rootfs "$ROOTFS:O" redis-server --protected-mode no --save '' 2>&1) ||
     ! out=$(podman_ "${run[@]}" --name "$P-client" --rootfs "$ROOTFS:O" sleep 600 2>&1); then
    why="podman run failed: $(tail -1 <<< "$out")"
    podman_ rm -a -f -t 0 >/dev/null 2>&1
    MODE=
  fi
fi
if [ -z "$MODE" ]; then
  MODE=bare
  for pod in redis client; do
    ip netns add "$P-$pod" && BARE_PODS+=("$pod")
    ip -n "$P-$pod" link set lo up
    r=$(cni ADD "$pod" "$(conf 0)") || { echo "bridge plugin: $r"; exit 1; }
    echo "$r" > "$DIR/$pod.result"
    cni ADD "$pod" "$(conf 1 "$r")" >/dev/null || { echo "netaccel plugin failed"; exit 1; }
  done
  if command -v redis-server >/dev/null; then
    ip netns exec "$P-redis" redis-server --port 6379 --protected-mode no --save '' >"$DIR/redis.log" 2>&1 &
    echo $! > "$DIR/redis.pid"
  fi
  echo "pods: bare network namespaces, CNI plugins exec'd as a runtime would (podman: $why)" | tee "$OUT/node.txt"
else
  echo "pods: podman $(podman --version | awk '{print $3}') with its CNI backend (bridge + host-local, chained with netaccel), runc" | tee "$OUT/node.txt"
fi

for _ in $(seq 300); do [ "$("$CTL" get endpoints -o json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 2 ] && break; sleep 0.1; done
echo; echo "\$ netaccelctl status"; "$CTL" status | tee "$OUT/status.txt"
echo; echo "\$ netaccelctl get endpoints"; "$CTL" get endpoints | tee "$OUT/endpoints.txt"

# Pod to pod: the client asks redis, then pings it; fwd's counter on the client's veth moves.
eps=$("$CTL" get endpoints -o json)
field() { python3 -c 'import json,sys; e=[x for x in json.loads(sys.argv[1]) if x["podName"].endswith(sys.argv[2])]; print(e[0][sys.argv[3]] if e else "")' "$eps" "$1" "$2"; }
redis_ip=$(field redis ipv4) client_veth=$(field client hostVeth) client_ns=$(field client netns)
{
  echo "\$ redis-cli -h $redis_ip ping   (from the client pod)"
  for _ in $(seq 50); do  # redis may still be starting: wait for its answer, not a fixed time
    reply=$(nsenter --net="$client_ns" redis-cli -h "$redis_ip" ping 2>&1) && [ "$reply" = PONG ] && break
    sleep 0.1
  done
  echo "$reply"
  echo "\$ ping -c 5 $redis_ip   (from the client pod)"
  nsenter --net="$client_ns" ping -n -q -c 5 -i 0.2 -W 5 "$redis_ip" | tail -2
  echo "\$ netaccelctl fwd stats $client_veth"
  "$CTL" fwd stats "$client_veth"
} 2>&1 | tee "$OUT/traffic.txt"
grep -q PONG "$OUT/traffic.txt" && grep -q ' 0% packet loss' "$OUT/traffic.txt" || exit 1

# NetworkPolicy: every pod of the namespace takes TCP 6379 and nothing else. Redis still
# answers; a ping is dropped, and the monitor (started first, exits after one drop) says
# which pod, why and which policy. Each verdict is an event: the answer, or the drop record.
ns=$(field redis podNamespace); ns=${ns:-default}
redis_pod="$ns/$(field redis podName)"
cat > "$DIR/policy.yaml" <<YAML
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: redis-only, namespace: $ns}
spec:
  podSelector: {}
  ingress: [{ports: [{protocol: TCP, port: 6379}]}]
YAML
gen() { busctl --address="$ADDR" get-property org.openeuler.NetAccel1.Policy /org/openeuler/NetAccel1/Policy org.openeuler.NetAccel1.Policy Generation | awk '{print $2}'; }
before=$(gen)
{
  echo "\$ cat policy.yaml"; cat "$DIR/policy.yaml"
  echo "\$ netaccelctl apply -f policy.yaml"; "$CTL" apply -f "$DIR/policy.yaml"
  for _ in $(seq 100); do [ "$(gen)" != "$before" ] && break; sleep 0.1; done  # installed
  "$CTL" policy monitor -c 1 > "$DIR/monitor.txt" 2>&1 &
  MONITOR=$!
  for _ in $(seq 100); do grep -q listening "$DIR/monitor.txt" && break; sleep 0.1; done
  echo "\$ redis-cli -h $redis_ip ping   (from the client pod)"
  nsenter --net="$client_ns" redis-cli -h "$redis_ip" ping 2>&1
  echo "\$ ping -c 1 $redis_ip   (from the client pod)"
  nsenter --net="$client_ns" ping -n -q -c 1 -W 2 "$redis_ip" | tail -2
  for _ in $(seq 100); do kill -0 "$MONITOR" 2>/dev/null || break; sleep 0.1; done
  echo "\$ netaccelctl policy monitor -c 1"; cat "$DIR/monitor.txt"
  echo "\$ netaccelctl policy get $redis_pod"; "$CTL" policy get "$redis_pod"
  echo "\$ netaccelctl policy stats"; "$CTL" policy stats
} 2>&1 | tee "$OUT/policy.txt"
grep -q PONG "$OUT/policy.txt" && grep -q "isolated by $ns/redis-only" "$OUT/policy.txt"
