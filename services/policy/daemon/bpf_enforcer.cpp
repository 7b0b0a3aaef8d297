#include "bpf_enforcer.h"

#include <bpf/bpf.h>

#include <vector>

#include "netaccel/core/log.h"
#include "netaccel/core/map_pinning.h"
#include "netaccel/core/tc_stage.h"
#include "netaccel/core/unique_fd.h"
#include "netaccel_consts.h"

namespace netaccel::policy {

namespace {
std::string link_pin(const char* hook, uint32_t ifindex) { return std::string(hook) + "_" + std::to_string(ifindex); }
}  // namespace

BpfEnforcer::BpfEnforcer(Skeleton<struct ::policy> skel, PinDir pins)
    : skel_(std::move(skel)), pins_(std::move(pins)), tables_(map_fds(skel_.get())) {}

Result<std::unique_ptr<BpfEnforcer>> BpfEnforcer::open(const PolicyConfig& cfg) {
  auto pins = PinDir::prepare(cfg.pin_root, "policy");
  if (!pins) return pins.error();
  auto shared = PinDir::prepare(cfg.pin_root, "shared");  // the TC guard netaccel-fwd reads
  if (!shared) return shared.error();
  auto skel = Skeleton<struct ::policy>::open("policy");
  if (!skel) return skel.error();
  skel->get()->rodata->pol_allow_host = cfg.allow_host ? 1 : 0;
  if (auto st = reuse_or_pin_maps(skel->get()->obj, *pins, &*shared); !st) return st.error();
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
    if (auto st = guard(ifindex, true); !st) return st;
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

// The guard goes up before the programs and down after them: while it is set, netaccel-fwd's
// XDP path leaves the veth's frames to the kernel (and so to TC).
Status BpfEnforcer::guard(uint32_t ifindex, bool on) {
  const int fd = bpf_map__fd(skel_->maps.na_guard);
  const uint32_t bits = NA_GUARD_POLICY;
  if (on ? bpf_map_update_elem(fd, &ifindex, &bits, BPF_ANY) : bpf_map_delete_elem(fd, &ifindex) && errno != ENOENT)
    return errno_error(errno, std::string(on ? "set" : "clear") + " the TC guard of ifindex " + std::to_string(ifindex));
  return {};
}

Status BpfEnforcer::attach(uint32_t ifindex) {
  if (links_.count(ifindex)) return {};
  if (auto st = guard(ifindex, true); !st) return st;
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
  return guard(ifindex, false);
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
  // netaccel-fwd may go on running: the guards this daemon set come off with its programs.
  if (UniqueFd g(bpf_obj_get((pin_root + "/shared/na_guard").c_str())); g.valid()) {
    uint32_t key = 0, next = 0, bits = 0;
    const uint32_t* prev = nullptr;
    std::vector<uint32_t> mine;
    while (bpf_map_get_next_key(g.get(), prev, &next) == 0) {
      if (bpf_map_lookup_elem(g.get(), &next, &bits) == 0 && (bits & NA_GUARD_POLICY)) mine.push_back(next);
      key = next;
      prev = &key;
    }
    for (uint32_t k : mine) bpf_map_delete_elem(g.get(), &k);
  }
  if (auto st = pins->remove_all(); !st) return st;
  return purge_shared_pins(pin_root);
}

}  // namespace netaccel::policy
