#include "netaccel/core/netns.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/net_namespace.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <cstring>
#include <set>
#include <utility>
#include <vector>

namespace netaccel {

Result<int> netns_id_of(int ns_fd) {
  UniqueFd sock(socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
  if (!sock.valid()) return errno_error(errno, "netlink socket");
  struct {
    nlmsghdr nh;
    rtgenmsg g;
    char pad[3];
    nlattr attr;
    uint32_t fd;
  } req{};
  req.nh.nlmsg_len = sizeof(req);
  req.nh.nlmsg_type = RTM_GETNSID;
  req.nh.nlmsg_flags = NLM_F_REQUEST;
  req.g.rtgen_family = AF_UNSPEC;
  req.attr.nla_len = NLA_HDRLEN + sizeof(uint32_t);
  req.attr.nla_type = NETNSA_FD;
  req.fd = ns_fd;
  if (send(sock.get(), &req, sizeof(req), 0) < 0) return errno_error(errno, "RTM_GETNSID");
  char buf[4096];
  ssize_t n = recv(sock.get(), buf, sizeof(buf), 0);
  if (n < 0) return errno_error(errno, "RTM_GETNSID reply");
  auto* nh = reinterpret_cast<nlmsghdr*>(buf);
  if (!NLMSG_OK(nh, static_cast<unsigned>(n))) return make_error(Errc::unsupported, "short RTM_GETNSID reply");
  if (nh->nlmsg_type == NLMSG_ERROR) {
    auto* e = static_cast<nlmsgerr*>(NLMSG_DATA(nh));
    return errno_error(e->error, "RTM_GETNSID");
  }
  int len = nh->nlmsg_len - NLMSG_LENGTH(sizeof(rtgenmsg));
  auto* a = reinterpret_cast<nlattr*>(static_cast<char*>(NLMSG_DATA(nh)) + NLMSG_ALIGN(sizeof(rtgenmsg)));
  for (; len >= static_cast<int>(sizeof(nlattr)) && a->nla_len >= sizeof(nlattr) && a->nla_len <= len;
       len -= NLA_ALIGN(a->nla_len), a = reinterpret_cast<nlattr*>(reinterpret_cast<char*>(a) + NLA_ALIGN(a->nla_len))) {
    if (a->nla_type == NETNSA_NSID) {
      int32_t id;
      std::memcpy(&id, reinterpret_cast<char*>(a) + NLA_HDRLEN, sizeof(id));
      return static_cast<int>(id);
    }
  }
  return -1;
}

namespace {
std::vector<std::string> candidate_ns_paths() {
  std::vector<std::string> out;
  for (const char* dir : {"/run/netns", "/var/run/netns"}) {
    if (DIR* d = opendir(dir)) {
      while (dirent* e = readdir(d))
        if (e->d_name[0] != '.') out.push_back(std::string(dir) + "/" + e->d_name);
      closedir(d);
    }
  }
  if (DIR* d = opendir("/proc")) {
    while (dirent* e = readdir(d))
      if (e->d_name[0] >= '1' && e->d_name[0] <= '9') out.push_back(std::string("/proc/") + e->d_name + "/ns/net");
    closedir(d);
  }
  return out;
}
}  // namespace

Result<UniqueFd> open_netns_by_id(int nsid) {
  if (nsid < 0) return make_error(Errc::invalid_argument, "no namespace id");
  std::set<std::pair<dev_t, ino_t>> seen;
  for (const auto& p : candidate_ns_paths()) {
    UniqueFd fd(open(p.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) continue;
    struct stat st{};
    if (fstat(fd.get(), &st) != 0 || !seen.insert({st.st_dev, st.st_ino}).second) continue;
    auto id = netns_id_of(fd.get());
    if (id.ok() && *id == nsid) return fd;
  }
  return make_error(Errc::not_found, "network namespace with id " + std::to_string(nsid));
}

Status run_in_netns(int ns_fd, const std::function<Status()>& fn) {
  UniqueFd self(open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  if (!self.valid()) return errno_error(errno, "open own network namespace");
  if (setns(ns_fd, CLONE_NEWNET) != 0) return errno_error(errno, "enter network namespace");
  Status st = fn();
  if (setns(self.get(), CLONE_NEWNET) != 0) std::abort();  // cannot continue in the wrong namespace
  return st;
}

}  // namespace netaccel
