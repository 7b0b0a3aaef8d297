// The bpftool skeleton of sockmap.bpf.o with its SkeletonTraits.
#pragma once

#include "netaccel/core/skeleton.h"
#include "sockmap.skel.h"

template <>
struct netaccel::SkeletonTraits<struct sockmap> {
  static struct sockmap* open(const bpf_object_open_opts* o) { return sockmap__open_opts(o); }
  static int load(struct sockmap* s) { return sockmap__load(s); }
  static void destroy(struct sockmap* s) { sockmap__destroy(s); }
};
