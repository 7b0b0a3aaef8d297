#include "netaccel/core/pins.h"

#include <dirent.h>
#include <linux/magic.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

namespace netaccel {

bool is_bpffs(const std::string& path) {
  struct statfs st{};
  return statfs(path.c_str(), &st) == 0 && st.f_type == BPF_FS_MAGIC;
}

namespace {
Status mkdir_p(const std::string& path) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) return Error{ec, "create directory " + path};
  return {};
}
}  // namespace

Result<PinDir> PinDir::prepare(const std::string& root, const std::string& service) {
  if (root.empty() || root[0] != '/') return make_error(Errc::invalid_argument, "pin root must be an absolute path: '" + root + "'");
  if (service.empty() || service.find('/') != std::string::npos)
    return make_error(Errc::invalid_argument, "bad service name for pins: '" + service + "'");
  const std::string sysbpf = "/sys/fs/bpf";
  if (root.rfind(sysbpf, 0) == 0 && !is_bpffs(sysbpf)) {
    if (mount("bpf", sysbpf.c_str(), "bpf", 0, "mode=0700") != 0)
      return errno_error(errno, "mount bpffs at " + sysbpf);
  }
  if (auto st = mkdir_p(root); !st) return st.error();
  if (!is_bpffs(root)) return make_error(Errc::unsupported, "pin root " + root + " is not on a bpffs");
  std::string path = root + "/" + service;
  if (auto st = mkdir_p(path); !st) return st.error();
  return PinDir(root, path);
}

bool PinDir::exists(const std::string& name) const { return access(entry(name).c_str(), F_OK) == 0; }

std::vector<std::string> PinDir::list(const std::string& prefix) const {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(path_, ec)) {
    std::string n = e.path().filename();
    if (n.rfind(prefix, 0) == 0) out.push_back(n);
  }
  return out;
}

Status PinDir::remove(const std::string& name) const {
  if (unlink(entry(name).c_str()) != 0 && errno != ENOENT) return errno_error(errno, "unpin " + entry(name));
  return {};
}

Status PinDir::remove_all() const {
  for (const auto& n : list()) {
    if (auto st = remove(n); !st) return st;
  }
  if (rmdir(path_.c_str()) != 0 && errno != ENOENT) return errno_error(errno, "remove " + path_);
  rmdir(root_.c_str());  // only succeeds when no other service still pins there
  return {};
}

}  // namespace netaccel
