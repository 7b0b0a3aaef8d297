// The bpftool skeleton of fwd.bpf.o with its SkeletonTraits, for the daemon and the BPF tests.
#pragma once

#include "fwd.skel.h"
#include "netaccel/core/skeleton.h"

template <>
struct netaccel::SkeletonTraits<struct fwd> {
  static struct fwd* open(const bpf_object_open_opts* o) { return fwd__open_opts(o); }
  static int load(struct fwd* s) { return fwd__load(s); }
  static void destroy(struct fwd* s) { fwd__destroy(s); }
};
