#include "bpf_iptables.h"

#include <bpf/bpf.h>
#include <net/if.h>

#include "netaccel/core/map.h"
#include "netaccel/core/map_pinning.h"

namespace netaccel::ipt {

namespace {
std::string pin_in(const std::string& ifname) { return "link_in_" + ifname; }
std::string pin_out(const std::string& ifname) { return "link_out_" + ifname; }
}  // namespace

BpfIptables::BpfIptables(Skeleton<iptables> skel, PinDir pins, Family f)
    : skel_(std::move(skel)), pins_(std::move(pins)), loader_(classifier_maps(skel_.get())), family_(f) {}

const char* BpfIptables::pin_dir(Family f) { return f == Family::v4 ? "iptables" : "ip6tables"; }

Result<std::unique_ptr<BpfIptables>> BpfIptables::open(const std::string& pin_root, Family f) {
  auto pins = PinDir::prepare(pin_root, pin_dir(f));
  if (!pins) return pins.error();
  auto skel = Skeleton<iptables>::open("iptables");
  if (!skel) return skel.error();
  // One object per family: the same programs, told before load which packets are theirs.
  skel->get()->rodata->ipt_family = f == Family::v4 ? IPT_FAMILY_V4 : IPT_FAMILY_V6;
  if (auto st = reuse_or_pin_maps(skel->get()->obj, *pins); !st) return st.error();
  if (auto st = skel->load(); !st) return st.error();
  std::unique_ptr<BpfIptables> dp(new BpfIptables(std::move(*skel), std::move(*pins), f));
  if (auto st = dp->loader_.init_config_if_new(); !st) return st.error();
  auto slot = dp->loader_.active_slot();
  if (!slot) return slot.error();
  dp->slot_ = *slot;
  // Links of a previous run keep the data path up meanwhile: re-point them at this run's programs.
  for (const auto& name : dp->pins_.list("link_in_")) {
    std::string ifname = name.substr(8);
    auto in = Link::open_pinned(dp->pins_.entry(name));
    auto out = Link::open_pinned(dp->pins_.entry(pin_out(ifname)));
    if (!in || !out) continue;
    (void)in->update_program(bpf_program__fd(dp->skel_->progs.ipt_tc_ingress));
    (void)out->update_program(bpf_program__fd(dp->skel_->progs.ipt_tc_egress));
    dp->links_.emplace(ifname, std::make_pair(std::move(*in), std::move(*out)));
  }
  return dp;
}

Status BpfIptables::purge(const std::string& pin_root, Family f) {
  auto pins = PinDir::prepare(pin_root, pin_dir(f));
  if (!pins) return pins.error();
  for (const auto& name : pins->list("link_"))
    if (auto l = Link::open_pinned(pins->entry(name))) bpf_link_detach(l->fd());
  return pins->remove_all();
}

Status BpfIptables::refresh_host() {
  auto host = read_host_state(family_);
  if (!host) return host.error();
  if (auto st = write_host_state(*host, bpf_map__fd(skel_->maps.ipt_local_addrs), bpf_map__fd(skel_->maps.ipt_iface_addrs)); !st)
    return st;
  return loader_.set_interfaces(live_patterns_, host->ifindex);
}

Status BpfIptables::load(const Compiled& c) {
  uint32_t next = slot_ ^ 1;
  auto host = read_host_state(family_);
  if (!host) return host.error();
  if (auto st = loader_.load(c, next); !st) return st;
  if (auto st = loader_.set_interfaces(c, host->ifindex); !st) return st;
  if (auto st = write_host_state(*host, bpf_map__fd(skel_->maps.ipt_local_addrs), bpf_map__fd(skel_->maps.ipt_iface_addrs)); !st)
    return st;
  if (auto st = loader_.activate(next, c); !st) return st;
  slot_ = next;
  live_patterns_.iface_patterns = c.iface_patterns;
  return loader_.clear(next ^ 1);
}

Status BpfIptables::insert(const Compiled& c, const RuleInsert& ins) {
  if (auto st = loader_.apply_insert(slot_, c, ins); !st) return st;
  if (ins.patterns_changed) live_patterns_.iface_patterns = c.iface_patterns;
  if (ins.patterns_changed) return refresh_host();
  return {};
}

Status BpfIptables::remove(const Compiled& c, const RuleDelete& del) { return loader_.apply_delete(slot_, c, del); }

Status BpfIptables::add_chain(const Compiled& c, uint32_t chain_id) { return loader_.apply_new_chain(slot_, c, chain_id); }

ipt_counter BpfIptables::rule_counter(uint32_t id) {
  auto c = loader_.counter(slot_, id);
  return c ? *c : ipt_counter{};
}

Status BpfIptables::zero_counters(const Compiled&, const std::vector<uint32_t>& rule_ids) {
  return loader_.zero_counters(slot_, rule_ids);
}

std::vector<ipt_counter> BpfIptables::rule_counters(uint32_t count) {
  auto all = loader_.counters(slot_, count);
  return all ? std::move(*all) : std::vector<ipt_counter>(count);
}

ipt_counter BpfIptables::policy_counter(uint32_t chain_id) {
  auto c = loader_.policy_counter(slot_, chain_id);
  return c ? *c : ipt_counter{};
}

Status BpfIptables::attach(const std::string& ifname) {
  if (links_.count(ifname)) return {};
  int idx = static_cast<int>(if_nametoindex(ifname.c_str()));
  if (!idx) return errno_error(errno, "interface " + ifname);
  auto in = Link::create(bpf_program__fd(skel_->progs.ipt_tc_ingress), idx, kAttachTcxIngress);
  if (!in) return Error{in.error().code, "attach to " + ifname + " ingress: " + in.error().message};
  auto out = Link::create(bpf_program__fd(skel_->progs.ipt_tc_egress), idx, kAttachTcxEgress);
  if (!out) return Error{out.error().code, "attach to " + ifname + " egress: " + out.error().message};
  if (auto st = in->pin(pins_.entry(pin_in(ifname))); !st) return st;
  if (auto st = out->pin(pins_.entry(pin_out(ifname))); !st) {
    (void)pins_.remove(pin_in(ifname));
    return st;
  }
  links_.emplace(ifname, std::make_pair(std::move(*in), std::move(*out)));
  return {};
}

Status BpfIptables::detach(const std::string& ifname) {
  auto it = links_.find(ifname);
  if (it != links_.end()) {
    bpf_link_detach(it->second.first.fd());
    bpf_link_detach(it->second.second.fd());
    links_.erase(it);
  }
  (void)pins_.remove(pin_in(ifname));
  (void)pins_.remove(pin_out(ifname));
  return {};
}

std::vector<std::string> BpfIptables::attached() const {
  std::vector<std::string> v;
  for (const auto& [n, l] : links_) v.push_back(n);
  return v;
}

std::array<uint64_t, IPT_STAT_MAX> BpfIptables::stats() const {
  std::array<uint64_t, IPT_STAT_MAX> sum{};
  if (auto per = PerCpuMap<uint32_t, ipt_stats>(skel_->maps.ipt_stats).lookup(0))
    for (const auto& s : *per)
      for (int i = 0; i < IPT_STAT_MAX; ++i) sum[i] += s.v[i];
  return sum;
}

}  // namespace netaccel::ipt
