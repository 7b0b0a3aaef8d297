// The bpftool skeleton of policy.bpf.o with its SkeletonTraits, for the daemon and the BPF tests.
#pragma once

#include "netaccel/core/skeleton.h"
#include "policy.skel.h"

template <>
struct netaccel::SkeletonTraits<struct policy> {
  static struct policy* open(const bpf_object_open_opts* o) { return policy__open_opts(o); }
  static int load(struct policy* s) { return policy__load(s); }
  static void destroy(struct policy* s) { policy__destroy(s); }
};
