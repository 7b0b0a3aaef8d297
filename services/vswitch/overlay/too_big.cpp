#include "too_big.h"

#include <algorithm>
#include <cstring>

#include "inet_checksum.h"
#include "wire.h"

namespace netaccel::vswitch {

namespace {

constexpr size_t kEth = 14;


// Ethernet header back to the sender: the frame's MACs swapped.
std::vector<uint8_t> reply_eth(std::span<const uint8_t> f, uint16_t type) {
  std::vector<uint8_t> out(kEth);
  std::memcpy(out.data(), f.data() + 6, 6);
  std::memcpy(out.data() + 6, f.data(), 6);
  put16(out.data() + 12, type);
  return out;
}

MtuCheck ipv4(std::span<const uint8_t> f, uint16_t mtu, uint16_t ip_id) {
  const uint8_t* ip = f.data() + kEth;
  const size_t ihl = (ip[0] & 0x0f) * 4u;
  if (f.size() < kEth + 20 || ihl < 20 || f.size() < kEth + ihl) return {MtuVerdict::drop, {}};
  if (be16(ip + 2) <= mtu) return {};
  const bool df = be16(ip + 6) & 0x4000;
  const bool icmp_error = ip[9] == 1 && f.size() > kEth + ihl && ip[ihl] != 0 && ip[ihl] != 8;  // only echo gets an answer
  if (!df || icmp_error || ip[12] >= 224) return {MtuVerdict::drop, {}};
  const size_t quote = std::min(f.size() - kEth, size_t{576 - 20 - 8});
  std::vector<uint8_t> out = reply_eth(f, 0x0800);
  out.resize(kEth + 20 + 8 + quote);
  uint8_t* r = out.data() + kEth;
  r[0] = 0x45;
  put16(r + 2, static_cast<uint16_t>(20 + 8 + quote));
  put16(r + 4, ip_id);
  put16(r + 6, 0x4000);
  r[8] = 64;
  r[9] = 1;
  std::memcpy(r + 12, ip + 16, 4);  // from the packet's destination
  std::memcpy(r + 16, ip + 12, 4);
  put16(r + 10, checksum_fold(checksum_add(0, {r, 20})));
  uint8_t* icmp = r + 20;
  icmp[0] = 3;
  icmp[1] = 4;
  put16(icmp + 6, mtu);
  std::memcpy(icmp + 8, ip, quote);
  put16(icmp + 2, checksum_fold(checksum_add(0, {icmp, 8 + quote})));
  return {MtuVerdict::answer, std::move(out)};
}

MtuCheck ipv6(std::span<const uint8_t> f, uint16_t mtu) {
  if (f.size() < kEth + 40) return {MtuVerdict::drop, {}};
  const uint8_t* ip = f.data() + kEth;
  if (40u + be16(ip + 4) <= mtu) return {};
  const bool icmp_error = ip[6] == 58 && f.size() > kEth + 40 && ip[40] < 128;
  if (icmp_error || ip[8] == 0xff) return {MtuVerdict::drop, {}};
  const size_t quote = std::min(f.size() - kEth, size_t{1280 - 40 - 8});
  std::vector<uint8_t> out = reply_eth(f, 0x86dd);
  out.resize(kEth + 40 + 8 + quote);
  uint8_t* r = out.data() + kEth;
  r[0] = 0x60;
  put16(r + 4, static_cast<uint16_t>(8 + quote));
  r[6] = 58;
  r[7] = 64;
  std::memcpy(r + 8, ip + 24, 16);
  std::memcpy(r + 24, ip + 8, 16);
  uint8_t* icmp = r + 40;
  icmp[0] = 2;
  put16(icmp + 6, mtu);  // a 32-bit MTU; this one fits in its low half
  std::memcpy(icmp + 8, ip, quote);
  uint32_t sum = pseudo_header_sum({r + 8, 16}, {r + 24, 16}, 58, static_cast<uint32_t>(8 + quote));
  put16(icmp + 2, checksum_fold(checksum_add(sum, {icmp, 8 + quote})));
  return {MtuVerdict::answer, std::move(out)};
}

}  // namespace

MtuCheck check_tunnel_mtu(std::span<const uint8_t> frame, uint16_t inner_mtu, uint16_t ip_id) {
  if (frame.size() < kEth) return {MtuVerdict::drop, {}};
  const uint16_t type = be16(frame.data() + 12);
  if (type == 0x0800) return ipv4(frame, inner_mtu, ip_id);
  if (type == 0x86dd) return ipv6(frame, inner_mtu);
  // Not IP: nobody to tell. Too long is dropped, anything else fits.
  return frame.size() - kEth > inner_mtu ? MtuCheck{MtuVerdict::drop, {}} : MtuCheck{};
}

}  // namespace netaccel::vswitch
