// Builds test frames byte by byte: Ethernet, IPv4/IPv6 (options, fragments), UDP/TCP/ICMP, ARP,
// with correct checksums, or TCP/UDP checksums left partial as a sender with tx offload does.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace netaccel::test {

using Mac = std::array<uint8_t, 6>;
Mac mac(const std::string& text);

class PacketBuilder {
 public:
  PacketBuilder& eth(const std::string& dst, const std::string& src);
  PacketBuilder& ipv4(const std::string& src, const std::string& dst, uint8_t ttl = 64);
  PacketBuilder& ipv6(const std::string& src, const std::string& dst, uint8_t hop_limit = 64);
  PacketBuilder& ip_options(int words);  // IPv4 header of 5 + words 32-bit words
  PacketBuilder& more_fragments();
  // A later fragment: offset in 8-byte units (IPv4 header field; IPv6 gets a fragment header).
  PacketBuilder& fragment_offset(uint16_t units);
  PacketBuilder& ipv6_fragment_header();  // first fragment of IPv6 (offset 0 unless set)
  PacketBuilder& sctp(uint16_t sport, uint16_t dport);
  PacketBuilder& udp(uint16_t sport, uint16_t dport, size_t payload_len = 18);
  PacketBuilder& tcp(uint16_t sport, uint16_t dport, size_t payload_len = 0);
  PacketBuilder& tcp_flags(uint8_t flags);  // default PSH|ACK
  PacketBuilder& icmp_echo();
  // Any ICMPv4 message: `rest` follows type, code and checksum (identifier and sequence of an
  // echo, or 4 unused bytes and the quoted packet of an error).
  PacketBuilder& icmp(uint8_t type, uint8_t code, const std::vector<uint8_t>& rest);
  PacketBuilder& icmp6(uint8_t type);
  // Any ICMPv6 message, as icmp() (an echo's identifier and sequence; an error's quote).
  PacketBuilder& icmp6(uint8_t type, uint8_t code, const std::vector<uint8_t>& rest);
  PacketBuilder& arp_request(const std::string& sender_ip, const std::string& target_ip);
  PacketBuilder& partial_checksum();  // TCP/UDP checksum = pseudo-header sum only
  PacketBuilder& payload(std::vector<uint8_t> bytes);  // the L4 payload, instead of the pattern
  PacketBuilder& no_udp_checksum();                     // UDP checksum 0 (allowed over IPv4)
  PacketBuilder& truncate(size_t len);

  std::vector<uint8_t> build() const;

 private:
  enum class L3 { none, v4, v6, arp } l3_ = L3::none;
  enum class L4 { none, udp, tcp, icmp, icmp6, sctp } l4_ = L4::none;
  Mac dst_{}, src_{};
  std::array<uint8_t, 16> saddr_{}, daddr_{};
  uint8_t ttl_ = 64, icmp_type_ = 0, icmp_code_ = 0, tcp_flags_ = 0x18;
  std::vector<uint8_t> icmp_rest_;
  int opt_words_ = 0;
  bool mf_ = false, partial_ = false, v6_frag_ = false, no_udp_csum_ = false;
  std::vector<uint8_t> payload_;  // empty: the pattern
  uint16_t frag_offset_ = 0;
  uint16_t sport_ = 0, dport_ = 0;
  size_t payload_len_ = 0, truncate_ = SIZE_MAX;
};

// True when the frame's IPv4 header checksum (if any) and TCP/UDP checksum verify.
bool checksums_ok(const std::vector<uint8_t>& frame);

}  // namespace netaccel::test
