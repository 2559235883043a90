#!/usr/bin/env bash
# Real NATs in network namespaces for NatTraversalTest (../shared/TESTING.md): a "wan" bridge with a public host
# (198.18.0.100) and NAT boxes n = 1..3 (outer 198.18.0.n, inner 10.0.n.1) each with a home host 10.0.n.2 behind
# it. NAT 1 and 2 are port-preserving MASQUERADE, NAT 3 symmetric (--random-fully); every NAT box drops
# unsolicited inbound like a home router. Each node host (pub, home1..3) also gets a management link to the
# root namespace (172.31.n.0/30, pub n=0) so the test can reach its gateway and relay-service; it carries no
# node-to-node traffic (the nodes dial only 198.18.0.x).
#   topology.sh up PREFIX      builds everything; PREFIX is unique per run (namespaces PREFIX-pub, ...)
#   topology.sh down PREFIX    removes every namespace and link of PREFIX (safe to repeat)
set -euo pipefail
cmd=$1 p=$2
[[ $p =~ ^[a-z0-9]{2,6}$ ]] || { echo "PREFIX must be 2..6 of [a-z0-9], got '$p'" >&2; exit 2; }

down() {
  for ns in pub home1 home2 home3 nat1 nat2 nat3 wan; do ip netns del "$p-$ns" 2>/dev/null || true; done
  for n in 0 1 2 3; do ip link del "${p}m$n" 2>/dev/null || true; done
}

mgmt() { # $1 = n, $2 = namespace
  ip link add "${p}m$1" type veth peer name "${p}M$1"
  ip link set "${p}M$1" netns "$p-$2"
  ip addr add "172.31.$1.1/30" dev "${p}m$1"; ip link set "${p}m$1" up
  ip -n "$p-$2" addr add "172.31.$1.2/30" dev "${p}M$1"; ip -n "$p-$2" link set "${p}M$1" up
}

up() {
  down
  ip netns add "$p-wan"
  ip -n "$p-wan" link add br0 type bridge; ip -n "$p-wan" link set br0 up
  ip netns add "$p-pub"; ip -n "$p-pub" link set lo up
  ip link add "${p}w0" type veth peer name "${p}x0"
  ip link set "${p}w0" netns "$p-wan"; ip link set "${p}x0" netns "$p-pub"
  ip -n "$p-wan" link set "${p}w0" master br0 up
  ip -n "$p-pub" addr add 198.18.0.100/24 dev "${p}x0"; ip -n "$p-pub" link set "${p}x0" up
  mgmt 0 pub
  for n in 1 2 3; do
    nat="$p-nat$n" home="$p-home$n"
    ip netns add "$nat"; ip netns add "$home"; ip -n "$nat" link set lo up; ip -n "$home" link set lo up
    ip link add "${p}w$n" type veth peer name "${p}o$n"        # wan bridge <-> NAT outer
    ip link set "${p}w$n" netns "$p-wan"; ip link set "${p}o$n" netns "$nat"
    ip -n "$p-wan" link set "${p}w$n" master br0 up
    ip -n "$nat" addr add "198.18.0.$n/24" dev "${p}o$n"; ip -n "$nat" link set "${p}o$n" up
    ip link add "${p}i$n" type veth peer name "${p}h$n"        # NAT inner <-> home
    ip link set "${p}i$n" netns "$nat"; ip link set "${p}h$n" netns "$home"
    ip -n "$nat" addr add "10.0.$n.1/24" dev "${p}i$n"; ip -n "$nat" link set "${p}i$n" up
    ip -n "$home" addr add "10.0.$n.2/24" dev "${p}h$n"; ip -n "$home" link set "${p}h$n" up
    ip -n "$home" route add default via "10.0.$n.1"
    ip netns exec "$nat" sysctl -qw net.ipv4.ip_forward=1
    random=(); [ "$n" = 3 ] && random=(--random-fully)
    ip netns exec "$nat" iptables -t nat -A POSTROUTING -o "${p}o$n" -j MASQUERADE "${random[@]}"
    ip netns exec "$nat" iptables -A INPUT -i "${p}o$n" -j DROP
    ip netns exec "$nat" iptables -A FORWARD -i "${p}o$n" -m conntrack --ctstate NEW -j DROP
    mgmt "$n" "home$n"
  done
}

case $cmd in
  up) up ;;
  down) down ;;
  *) echo "usage: topology.sh up|down PREFIX" >&2; exit 2 ;;
esac
