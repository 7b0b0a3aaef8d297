#include "vxlan.h"

#include <sys/socket.h>

#include <cstring>

#include "inet_checksum.h"
#include "wire.h"

namespace netaccel::vswitch {

namespace {

constexpr uint16_t kEthIpv4 = 0x0800, kEthIpv6 = 0x86dd, kEthVlan = 0x8100;
constexpr uint8_t kProtoTcp = 6, kProtoUdp = 17, kProtoSctp = 132;
constexpr size_t kEth = 14, kIpv4 = 20, kIpv6 = 40, kUdp = 8;


// FNV-1a, 32 bits: cheap, and every input byte moves every output bit enough for spreading.
struct Fnv {
  uint32_t h = 2166136261u;
  void add(const uint8_t* p, size_t n) {
    for (size_t i = 0; i < n; ++i) {
      h ^= p[i];
      h *= 16777619u;
    }
  }
};

Prefix host(int family, const uint8_t* bytes) {
  Prefix p;
  p.family = family;
  const size_t n = family == AF_INET ? 4 : 16;
  std::memcpy(p.addr.data(), bytes, n);
  p.len = static_cast<int>(n * 8);
  return p;
}

}  // namespace

size_t vxlan_overhead(int family) { return kEth + (family == AF_INET6 ? kIpv6 : kIpv4) + kUdp + kVxlanHeaderLen; }

uint16_t vxlan_source_port(std::span<const uint8_t> inner) {
  Fnv f;
  size_t l3 = kEth;
  uint16_t type = inner.size() >= kEth ? be16(&inner[12]) : 0;
  if (type == kEthVlan && inner.size() >= kEth + 4) {
    type = be16(&inner[16]);
    l3 += 4;
  }
  const uint8_t* p = inner.data();
  bool hashed = false;
  if (type == kEthIpv4 && inner.size() >= l3 + kIpv4) {
    const size_t ihl = (p[l3] & 0x0f) * 4u;
    const bool fragment = (be16(p + l3 + 6) & 0x3fff) != 0;
    f.add(p + l3 + 12, 8);  // source and destination
    f.add(p + l3 + 9, 1);   // protocol
    const uint8_t proto = p[l3 + 9];
    if (!fragment && (proto == kProtoTcp || proto == kProtoUdp || proto == kProtoSctp) && inner.size() >= l3 + ihl + 4) f.add(p + l3 + ihl, 4);
    hashed = true;
  } else if (type == kEthIpv6 && inner.size() >= l3 + kIpv6) {
    f.add(p + l3 + 8, 32);
    f.add(p + l3 + 6, 1);
    const uint8_t next = p[l3 + 6];
    if ((next == kProtoTcp || next == kProtoUdp || next == kProtoSctp) && inner.size() >= l3 + kIpv6 + 4) f.add(p + l3 + kIpv6, 4);
    hashed = true;
  }
  if (!hashed) f.add(p, std::min<size_t>(inner.size(), kEth));  // MACs and EtherType
  return static_cast<uint16_t>(49152 + (f.h ^ (f.h >> 16)) % 16384);
}

bool vxlan_encap_headers(const Tunnel& t, std::span<const uint8_t> inner, std::span<uint8_t> headers, uint16_t ip_id) {
  const int family = t.local.family;
  if ((family != AF_INET && family != AF_INET6) || t.remote.family != family || t.vni > kMaxVni) return false;
  const size_t ip_len = family == AF_INET ? kIpv4 : kIpv6, total = vxlan_overhead(family);
  if (headers.size() < total) return false;
  uint8_t* h = headers.data();
  std::memset(h, 0, total);
  std::memcpy(h, t.next_hop_mac.data(), 6);
  std::memcpy(h + 6, t.local_mac.data(), 6);
  put16(h + 12, family == AF_INET ? kEthIpv4 : kEthIpv6);
  uint8_t* ip = h + kEth;
  uint8_t* udp = ip + ip_len;
  uint8_t* vx = udp + kUdp;
  const uint32_t udp_len = static_cast<uint32_t>(kUdp + kVxlanHeaderLen + inner.size());
  if (family == AF_INET) {
    ip[0] = 0x45;
    put16(ip + 2, static_cast<uint16_t>(kIpv4 + udp_len));
    put16(ip + 4, ip_id);
    put16(ip + 6, t.dont_fragment ? 0x4000 : 0);
    ip[8] = t.ttl;
    ip[9] = kProtoUdp;
    std::memcpy(ip + 12, t.local.addr.data(), 4);
    std::memcpy(ip + 16, t.remote.addr.data(), 4);
    put16(ip + 10, checksum_fold(checksum_add(0, {ip, kIpv4})));
  } else {
    ip[0] = 0x60;
    put16(ip + 4, static_cast<uint16_t>(udp_len));
    ip[6] = kProtoUdp;
    ip[7] = t.ttl;
    std::memcpy(ip + 8, t.local.addr.data(), 16);
    std::memcpy(ip + 24, t.remote.addr.data(), 16);
  }
  put16(udp, vxlan_source_port(inner));
  put16(udp + 2, t.dst_port);
  put16(udp + 4, static_cast<uint16_t>(udp_len));
  vx[0] = 0x08;  // I: the VNI is valid
  vx[4] = static_cast<uint8_t>(t.vni >> 16);
  vx[5] = static_cast<uint8_t>(t.vni >> 8);
  vx[6] = static_cast<uint8_t>(t.vni);
  if (family == AF_INET6) {
    uint32_t sum = pseudo_header_sum({ip + 8, 16}, {ip + 24, 16}, kProtoUdp, udp_len);
    sum = checksum_add(sum, {udp, kUdp + kVxlanHeaderLen});
    uint16_t c = checksum_fold(checksum_add(sum, inner));
    put16(udp + 6, c ? c : 0xffff);  // zero would mean "no checksum"
  }
  return true;
}

std::vector<uint8_t> vxlan_encapsulate(const Tunnel& t, std::span<const uint8_t> inner, uint16_t ip_id) {
  std::vector<uint8_t> out(vxlan_overhead(t.local.family) + inner.size());
  if (!vxlan_encap_headers(t, inner, {out.data(), out.size() - inner.size()}, ip_id)) return {};
  std::memcpy(out.data() + out.size() - inner.size(), inner.data(), inner.size());
  return out;
}

const char* decap_error_name(DecapError e) {
  switch (e) {
    case DecapError::none: return "ok";
    case DecapError::truncated: return "truncated";
    case DecapError::not_ip: return "not_ip";
    case DecapError::ip_header: return "ip_header";
    case DecapError::not_udp: return "not_udp";
    case DecapError::wrong_port: return "wrong_port";
    case DecapError::udp_checksum: return "udp_checksum";
    case DecapError::vxlan_flags: return "vxlan_flags";
  }
  return "unknown";
}

Decapsulated vxlan_decapsulate(std::span<const uint8_t> frame, uint16_t dst_port, bool udp_checksum_ready) {
  Decapsulated d;
  auto fail = [&](DecapError e) {
    d.error = e;
    return d;
  };
  const uint8_t* p = frame.data();
  const size_t n = frame.size();
  if (n < kEth) return fail(DecapError::truncated);
  std::memcpy(d.outer_src_mac.data(), p + 6, 6);
  const uint16_t type = be16(p + 12);
  const uint8_t* ip = p + kEth;
  size_t l4 = 0, ip_end = 0;
  uint32_t pseudo = 0;
  if (type == kEthIpv4) {
    if (n < kEth + kIpv4) return fail(DecapError::truncated);
    const size_t ihl = (ip[0] & 0x0f) * 4u, total = be16(ip + 2);
    if ((ip[0] >> 4) != 4 || ihl < kIpv4 || total < ihl) return fail(DecapError::ip_header);
    if (n < kEth + ihl || n < kEth + total) return fail(DecapError::truncated);
    if (checksum_fold(checksum_add(0, {ip, ihl})) != 0) return fail(DecapError::ip_header);
    if ((be16(ip + 6) & 0x3fff) != 0) return fail(DecapError::ip_header);  // fragments are the kernel's
    if (ip[9] != kProtoUdp) return fail(DecapError::not_udp);
    d.outer_src = host(AF_INET, ip + 12);
    d.outer_dst = host(AF_INET, ip + 16);
    l4 = kEth + ihl;
    ip_end = kEth + total;
    pseudo = pseudo_header_sum({ip + 12, 4}, {ip + 16, 4}, kProtoUdp, 0);
  } else if (type == kEthIpv6) {
    if (n < kEth + kIpv6) return fail(DecapError::truncated);
    if ((ip[0] >> 4) != 6) return fail(DecapError::ip_header);
    if (ip[6] != kProtoUdp) return fail(DecapError::not_udp);
    if (n < kEth + kIpv6 + be16(ip + 4)) return fail(DecapError::truncated);
    d.outer_src = host(AF_INET6, ip + 8);
    d.outer_dst = host(AF_INET6, ip + 24);
    l4 = kEth + kIpv6;
    ip_end = l4 + be16(ip + 4);
    pseudo = pseudo_header_sum({ip + 8, 16}, {ip + 24, 16}, kProtoUdp, 0);
  } else {
    return fail(DecapError::not_ip);
  }
  if (ip_end < l4 + kUdp) return fail(DecapError::truncated);
  const uint8_t* udp = p + l4;
  const size_t udp_len = be16(udp + 4);
  if (be16(udp + 2) != dst_port) return fail(DecapError::wrong_port);
  if (udp_len < kUdp + kVxlanHeaderLen + kEth || l4 + udp_len > ip_end) return fail(DecapError::truncated);
  if (udp_checksum_ready && be16(udp + 6) != 0) {
    uint32_t sum = pseudo + static_cast<uint32_t>(udp_len);
    if (checksum_fold(checksum_add(sum, {udp, udp_len})) != 0) return fail(DecapError::udp_checksum);
  }
  const uint8_t* vx = udp + kUdp;
  if (!(vx[0] & 0x08)) return fail(DecapError::vxlan_flags);
  d.vni = static_cast<uint32_t>(vx[4]) << 16 | static_cast<uint32_t>(vx[5]) << 8 | vx[6];
  d.inner_offset = l4 + kUdp + kVxlanHeaderLen;
  d.inner_len = udp_len - kUdp - kVxlanHeaderLen;
  return d;
}

}  // namespace netaccel::vswitch
