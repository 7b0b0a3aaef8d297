#!/bin/bash
# Runs the flow matrix of the differential test in topology P, all flows at once, and prints
# one sorted line per flow: "<from> <proto> <dst>:<port> <result>", where result is the
# listener's answer (peer-local address as it saw them), "refused", "timeout" or "ok"/"fail"
# for ping. A packet a router drops on its own way out is "blocked": Linux answers the sending
# socket with EPERM, the eBPF data path (TC egress) drops it silently (a documented
# difference), so from the router both read the same.   flows.sh P
P=$1
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
n=0
tcp() { # from dst port
  n=$((n + 1))
  ( r=$(ip netns exec "$P-$1" socat -T3 - "TCP:$2:$3,connect-timeout=1" </dev/null 2>&1)
    case "$r" in *refused*) r=refused ;; *"timed out"*|*Timeout*|"") r=timeout ;; *unreachable*) r=unreachable ;; *"not permitted"*) r=error ;; *" E "*) r=error ;; esac
    echo "$1 tcp $2:$3 $r" > "$out/$n" ) &
}
udp() {
  n=$((n + 1))
  ( # UDP has no handshake: a lost first datagram (ARP, listener fork) is retried.
    # The listener forks a shell per datagram: allow for a loaded machine.
    for try in 1 2; do
      r=$(echo x | ip netns exec "$P-$1" socat -T2 - "UDP:$2:$3" 2>&1)
      [ -n "$r" ] && break
    done
    case "$r" in *refused*) r=refused ;; "") r=timeout ;; *unreachable*) r=unreachable ;; *" E "*) r=error ;; esac
    echo "$1 udp $2:$3 $r" > "$out/$n" ) &
}
icmp() {
  n=$((n + 1))
  ( ip netns exec "$P-$1" ping -c1 -W1 "$2" >/dev/null 2>&1 && r=ok || r=fail
    echo "$1 icmp $2 $r" > "$out/$n" ) &
}
for d in 10.61.2.2 10.61.2.3 10.61.9.9 10.61.1.1; do
  for p in 22 80 443 8080 2222 30080; do tcp c "$d" "$p"; done
  for p in 53 5000 5353; do udp c "$d" "$p"; done
  icmp c "$d"
done
for p in 80 8080; do tcp s 10.61.1.2 "$p"; done
icmp s 10.61.1.2
tcp r 10.61.2.2 80
tcp r 10.61.9.9 80
udp r 10.61.2.2 53
wait
# A UDP datagram the router's own OUTPUT rejects: Linux fails the sender's write with EPERM
# ("error"), netaccel answers with the ICMP error ("refused"): both read "blocked".
cat "$out"/* | sed -E 's/^(r [a-z]+ [0-9.:]+) (timeout|error)$/\1 blocked/; s/^(r udp [0-9.:]+) refused$/\1 blocked/' | sort
