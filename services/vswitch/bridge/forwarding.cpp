#include "forwarding.h"

namespace netaccel::vswitch {

namespace {
bool group(const Mac& m) { return m[0] & 1; }  // broadcast and multicast
bool zero(const Mac& m) { return !(m[0] | m[1] | m[2] | m[3] | m[4] | m[5]); }
}  // namespace

Decision forward(const Network& net, FdbPort in, const Mac& src, const Mac& dst, uint32_t now_s, std::vector<LearnRequest>& learn) {
  Decision d;
  // A group or all-zero source is no station's address: such frames are malformed.
  if (group(src) || zero(src)) {
    d.verdict = Verdict::dropped_bad_source;
    return d;
  }
  if (!net.fdb->seen(src, in, now_s)) learn.push_back({src, in});
  if (!group(dst)) {
    if (auto at = net.fdb->lookup(dst)) {
      if (*at == in) {
        d.verdict = Verdict::filtered;  // the destination is where the frame came from
        return d;
      }
      d.verdict = Verdict::unicast;
      d.out.push_back(*at);
      return d;
    }
  }
  d.verdict = Verdict::flood;
  for (uint16_t p : net.local_ports)
    if (!(in.kind == FdbPort::local && in.index == p)) d.out.push_back({FdbPort::local, p});
  if (in.kind == FdbPort::local)
    for (uint16_t v = 0; v < net.vteps; ++v) d.out.push_back({FdbPort::vtep, v});
  return d;
}

}  // namespace netaccel::vswitch
