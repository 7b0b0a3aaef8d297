#!/bin/bash
# Runs the flow matrix of the differential test in topology P, all flows at once, and prints
# one sorted line per flow: "<from> <proto> <dst>:<port> <result>", where result is the
# listener's answer (peer-local address as it saw them), "refused", "timeout" or "ok"/"fail"
# for ping. A packet a router drops on its own way out is "blocked": Linux answers the sending
# socket with EPERM, the eBPF data path (TC egress) drops it silently (a documented
# difference), so from the router both read the same.   flows.sh P [6]
# With 6: the same matrix over the topology's IPv6 addresses (the service address fd61:9::9, no
# NodePort).
P=$1 V=${2:-4}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
n=0
host() { case "$1" in *:*) echo "[$1]" ;; *) echo "$1" ;; esac; }  # socat's form of an IPv6 address
# An ICMP error or reset that reaches a SYN_SENT socket while connect() still holds it is only
# a soft error (tcp_v6_err): the answer to the SYN retransmitted after 1 s decides. Over IPv6
# that happens often enough to need the second SYN, so the wait covers it.
ct=1; [ "$V" = 6 ] && ct=3
tcp() { # from dst port
  n=$((n + 1))
  ( r=$(ip netns exec "$P-$1" socat -T3 - "TCP:$(host "$2"):$3,connect-timeout=$ct" </dev/null 2>&1)
    case "$r" in *refused*) r=refused ;; *"timed out"*|*Timeout*|"") r=timeout ;; *unreachable*) r=unreachable ;; *"not permitted"*) r=error ;; *" E "*) r=error ;; esac
    echo "$1 tcp $2:$3 $r" > "$out/$n" ) &
}
udp() {
  n=$((n + 1))
  ( # UDP has no handshake: a lost first datagram (ARP, listener fork) is retried.
    # The listener forks a shell per datagram: allow for a loaded machine.
    for try in 1 2; do
      r=$(echo x | ip netns exec "$P-$1" socat -T2 - "UDP:$(host "$2"):$3" 2>&1)
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
if [ "$V" = 6 ]; then
  # Neighbour discovery under the ruleset: the router forgets its neighbours, then one ping at
  # a time makes it solicit them again (its NS leave through OUTPUT, the answers arrive at
  # INPUT as UNTRACKED; a ruleset that drops them leaves the router unable to answer).
  ip -n "$P-r" -6 neigh flush all >/dev/null 2>&1
  for probe in "c fd61:1::1" "s fd61:1::2"; do
    set -- $probe
    ip netns exec "$P-$1" ping -c1 -W2 "$2" >/dev/null 2>&1 && r=ok || r=fail
    echo "$1 nd-probe $2 $r" > "$out/nd-$1"
  done
  for d in fd61:2::2 fd61:2::3 fd61:9::9 fd61:1::1; do
    for p in 22 80 443 8080 2222; do tcp c "$d" "$p"; done
    for p in 53 5000 5353; do udp c "$d" "$p"; done
    icmp c "$d"
  done
  for p in 80 8080; do tcp s fd61:1::2 "$p"; done
  icmp s fd61:1::2
  tcp r fd61:2::2 80
  tcp r fd61:9::9 80
  udp r fd61:2::2 53
else
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
fi
wait
# A UDP datagram the router's own OUTPUT rejects: Linux fails the sender's write with EPERM
# ("error"), netaccel answers with the ICMP error ("refused"): both read "blocked".
cat "$out"/* | sed -E 's/^(r [a-z]+ [0-9a-f.:]+) (timeout|error)$/\1 blocked/; s/^(r udp [0-9a-f.:]+) refused$/\1 blocked/' | sort
