// The bpffs directory one service pins its maps and links in (/sys/fs/bpf/netaccel/<service>).
#pragma once

#include <string>
#include <vector>

#include "netaccel/core/result.h"

namespace netaccel {

inline constexpr const char* kDefaultPinRoot = "/sys/fs/bpf/netaccel";

class PinDir {
 public:
  // Makes sure a bpffs is mounted at or above `root` (mounts one at /sys/fs/bpf when the
  // root lives there and nothing is mounted, as on hosts without systemd's mount), then
  // creates root/service.
  static Result<PinDir> prepare(const std::string& root, const std::string& service);

  const std::string& path() const { return path_; }
  std::string entry(const std::string& name) const { return path_ + "/" + name; }
  bool exists(const std::string& name) const;
  std::vector<std::string> list(const std::string& prefix = "") const;
  Status remove(const std::string& name) const;
  // Removes every pin and the directory itself (and root, if it is left empty).
  Status remove_all() const;

 private:
  PinDir(std::string root, std::string path) : root_(std::move(root)), path_(std::move(path)) {}
  std::string root_;
  std::string path_;
};

bool is_bpffs(const std::string& path);

}  // namespace netaccel
