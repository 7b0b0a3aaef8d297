#include "sockmap_service.h"

#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include <climits>
#include <cstdlib>

#include <fcntl.h>
#include <sys/socket.h>

#include "netaccel/core/cgroup.h"
#include "netaccel/core/log.h"
#include "netaccel/core/netns.h"
#include "netaccel/core/unique_fd.h"

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

std::string RealCgroupFs::root() const { return cgroup2_root(); }

Result<uint64_t> RealCgroupFs::netns_cookie(const std::string& netns_path) const {
  UniqueFd ns(::open(netns_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!ns.valid()) return make_error(Errc::not_found, "network namespace " + netns_path);
  uint64_t cookie = 0;
  Status st = run_in_netns(ns.get(), [&]() -> Status {
    UniqueFd sock(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    socklen_t len = sizeof(cookie);
    if (!sock.valid() || getsockopt(sock.get(), SOL_SOCKET, 71 /* SO_NETNS_COOKIE */, &cookie, &len) != 0)
      return errno_error(errno, "read the cookie of " + netns_path);
    return {};
  });
  if (!st) return Error{st.error().code, netns_path + ": " + st.error().message};
  return cookie;
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

namespace netaccel::sockmap {

Status SockmapService::add_sidecar_pod(const std::string& ip, const std::string& netns_path) {
  auto p = parse_prefix(ip);
  if (!p || p->len != (p->family == AF_INET ? 32 : 128))
    return make_error(Errc::invalid_argument, "'" + ip + "' is not a pod IP address");
  if (netns_path.empty() || netns_path[0] != '/')
    return make_error(Errc::invalid_argument, "network namespace path must be absolute: '" + netns_path + "'");
  auto cookie = fs_.netns_cookie(netns_path);
  if (!cookie) return cookie.error();
  if (auto st = dp_.add_sidecar_pod(*p, *cookie); !st) return st;
  log::info("sidecar pod " + ip + " (" + netns_path + ")");
  return {};
}

Status SockmapService::remove_sidecar_pod(const std::string& ip) {
  auto p = parse_prefix(ip);
  if (!p) return make_error(Errc::invalid_argument, "'" + ip + "' is not an IP address");
  for (const auto& known : dp_.sidecar_pods())
    if (known == *p) return dp_.remove_sidecar_pod(*p);
  return make_error(Errc::not_found, ip + " is not a sidecar pod");
}

std::vector<std::string> SockmapService::sidecar_pods() const {
  std::vector<std::string> out;
  for (const auto& p : dp_.sidecar_pods()) {
    std::string s = to_string(p);
    out.push_back(s.substr(0, s.find('/')));
  }
  return out;
}

}  // namespace netaccel::sockmap
