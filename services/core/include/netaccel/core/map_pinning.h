// Map pinning before load: a map already pinned by a previous run is reused (so the new
// programs share state with the links still forwarding), any other is pinned after creation.
// libbpf's own reuse check rejects maps whose flags the kernel adjusts (a devmap gains
// BPF_F_RDONLY_PROG), so compatibility is checked here on type, key, value and size.
#pragma once

#include <bpf/libbpf.h>

#include "netaccel/core/pins.h"
#include "netaccel/core/result.h"

namespace netaccel {

// Maps named na_* (NA_SHARED_MAP_PREFIX) are shared between services, one of them per node:
// they go to `shared` (<pin_root>/shared), every other map to the service's own `pins`.
Status reuse_or_pin_maps(bpf_object* obj, const PinDir& pins, const PinDir* shared = nullptr);

// Uninstall: removes <pin_root>/shared once no service that uses it has pins left (a service
// still running holds the maps it shares; a new pin would split them).
Status purge_shared_pins(const std::string& pin_root);

}  // namespace netaccel
