#!/bin/bash
# Runs the flow matrix of the differential test in topology P, all flows at once (one
# flowprobe.py per source namespace), and prints one sorted line per flow: "<from> <proto>
# <dst>:<port> <result>", where result is the listener's answer (peer-local address as it saw
# them), "refused", "timeout", "unreachable", "error", or "ok"/"fail" for ping. A packet a
# router drops on its own way out is "blocked": Linux answers the sending socket with EPERM,
# the eBPF data path (TC egress) drops it silently (a documented difference), so from the
# router both read the same.
#   flows.sh P [4|6] [BOUND_SECONDS] [ONLY_FILE]
# With 6: the same matrix over the topology's IPv6 addresses (the service address fd61:9::9, no
# NodePort). BOUND_SECONDS (default 2) limits each flow; ONLY_FILE lists "<from> <proto>
# <dst>[:<port>]" lines: only those flows run, and neighbour discovery is left as it is (the
# differential test retries flows that timed out in one twin with a longer bound).
P=$1 V=${2:-4} T=${3:-2} ONLY=${4:-}
here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
matrix() {
  if [ "$V" = 6 ]; then
    for d in fd61:2::2 fd61:2::3 fd61:9::9 fd61:1::1; do
      for p in 22 80 443 8080 2222; do echo "c tcp $d:$p"; done
      for p in 53 5000 5353; do echo "c udp $d:$p"; done
      echo "c icmp $d"
    done
    for p in 80 8080; do echo "s tcp fd61:1::2:$p"; done
    echo "s icmp fd61:1::2"
    echo "r tcp fd61:2::2:80"; echo "r tcp fd61:9::9:80"; echo "r udp fd61:2::2:53"
  else
    for d in 10.61.2.2 10.61.2.3 10.61.9.9 10.61.1.1; do
      for p in 22 80 443 8080 2222 30080; do echo "c tcp $d:$p"; done
      for p in 53 5000 5353; do echo "c udp $d:$p"; done
      echo "c icmp $d"
    done
    for p in 80 8080; do echo "s tcp 10.61.1.2:$p"; done
    echo "s icmp 10.61.1.2"
    echo "r tcp 10.61.2.2:80"; echo "r tcp 10.61.9.9:80"; echo "r udp 10.61.2.2:53"
  fi
}
if [ -n "$ONLY" ]; then
  matrix | grep -Fxf "$ONLY" > "$out/flows"
else
  matrix > "$out/flows"
  if [ "$V" = 6 ]; then
    # Neighbour discovery under the ruleset: the router forgets its neighbours, then one ping
    # at a time makes it solicit them again (its NS leave through OUTPUT, the answers arrive
    # at INPUT as UNTRACKED; a ruleset that drops them leaves the router unable to answer).
    ip -n "$P-r" -6 neigh flush all >/dev/null 2>&1
    for probe in "c fd61:1::1" "s fd61:1::2"; do
      set -- $probe
      ip netns exec "$P-$1" ping -c1 -W2 "$2" >/dev/null 2>&1 && r=ok || r=fail
      echo "$1 nd-probe $2 $r" > "$out/nd-$1"
    done
  fi
fi
for from in c s r; do
  flows=$(awk -v f="$from" '$1 == f { print $2 ":" $3 }' "$out/flows")
  [ -n "$flows" ] || continue
  ip netns exec "$P-$from" python3 "$here/flowprobe.py" -t "$T" "$from" $flows > "$out/probe-$from" &
done
wait
# A UDP datagram the router's own OUTPUT rejects: Linux fails the sender's write with EPERM
# ("error"), netaccel answers with the ICMP error ("refused"): both read "blocked".
cat "$out"/nd-* "$out"/probe-* 2>/dev/null |
  sed -E 's/^(r [a-z]+ [0-9a-f.:]+) (timeout|error)$/\1 blocked/; s/^(r udp [0-9a-f.:]+) refused$/\1 blocked/' | sort
