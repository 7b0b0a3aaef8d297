#include "conntrack_timeouts.h"

namespace netaccel::ipt {

uint32_t ct_timeout(const CtTimeouts& t, uint8_t proto, uint32_t flags) {
  const bool replied = flags & IPT_CONN_SEEN_REPLY;
  switch (proto) {
    case 6:
      if (flags & IPT_CONN_CLOSING) return t.tcp_closing;
      return replied ? t.tcp_established : t.tcp_unreplied;
    case 17:
      return replied ? t.udp_replied : t.udp_unreplied;
    case 1:
      return t.icmp;
    default:
      return t.other;
  }
}

bool ct_expired(const CtTimeouts& t, const ipt_conn& c, uint64_t now_ns) {
  if (now_ns <= c.last_seen_ns) return false;
  return now_ns - c.last_seen_ns > static_cast<uint64_t>(ct_timeout(t, c.reply_key.proto, c.flags)) * 1000000000ull;
}

}  // namespace netaccel::ipt
