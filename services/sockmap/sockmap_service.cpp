#include "sockmap_service.h"

#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include <climits>
#include <cstdlib>

#include "netaccel/core/log.h"

namespace netaccel::sockmap {

Result<EnabledCgroup> RealCgroupFs::resolve(const std::string& path) const {
  if (path.empty() || path[0] != '/') return make_error(Errc::invalid_argument, "cgroup path must be absolute: '" + path + "'");
  char real[PATH_MAX];
  if (!realpath(path.c_str(), real)) return make_error(Errc::not_found, "cgroup " + path);
  struct statfs fs{};
  if (statfs(real, &fs) != 0 || fs.f_type != CGROUP2_SUPER_MAGIC)
    return make_error(Errc::invalid_argument, std::string(real) + " is not a cgroup v2 directory");
  struct stat st{};
  if (stat(real, &st) != 0 || !S_ISDIR(st.st_mode)) return make_error(Errc::invalid_argument, std::string(real) + " is not a directory");
  return EnabledCgroup{static_cast<uint64_t>(st.st_ino), real};
}

std::string RealCgroupFs::root() const {
  struct statfs fs{};
  if (statfs("/sys/fs/cgroup", &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC) return "/sys/fs/cgroup";
  return "/sys/fs/cgroup/unified";
}

Status SockmapService::start() {
  if (auto st = dp_.set_local_prefixes(cfg_.local_prefixes); !st) return st;
  for (const auto& cg : dp_.enabled()) log::info("adopted cgroup " + cg.path + " from the previous run");
  std::vector<std::string> wanted = cfg_.cgroups.empty() ? std::vector<std::string>{fs_.root()} : cfg_.cgroups;
  for (const auto& path : wanted) {
    auto st = enable(path);
    if (!st && st.error().code != Errc::already_exists) return st;
  }
  return {};
}

Status SockmapService::enable(const std::string& path) {
  auto cg = fs_.resolve(path);
  if (!cg) return cg.error();
  for (const auto& e : dp_.enabled())
    if (e.id == cg->id) return make_error(Errc::already_exists, cg->path + " is already enabled");
  if (auto st = dp_.enable(*cg); !st) return st;
  log::info("enabled cgroup " + cg->path);
  if (changed_) changed_();
  return {};
}

Status SockmapService::disable(const std::string& path) {
  if (path.empty() || path[0] != '/') return make_error(Errc::invalid_argument, "cgroup path must be absolute: '" + path + "'");
  for (const auto& e : dp_.enabled()) {
    if (e.path != path) continue;
    if (auto st = dp_.disable(e.id); !st) return st;
    log::info("disabled cgroup " + e.path + " (its open connections keep their acceleration until closed)");
    if (changed_) changed_();
    return {};
  }
  return make_error(Errc::not_found, path + " is not enabled");
}

}  // namespace netaccel::sockmap
