#include "bpf_enforcer.h"

#include <bpf/bpf.h>

#include <vector>

#include "netaccel/core/log.h"
#include "netaccel/core/map_pinning.h"
#include "netaccel/core/tc_stage.h"

namespace netaccel::policy {

namespace {
std::string link_pin(const char* hook, uint32_t ifindex) { return std::string(hook) + "_" + std::to_string(ifindex); }
}  // namespace

BpfEnforcer::BpfEnforcer(Skeleton<struct ::policy> skel, PinDir pins)
    : skel_(std::move(skel)), pins_(std::move(pins)), tables_(map_fds(skel_.get())) {}

Result<std::unique_ptr<BpfEnforcer>> BpfEnforcer::open(const PolicyConfig& cfg) {
  auto pins = PinDir::prepare(cfg.pin_root, "policy");
  if (!pins) return pins.error();
  auto skel = Skeleton<struct ::policy>::open("policy");
  if (!skel) return skel.error();
  skel->get()->rodata->pol_allow_host = cfg.allow_host ? 1 : 0;
  if (auto st = reuse_or_pin_maps(skel->get()->obj, *pins); !st) return st.error();
  if (auto st = skel->load(); !st) return st.error();
  std::unique_ptr<BpfEnforcer> e(new BpfEnforcer(std::move(*skel), std::move(*pins)));
  if (auto st = e->adopt(); !st) return st.error();
  return e;
}

// A previous run's links keep enforcing with its programs: ours take their place atomically,
// and its endpoint slots are remembered so pods keep them.
Status BpfEnforcer::adopt() {
  const int from = bpf_program__fd(skel_->progs.pol_from_pod_tc), to = bpf_program__fd(skel_->progs.pol_to_pod_tc);
  for (const auto& name : pins_.list("in_")) {
    uint32_t ifindex = static_cast<uint32_t>(std::stoul(name.substr(3)));
    auto in = Link::open_pinned(pins_.entry(name));
    auto out = Link::open_pinned(pins_.entry(link_pin("out", ifindex)));
    if (!in || !out || !in->update_program(from) || !out->update_program(to)) {
      log::warn("policy: dropping the stale links of ifindex " + std::to_string(ifindex));
      (void)pins_.remove(name);
      (void)pins_.remove(link_pin("out", ifindex));
      continue;
    }
    links_.emplace(ifindex, std::make_pair(std::move(*in), std::move(*out)));
  }
  tables_.adopt_unknown_state();
  // Slots as the active state has them.
  uint32_t zero = 0;
  pol_version v{};
  bpf_map_lookup_elem(bpf_map__fd(skel_->maps.pol_version), &zero, &v);
  int endpoints = v.slot ? bpf_map__fd(skel_->maps.pol_endpoints_1) : bpf_map__fd(skel_->maps.pol_endpoints_0);
  uint32_t key = 0, next = 0;
  const uint32_t* prev = nullptr;
  while (bpf_map_get_next_key(endpoints, prev, &next) == 0) {
    pol_endpoint ep{};
    if (bpf_map_lookup_elem(endpoints, &next, &ep) == 0) previous_slots_[next] = ep.endpoint;
    key = next;
    prev = &key;
  }
  return {};
}

Status BpfEnforcer::install(const PolicyTables& tables) { return tables_.install(tables); }

Status BpfEnforcer::attach(uint32_t ifindex) {
  if (links_.count(ifindex)) return {};
  auto in = attach_tc_stage(bpf_program__fd(skel_->progs.pol_from_pod_tc), static_cast<int>(ifindex), true, TcStage::policy);
  if (!in) return Error{in.error().code, "attach the policy to ifindex " + std::to_string(ifindex) + " (from the pod): " + in.error().message};
  auto out = attach_tc_stage(bpf_program__fd(skel_->progs.pol_to_pod_tc), static_cast<int>(ifindex), false, TcStage::policy);
  if (!out) return Error{out.error().code, "attach the policy to ifindex " + std::to_string(ifindex) + " (to the pod): " + out.error().message};
  if (auto st = in->pin(pins_.entry(link_pin("in", ifindex))); !st) return st;
  if (auto st = out->pin(pins_.entry(link_pin("out", ifindex))); !st) {
    (void)pins_.remove(link_pin("in", ifindex));
    return st;
  }
  links_.emplace(ifindex, std::make_pair(std::move(*in), std::move(*out)));
  return {};
}

Status BpfEnforcer::detach(uint32_t ifindex) {
  (void)pins_.remove(link_pin("in", ifindex));
  (void)pins_.remove(link_pin("out", ifindex));
  links_.erase(ifindex);  // closing the last reference detaches
  return {};
}

std::set<uint32_t> BpfEnforcer::attached() const {
  std::set<uint32_t> out;
  for (const auto& [ifindex, _] : links_) out.insert(ifindex);
  return out;
}

DirectionCounters BpfEnforcer::counters(uint32_t slot, Direction dir) const {
  DirectionCounters c;
  if (!slot) return c;
  std::vector<pol_stats> per_cpu(static_cast<size_t>(libbpf_num_possible_cpus()));
  uint32_t index = slot - 1;
  if (bpf_map_lookup_elem(bpf_map__fd(skel_->maps.pol_stats), &index, per_cpu.data())) return c;
  const int d = static_cast<int>(dir);
  for (const auto& s : per_cpu) {
    c.allowed += s.packets[d][POL_STAT_ALLOWED];
    c.established += s.packets[d][POL_STAT_ESTABLISHED];
    c.denied += s.packets[d][POL_STAT_DENIED];
    c.unrestricted += s.packets[d][POL_STAT_UNRESTRICTED];
  }
  return c;
}

Status BpfEnforcer::purge(const std::string& pin_root) {
  auto pins = PinDir::prepare(pin_root, "policy");
  if (!pins) return pins.error();
  return pins->remove_all();
}

}  // namespace netaccel::policy
