// Map pinning before load: a map already pinned by a previous run is reused (so the new
// programs share state with the links still forwarding), any other is pinned after creation.
// libbpf's own reuse check rejects maps whose flags the kernel adjusts (a devmap gains
// BPF_F_RDONLY_PROG), so compatibility is checked here on type, key, value and size.
#pragma once

#include <bpf/libbpf.h>

#include "netaccel/core/pins.h"
#include "netaccel/core/result.h"

namespace netaccel {

Status reuse_or_pin_maps(bpf_object* obj, const PinDir& pins);

}  // namespace netaccel
