// Skeleton traits for the steering XDP program (bpf/gazelle/steer.bpf.c).
#pragma once

#include "gazelle_steer.skel.h"
#include "netaccel/core/skeleton.h"

template <>
struct netaccel::SkeletonTraits<gazelle_steer> {
  static gazelle_steer* open(const bpf_object_open_opts* o) { return gazelle_steer__open_opts(o); }
  static int load(gazelle_steer* s) { return gazelle_steer__load(s); }
  static void destroy(gazelle_steer* s) { gazelle_steer__destroy(s); }
};
