#include "packet_builder.h"

#include <arpa/inet.h>

#include <cstdio>
#include <stdexcept>

namespace netaccel::test {
namespace {
void put16(std::vector<uint8_t>& b, size_t off, uint16_t v) {
  b[off] = v >> 8;
  b[off + 1] = v & 0xff;
}
uint16_t get16(const std::vector<uint8_t>& b, size_t off) { return static_cast<uint16_t>(b[off] << 8 | b[off + 1]); }

uint32_t sum16(const uint8_t* p, size_t len, uint32_t s = 0) {
  for (size_t i = 0; i + 1 < len; i += 2) s += static_cast<uint32_t>(p[i] << 8 | p[i + 1]);
  if (len & 1) s += static_cast<uint32_t>(p[len - 1] << 8);
  return s;
}
uint16_t fold(uint32_t s) {
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return static_cast<uint16_t>(s);
}

// Pseudo-header sum for L4 checksums.
uint32_t pseudo_sum(const std::vector<uint8_t>& f, size_t l3, bool v6, uint8_t proto, size_t l4len) {
  uint32_t s = 0;
  if (v6) {
    s = sum16(&f[l3 + 8], 32);
  } else {
    s = sum16(&f[l3 + 12], 8);
  }
  s += proto;
  s += static_cast<uint32_t>(l4len & 0xffff) + static_cast<uint32_t>(l4len >> 16);
  return s;
}
}  // namespace

Mac mac(const std::string& t) {
  Mac m{};
  unsigned v[6];
  if (std::sscanf(t.c_str(), "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6)
    throw std::invalid_argument("bad MAC " + t);
  for (int i = 0; i < 6; ++i) m[i] = static_cast<uint8_t>(v[i]);
  return m;
}

PacketBuilder& PacketBuilder::eth(const std::string& dst, const std::string& src) {
  dst_ = mac(dst);
  src_ = mac(src);
  return *this;
}
PacketBuilder& PacketBuilder::ipv4(const std::string& s, const std::string& d, uint8_t ttl) {
  l3_ = L3::v4;
  inet_pton(AF_INET, s.c_str(), saddr_.data());
  inet_pton(AF_INET, d.c_str(), daddr_.data());
  ttl_ = ttl;
  return *this;
}
PacketBuilder& PacketBuilder::ipv6(const std::string& s, const std::string& d, uint8_t hop) {
  l3_ = L3::v6;
  inet_pton(AF_INET6, s.c_str(), saddr_.data());
  inet_pton(AF_INET6, d.c_str(), daddr_.data());
  ttl_ = hop;
  return *this;
}
PacketBuilder& PacketBuilder::ip_options(int words) {
  opt_words_ = words;
  return *this;
}
PacketBuilder& PacketBuilder::more_fragments() {
  mf_ = true;
  return *this;
}
PacketBuilder& PacketBuilder::fragment_offset(uint16_t units) {
  frag_offset_ = units;
  if (l3_ == L3::v6) v6_frag_ = true;
  return *this;
}
PacketBuilder& PacketBuilder::ipv6_fragment_header() {
  v6_frag_ = true;
  return *this;
}
PacketBuilder& PacketBuilder::sctp(uint16_t sp, uint16_t dp) {
  l4_ = L4::sctp;
  sport_ = sp;
  dport_ = dp;
  payload_len_ = 16;
  return *this;
}
PacketBuilder& PacketBuilder::udp(uint16_t sp, uint16_t dp, size_t n) {
  l4_ = L4::udp;
  sport_ = sp;
  dport_ = dp;
  payload_len_ = n;
  return *this;
}
PacketBuilder& PacketBuilder::tcp(uint16_t sp, uint16_t dp, size_t n) {
  l4_ = L4::tcp;
  sport_ = sp;
  dport_ = dp;
  payload_len_ = n;
  return *this;
}
PacketBuilder& PacketBuilder::icmp_echo() {
  l4_ = L4::icmp;
  icmp_type_ = 8;
  payload_len_ = 16;
  return *this;
}
PacketBuilder& PacketBuilder::tcp_flags(uint8_t flags) {
  tcp_flags_ = flags;
  return *this;
}
PacketBuilder& PacketBuilder::icmp(uint8_t type, uint8_t code, const std::vector<uint8_t>& rest) {
  l4_ = L4::icmp;
  icmp_type_ = type;
  icmp_code_ = code;
  icmp_rest_ = rest;
  payload_len_ = rest.size() > 4 ? rest.size() - 4 : 0;
  return *this;
}
PacketBuilder& PacketBuilder::icmp6(uint8_t type) {
  l4_ = L4::icmp6;
  icmp_type_ = type;
  payload_len_ = 20;
  return *this;
}
PacketBuilder& PacketBuilder::icmp6(uint8_t type, uint8_t code, const std::vector<uint8_t>& rest) {
  icmp(type, code, rest);
  l4_ = L4::icmp6;
  return *this;
}
PacketBuilder& PacketBuilder::arp_request(const std::string& sip, const std::string& tip) {
  l3_ = L3::arp;
  inet_pton(AF_INET, sip.c_str(), saddr_.data());
  inet_pton(AF_INET, tip.c_str(), daddr_.data());
  return *this;
}
PacketBuilder& PacketBuilder::payload(std::vector<uint8_t> bytes) {
  payload_ = std::move(bytes);
  payload_len_ = payload_.size();
  return *this;
}

PacketBuilder& PacketBuilder::no_udp_checksum() {
  no_udp_csum_ = true;
  return *this;
}

PacketBuilder& PacketBuilder::partial_checksum() {
  partial_ = true;
  return *this;
}
PacketBuilder& PacketBuilder::truncate(size_t len) {
  truncate_ = len;
  return *this;
}

std::vector<uint8_t> PacketBuilder::build() const {
  std::vector<uint8_t> f(14);
  std::copy(dst_.begin(), dst_.end(), f.begin());
  std::copy(src_.begin(), src_.end(), f.begin() + 6);
  if (l3_ == L3::arp) {
    put16(f, 12, 0x0806);
    f.resize(14 + 28);
    put16(f, 14, 1);
    put16(f, 16, 0x0800);
    f[18] = 6;
    f[19] = 4;
    put16(f, 20, 1);
    std::copy(src_.begin(), src_.end(), f.begin() + 22);
    std::copy(saddr_.begin(), saddr_.begin() + 4, f.begin() + 28);
    std::copy(daddr_.begin(), daddr_.begin() + 4, f.begin() + 38);
  } else if (l3_ != L3::none) {
    const bool v6 = l3_ == L3::v6;
    const size_t l3 = 14;
    const size_t l3len = v6 ? (v6_frag_ ? 48 : 40) : 20 + 4 * opt_words_;
    size_t l4hdr = l4_ == L4::udp ? 8 : l4_ == L4::tcp ? 20 : l4_ == L4::sctp ? 12 : l4_ == L4::none ? 0 : 8;
    size_t l4len = l4hdr + payload_len_;
    uint8_t proto = l4_ == L4::udp    ? 17
                    : l4_ == L4::tcp  ? 6
                    : l4_ == L4::sctp ? 132
                    : l4_ == L4::icmp ? 1
                    : l4_ == L4::icmp6 ? 58
                                       : 253;
    put16(f, 12, v6 ? 0x86DD : 0x0800);
    f.resize(l3 + l3len + l4len);
    if (v6) {
      f[l3] = 0x60;
      put16(f, l3 + 4, static_cast<uint16_t>(l3len - 40 + l4len));
      f[l3 + 6] = v6_frag_ ? 44 : proto;
      f[l3 + 7] = ttl_;
      std::copy(saddr_.begin(), saddr_.end(), f.begin() + l3 + 8);
      std::copy(daddr_.begin(), daddr_.end(), f.begin() + l3 + 24);
      if (v6_frag_) {  // next header, reserved, offset << 3 | M, identification
        f[l3 + 40] = proto;
        put16(f, l3 + 42, static_cast<uint16_t>(frag_offset_ << 3 | (mf_ ? 1 : 0)));
        put16(f, l3 + 46, 0x4321);
      }
    } else {
      f[l3] = static_cast<uint8_t>(0x40 | (l3len / 4));
      put16(f, l3 + 2, static_cast<uint16_t>(l3len + l4len));
      put16(f, l3 + 4, 0x1234);
      put16(f, l3 + 6, mf_ || frag_offset_ ? static_cast<uint16_t>((mf_ ? 0x2000 : 0) | frag_offset_) : 0x4000);  // or DF
      f[l3 + 8] = ttl_;
      f[l3 + 9] = proto;
      std::copy(saddr_.begin(), saddr_.begin() + 4, f.begin() + l3 + 12);
      std::copy(daddr_.begin(), daddr_.begin() + 4, f.begin() + l3 + 16);
      for (int i = 0; i < opt_words_ * 4; ++i) f[l3 + 20 + i] = 1;  // NOPs
      put16(f, l3 + 10, static_cast<uint16_t>(~fold(sum16(&f[l3], l3len))));
    }
    const size_t l4 = l3 + l3len;
    for (size_t i = 0; i < payload_len_; ++i) f[l4 + l4hdr + i] = payload_.empty() ? static_cast<uint8_t>(i * 7 + 1) : payload_[i];
    size_t csum_off = 0;
    if (l4_ == L4::udp || l4_ == L4::tcp) {
      put16(f, l4, sport_);
      put16(f, l4 + 2, dport_);
      if (l4_ == L4::udp) {
        put16(f, l4 + 4, static_cast<uint16_t>(l4len));
        csum_off = l4 + 6;
      } else {
        put16(f, l4 + 4, 0x0001);  // seq
        f[l4 + 12] = 0x50;         // data offset 5
        f[l4 + 13] = tcp_flags_;
        put16(f, l4 + 14, 65535);
        csum_off = l4 + 16;
      }
      uint32_t ph = pseudo_sum(f, l3, v6, proto, l4len);
      if (l4_ == L4::udp && no_udp_csum_) {
        put16(f, csum_off, 0);
      } else if (partial_) {
        put16(f, csum_off, fold(ph));
      } else {
        uint16_t c = static_cast<uint16_t>(~fold(sum16(&f[l4], l4len, ph)));
        put16(f, csum_off, c == 0 ? 0xffff : c);
      }
    } else if (l4_ == L4::sctp) {  // ports and a verification tag; CRC32c left 0
      put16(f, l4, sport_);
      put16(f, l4 + 2, dport_);
      put16(f, l4 + 4, 0xabcd);
    } else if (l4_ == L4::icmp || l4_ == L4::icmp6) {
      f[l4] = icmp_type_;
      f[l4 + 1] = icmp_code_;
      for (size_t i = 0; i < icmp_rest_.size() && l4 + 4 + i < f.size(); ++i) f[l4 + 4 + i] = icmp_rest_[i];
      uint32_t s = l4_ == L4::icmp6 ? pseudo_sum(f, l3, true, 58, l4len) : 0;
      put16(f, l4 + 2, static_cast<uint16_t>(~fold(sum16(&f[l4], l4len, s))));
    }
  }
  if (f.size() < 60 && truncate_ == SIZE_MAX) f.resize(60);  // Ethernet minimum, zero padded
  if (truncate_ < f.size()) f.resize(truncate_);
  return f;
}

bool checksums_ok(const std::vector<uint8_t>& f) {
  if (f.size() < 14) return false;
  uint16_t type = get16(f, 12);
  size_t l3 = 14;
  bool v6 = type == 0x86DD;
  if (type != 0x0800 && !v6) return true;
  size_t l3len, l4len;
  uint8_t proto;
  if (v6) {
    l3len = 40;
    l4len = get16(f, l3 + 4);
    proto = f[l3 + 6];
  } else {
    l3len = (f[l3] & 0xf) * 4;
    if (fold(sum16(&f[l3], l3len)) != 0xffff) return false;
    l4len = get16(f, l3 + 2) - l3len;
    proto = f[l3 + 9];
  }
  if (proto != 6 && proto != 17) return true;
  if (l3 + l3len + l4len > f.size()) return false;
  return fold(sum16(&f[l3 + l3len], l4len, pseudo_sum(f, l3, v6, proto, l4len))) == 0xffff;
}

}  // namespace netaccel::test
