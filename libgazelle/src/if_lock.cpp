#include "if_lock.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <net/if.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <vector>

namespace gazelle {

netaccel::Result<netaccel::UniqueFd> lock_interface(const std::string& stats_dir, const std::string& ifname) {
  mkdir(stats_dir.c_str(), 0755);
  std::string path = stats_dir + "/if-" + ifname + ".lock";
  netaccel::UniqueFd fd(open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (!fd.valid()) return netaccel::errno_error(errno, "lock file " + path);
  if (flock(fd.get(), LOCK_EX | LOCK_NB) < 0) {
    char owner[32] = "";
    ssize_t n = pread(fd.get(), owner, sizeof(owner) - 1, 0);
    std::string who = n > 0 ? std::string(owner, static_cast<size_t>(n)) : "?";
    return netaccel::make_error(netaccel::Errc::already_exists,
                                "interface " + ifname + " is driven by another libgazelle process (pid " + who + ")");
  }
  std::string pid = std::to_string(getpid());
  if (ftruncate(fd.get(), 0) == 0) (void)!pwrite(fd.get(), pid.data(), pid.size(), 0);
  return fd;
}

void remove_stale_steering(const std::string& ifname) {
  int ifindex = static_cast<int>(if_nametoindex(ifname.c_str()));
  uint32_t prog_id = 0;
  if (!ifindex || bpf_xdp_query_id(ifindex, 0, &prog_id) || !prog_id) return;
  int prog = bpf_prog_get_fd_by_id(prog_id);
  if (prog < 0) return;
  bpf_prog_info info{};
  uint32_t len = sizeof(info);
  bool ours = bpf_obj_get_info_by_fd(prog, &info, &len) == 0 && strcmp(info.name, "gazelle_steer") == 0;
  close(prog);
  // A link-attached program refuses this (EBUSY): only netlink leftovers go.
  if (ours) bpf_xdp_detach(ifindex, 0, nullptr);
}

std::string interface_of(const std::vector<std::string>& dpdk_args, const std::string& xdp_eth_name) {
  if (!xdp_eth_name.empty()) return xdp_eth_name;
  for (const auto& a : dpdk_args) {
    auto p = a.find("iface=");
    if (p == std::string::npos) continue;
    auto end = a.find(',', p);
    return a.substr(p + 6, end == std::string::npos ? std::string::npos : end - p - 6);
  }
  return "";
}

}  // namespace gazelle
