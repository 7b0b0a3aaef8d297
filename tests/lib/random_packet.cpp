#include "random_packet.h"

#include <arpa/inet.h>

#include "ruleset_generator.h"

namespace netaccel::test {

uint32_t ipv4_host(const std::string& text) {
  in_addr a{};
  inet_pton(AF_INET, text.c_str(), &a);
  return ntohl(a.s_addr);
}

ipt::Packet random_packet(std::mt19937& rng, bool framable) {
  auto chance = [&](int pct) { return static_cast<int>(rng() % 100) < pct; };
  const auto& addrs = generator_addresses();
  const auto& ports = generator_ports();
  const auto& ifs = generator_interfaces();
  const uint32_t any_bits = framable ? 0x01000000u : 0;  // a frame needs a non-zero first octet
  ipt::Packet p;
  p.src = ipt::addr4(chance(80) ? ipv4_host(addrs[rng() % addrs.size()]) + static_cast<uint32_t>(rng() % 4) : static_cast<uint32_t>(rng() | any_bits));
  p.dst = ipt::addr4(chance(80) ? ipv4_host(addrs[rng() % addrs.size()]) + static_cast<uint32_t>(rng() % 4) : static_cast<uint32_t>(rng() | any_bits));
  static const uint8_t protos[] = {6, 17, 1, 132, 47};
  p.proto = protos[rng() % (framable ? 3 : 5)];
  if (p.proto != 1 && p.proto != 47) {
    const uint16_t zero_free = framable ? 1 : 0;
    p.sport = chance(70) ? static_cast<uint16_t>(ports[rng() % ports.size()] + rng() % 3) : static_cast<uint16_t>(rng() | zero_free);
    p.dport = chance(70) ? static_cast<uint16_t>(ports[rng() % ports.size()] + rng() % 3) : static_cast<uint16_t>(rng() | zero_free);
  }
  p.tcp_flags = p.proto == 6 ? static_cast<uint8_t>(rng() & 0x3f) : 0;
  if (p.proto == 1) {
    static const uint8_t types[] = {0, 3, 8, 11};
    p.icmp_type = types[rng() % 4];
    p.icmp_code = static_cast<uint8_t>(rng() % 4);
  }
  p.in_if = chance(70) ? ifs[rng() % ifs.size()] : "";
  p.out_if = chance(70) ? ifs[rng() % ifs.size()] : "";
  static const uint8_t states[] = {IPT_CT_NEW, IPT_CT_ESTABLISHED, IPT_CT_RELATED, IPT_CT_INVALID, IPT_CT_DNAT};
  p.ctstate = states[rng() % 5];
  static const uint32_t marks[] = {0, 0x1, 0x4000, 0x4010, 0x10};
  p.mark = marks[rng() % 5];
  p.src_local = chance(30);
  p.dst_local = chance(30);
  p.random31 = static_cast<uint32_t>(rng() & 0x7fffffff);
  return p;
}

ipt::Packet random_packet6(std::mt19937& rng, bool framable) {
  ipt::Packet p = random_packet(rng, framable);
  const auto& addrs = generator_addresses6();
  auto pick = [&] {
    if (rng() % 5 == 0) return ipt::Addr{static_cast<uint32_t>(rng()), static_cast<uint32_t>(rng()), static_cast<uint32_t>(rng()), static_cast<uint32_t>(rng())};
    ipt::Addr a = *ipt::parse_addr(addrs[rng() % addrs.size()], ipt::Family::v6, "pool");
    a[rng() % 3 ? 3 : rng() % 4] += static_cast<uint32_t>(rng() % 3);  // near: mostly in the last word
    return a;
  };
  p.src = pick();
  p.dst = pick();
  if (p.proto == 1) {
    static const uint8_t types[] = {1, 3, 128, 129, 135, 136};
    p.proto = 58;
    p.icmp_type = types[rng() % 6];
  }
  return p;
}

}  // namespace netaccel::test
