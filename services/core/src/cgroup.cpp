#include "netaccel/core/cgroup.h"

#include <dirent.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include <cstdlib>
#include <fstream>
#include <memory>

namespace netaccel {

std::string cgroup2_root() {
  struct statfs fs{};
  if (statfs("/sys/fs/cgroup", &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC) return "/sys/fs/cgroup";
  return "/sys/fs/cgroup/unified";
}

bool path_within(const std::string& dir, const std::string& path) {
  if (dir == "/") return !path.empty() && path[0] == '/';
  if (path.compare(0, dir.size(), dir) != 0) return false;
  return path.size() == dir.size() || path[dir.size()] == '/';
}

Result<uint64_t> netns_inode(const std::string& path) {
  struct stat st{};
  if (stat(path.c_str(), &st) != 0) return errno_error(errno, "network namespace " + path);
  return uint64_t{st.st_ino};
}

Result<std::string> cgroup_of_netns(uint64_t netns, const std::string& root) {
  const std::string what = "network namespace " + std::to_string(netns);
  std::unique_ptr<DIR, int (*)(DIR*)> proc(opendir("/proc"), closedir);
  if (!proc) return errno_error(errno, "read /proc");
  long best = -1;
  while (dirent* d = readdir(proc.get())) {
    char* end = nullptr;
    long pid = std::strtol(d->d_name, &end, 10);
    if (*end || pid <= 0 || (best > 0 && pid > best)) continue;
    struct stat ns{};
    std::string link = std::string("/proc/") + d->d_name + "/ns/net";
    if (stat(link.c_str(), &ns) != 0 || ns.st_ino != netns) continue;
    best = pid;
  }
  if (best < 0) return make_error(Errc::not_found, "no process in " + what + " yet");
  // cgroup v2's line is "0::/path"; a process gone meanwhile is as good as none. A runtime
  // joins the netns and the cgroup in two steps: one still in the root is not placed yet.
  std::ifstream f("/proc/" + std::to_string(best) + "/cgroup");
  for (std::string line; std::getline(f, line);) {
    if (line.rfind("0::", 0) != 0) continue;
    if (line.substr(3) == "/") return make_error(Errc::not_found, "process " + std::to_string(best) + " of " + what + " is not in its cgroup yet");
    return root + line.substr(3);
  }
  return make_error(Errc::not_found, "process " + std::to_string(best) + " of " + what + " has no cgroup v2 path");
}

}  // namespace netaccel
