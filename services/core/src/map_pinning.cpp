#include "netaccel/core/map_pinning.h"

#include <bpf/bpf.h>
#include <unistd.h>

#include "netaccel_consts.h"

#include "netaccel/core/unique_fd.h"

namespace netaccel {

Status reuse_or_pin_maps(bpf_object* obj, const PinDir& own, const PinDir* shared) {
  bpf_map* map = nullptr;
  bpf_object__for_each_map(map, obj) {
    std::string name = bpf_map__name(map);
    if (name.find('.') != std::string::npos) continue;  // .rodata/.bss belong to one load
    const bool is_shared = name.rfind(NA_SHARED_MAP_PREFIX, 0) == 0;
    if (is_shared && !shared) return make_error(Errc::invalid_argument, "map " + name + " is shared, and no shared pin directory was given");
    const PinDir& pins = is_shared ? *shared : own;
    std::string path = pins.entry(name);
    if (!pins.exists(name)) {
      if (int err = bpf_map__set_pin_path(map, path.c_str())) return errno_error(err, "set pin path " + path);
      continue;
    }
    UniqueFd fd(bpf_obj_get(path.c_str()));
    if (!fd.valid()) return errno_error(errno, "open pinned map " + path);
    bpf_map_info info{};
    __u32 len = sizeof(info);
    if (int err = bpf_obj_get_info_by_fd(fd.get(), &info, &len)) return errno_error(err, "inspect " + path);
    if (info.type != bpf_map__type(map) || info.key_size != bpf_map__key_size(map) ||
        info.value_size != bpf_map__value_size(map) || info.max_entries != bpf_map__max_entries(map))
      return make_error(Errc::unsupported, "pinned map " + path +
                                               " has another layout than this version's (run --purge to start afresh)");
    if (int err = bpf_map__reuse_fd(map, fd.get())) return errno_error(err, "reuse pinned map " + path);
  }
  return {};
}

Status purge_shared_pins(const std::string& pin_root) {
  for (const char* user : {"fwd", "policy"})
    if (access((pin_root + "/" + user).c_str(), F_OK) == 0) return {};
  if (access((pin_root + "/shared").c_str(), F_OK) != 0) return {};
  auto shared = PinDir::prepare(pin_root, "shared");
  if (!shared) return shared.error();
  return shared->remove_all();
}

}  // namespace netaccel
