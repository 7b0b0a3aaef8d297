#include "neighbour_answer.h"

#include <sys/socket.h>

#include <cstring>

#include "inet_checksum.h"
#include "wire.h"

namespace netaccel::vswitch {

namespace {

constexpr size_t kEth = 14;


Prefix host(int family, const uint8_t* a) {
  Prefix p;
  p.family = family;
  std::memcpy(p.addr.data(), a, family == AF_INET ? 4 : 16);
  p.len = family == AF_INET ? 32 : 128;
  return p;
}

bool all_zero(const uint8_t* p, size_t n) {
  for (size_t i = 0; i < n; ++i)
    if (p[i]) return false;
  return true;
}

std::optional<std::vector<uint8_t>> arp(std::span<const uint8_t> f, const NeighbourLookup& lookup) {
  if (f.size() < kEth + 28) return std::nullopt;
  const uint8_t* a = f.data() + kEth;
  if (be16(a) != 1 || be16(a + 2) != 0x0800 || a[4] != 6 || a[5] != 4 || be16(a + 6) != 1) return std::nullopt;
  const uint8_t *sha = a + 8, *spa = a + 14, *tpa = a + 24;
  if (all_zero(spa, 4) || std::memcmp(spa, tpa, 4) == 0) return std::nullopt;  // a probe, or gratuitous
  auto mac = lookup(host(AF_INET, tpa));
  if (!mac) return std::nullopt;
  std::vector<uint8_t> out(kEth + 28);
  uint8_t* e = out.data();
  std::memcpy(e, sha, 6);
  std::memcpy(e + 6, mac->data(), 6);
  put16(e + 12, 0x0806);
  uint8_t* r = e + kEth;
  put16(r, 1);
  put16(r + 2, 0x0800);
  r[4] = 6;
  r[5] = 4;
  put16(r + 6, 2);  // reply
  std::memcpy(r + 8, mac->data(), 6);
  std::memcpy(r + 14, tpa, 4);
  std::memcpy(r + 18, sha, 6);
  std::memcpy(r + 24, spa, 4);
  out.resize(60);  // the Ethernet minimum, zero padded
  return out;
}

std::optional<std::vector<uint8_t>> neighbour_solicitation(std::span<const uint8_t> f, const NeighbourLookup& lookup) {
  const uint8_t* ip = f.data() + kEth;
  if (f.size() < kEth + 40 + 24 || ip[6] != 58 || ip[7] != 255) return std::nullopt;  // ND is link-local: hop limit 255
  const uint8_t* icmp = ip + 40;
  if (icmp[0] != 135 || icmp[1] != 0) return std::nullopt;
  const uint8_t *src = ip + 8, *target = icmp + 8;
  if (all_zero(src, 16)) return std::nullopt;  // duplicate address detection
  auto mac = lookup(host(AF_INET6, target));
  if (!mac) return std::nullopt;
  // The asker's MAC: its source link-layer address option, else the frame's source.
  const uint8_t* asker = f.data() + 6;
  const size_t end = std::min(f.size(), kEth + 40 + be16(ip + 4));
  for (size_t o = kEth + 40 + 24; o + 8 <= end && f[o + 1]; o += f[o + 1] * 8u)
    if (f[o] == 1 && f[o + 1] == 1) asker = f.data() + o + 2;
  std::vector<uint8_t> out(kEth + 40 + 32);
  uint8_t* e = out.data();
  std::memcpy(e, asker, 6);
  std::memcpy(e + 6, mac->data(), 6);
  put16(e + 12, 0x86dd);
  uint8_t* r = e + kEth;
  r[0] = 0x60;
  put16(r + 4, 32);
  r[6] = 58;
  r[7] = 255;
  std::memcpy(r + 8, target, 16);
  std::memcpy(r + 24, src, 16);
  uint8_t* na = r + 40;
  na[0] = 136;
  na[4] = 0x60;  // Solicited, Override
  std::memcpy(na + 8, target, 16);
  na[24] = 2;  // target link-layer address
  na[25] = 1;
  std::memcpy(na + 26, mac->data(), 6);
  uint32_t sum = pseudo_header_sum({r + 8, 16}, {r + 24, 16}, 58, 32);
  put16(na + 2, checksum_fold(checksum_add(sum, {na, 32})));
  return out;
}

}  // namespace

std::optional<std::vector<uint8_t>> answer_neighbour(std::span<const uint8_t> frame, const NeighbourLookup& lookup) {
  if (frame.size() < kEth) return std::nullopt;
  const uint16_t type = be16(frame.data() + 12);
  if (type == 0x0806) return arp(frame, lookup);
  if (type == 0x86dd) return neighbour_solicitation(frame, lookup);
  return std::nullopt;
}

}  // namespace netaccel::vswitch
