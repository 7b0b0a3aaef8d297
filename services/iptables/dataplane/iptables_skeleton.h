// Skeleton traits for the data path object (bpf/iptables/iptables.bpf.c).
#pragma once

#include "iptables.skel.h"
#include "map_loader.h"
#include "netaccel/core/skeleton.h"

template <>
struct netaccel::SkeletonTraits<iptables> {
  static iptables* open(const bpf_object_open_opts* o) { return iptables__open_opts(o); }
  static int load(iptables* s) { return iptables__load(s); }
  static void destroy(iptables* s) { iptables__destroy(s); }
};

namespace netaccel::ipt {

inline ClassifierMaps classifier_maps(const iptables* skel) {
  ClassifierMaps m;
  m.config = bpf_map__fd(skel->maps.ipt_config);
  m.chains = bpf_map__fd(skel->maps.ipt_chains);
  m.rules = bpf_map__fd(skel->maps.ipt_rules);
  m.buckets = bpf_map__fd(skel->maps.ipt_buckets);
  m.ifaces = bpf_map__fd(skel->maps.ipt_ifaces);
  m.counters = bpf_map__fd(skel->maps.ipt_counters);
  m.nth = bpf_map__fd(skel->maps.ipt_nth);
  return m;
}

}  // namespace netaccel::ipt
