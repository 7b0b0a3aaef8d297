#include "gazelle_plumbing.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <sstream>

#include "gazelle/cni_layout.h"
#include "netaccel/core/cgroup.h"
#include "netaccel/core/ethtool.h"
#include "netaccel/core/files.h"
#include "netaccel/core/host_route.h"
#include "netaccel/core/netns.h"

extern char** environ;

namespace netaccel::cni {

namespace fs = std::filesystem;

namespace {

CniError io(const std::string& msg) { return {CniCode::io_failure, "gazelle: " + msg, ""}; }

// The delegated IPAM plugin, as CNI delegation runs it: found in CNI_PATH, our environment
// with CNI_COMMAND and CNI_IFNAME set for it, the request on stdin, its result on stdout.
std::variant<nlohmann::json, CniError> run_ipam(const std::string& command, const Invocation& inv, const GazelleConfig& g) {
  const std::string type = g.ipam["type"];
  std::string path;
  std::istringstream dirs(getenv("CNI_PATH") ? getenv("CNI_PATH") : "");
  for (std::string d; std::getline(dirs, d, ':') && path.empty();)
    if (!d.empty() && access((d + "/" + type).c_str(), X_OK) == 0) path = d + "/" + type;
  if (path.empty()) return CniError{CniCode::invalid_config, "gazelle.ipam.type: no plugin '" + type + "' in CNI_PATH", ""};
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) {
    std::string v = *e;
    if (v.rfind("CNI_COMMAND=", 0) != 0 && v.rfind("CNI_IFNAME=", 0) != 0) env.push_back(v);
  }
  env.push_back("CNI_COMMAND=" + command);
  env.push_back("CNI_IFNAME=" + ipam_ifname(inv.env.ifname));
  std::vector<char*> envp;
  for (auto& v : env) envp.push_back(v.data());
  envp.push_back(nullptr);
  int in[2], out[2];
  if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0) return io("pipe: " + std::string(strerror(errno)));
  const std::string request = ipam_request(inv, g).dump();
  pid_t pid = fork();
  if (pid == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    char* argv[] = {path.data(), nullptr};
    execve(path.c_str(), argv, envp.data());
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  if (pid < 0) {
    close(in[1]);
    close(out[0]);
    return io("fork: " + std::string(strerror(errno)));
  }
  bool written = write(in[1], request.data(), request.size()) == static_cast<ssize_t>(request.size());
  close(in[1]);
  std::string reply;
  char buf[4096];
  for (ssize_t n; (n = read(out[0], buf, sizeof buf)) > 0;) reply.append(buf, static_cast<size_t>(n));
  close(out[0]);
  int st = 0;
  waitpid(pid, &st, 0);
  auto j = nlohmann::json::parse(reply, nullptr, false);
  if (!written || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
    std::string msg = j.is_object() ? j.value("msg", reply) : reply;
    return CniError{CniCode::io_failure, "gazelle.ipam: " + type + " " + command + " failed: " + msg, ""};
  }
  if (command == "DEL") return nlohmann::json::object();
  if (!j.is_object()) return io(type + " ADD returned no result");
  return j;
}

fs::path pod_dir(const Invocation& inv, const GazelleConfig& g) { return fs::path(g.conf_dir) / inv.env.container_id; }
fs::path by_netns(const GazelleConfig& g) { return fs::path(g.conf_dir) / gazelle::kCniByNetns; }

// by-netns links that lead to this pod's directory (the netns may be gone, so found by target).
void remove_links(const Invocation& inv, const GazelleConfig& g) {
  std::error_code ec;
  const std::string target = "../" + inv.env.container_id;
  for (const auto& l : fs::directory_iterator(by_netns(g), ec))
    if (fs::is_symlink(l.symlink_status()) && fs::read_symlink(l.path(), ec) == target) fs::remove(l.path(), ec);
}

std::optional<CniError> write_conf(const Invocation& inv, const GazelleConfig& g, const std::string& text) {
  std::error_code ec;
  const fs::path dir = pod_dir(inv, g);
  fs::create_directories(dir, ec);
  fs::create_directories(by_netns(g), ec);
  if (ec) return io("create " + dir.string() + ": " + ec.message());
  // Readable by the pod's processes, whatever user they run as.
  fs::permissions(g.conf_dir, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec | fs::perms::others_read |
                                  fs::perms::others_exec, ec);
  if (auto st = write_file_atomic((dir / "lstack.conf").string(), text); !st) return io(st.error().what());
  chmod((dir / "lstack.conf").c_str(), 0644);
  auto ino = netns_inode(inv.env.netns);
  if (!ino) return io(ino.error().what());
  // Replace any stale link for this inode atomically: a new link beside it, then rename.
  const fs::path link = by_netns(g) / std::to_string(*ino), tmp = link.string() + ".new";
  fs::remove(tmp, ec);
  fs::create_symlink("../" + inv.env.container_id, tmp, ec);
  if (!ec) fs::rename(tmp, link, ec);
  if (ec) return io("link " + link.string() + ": " + ec.message());
  return std::nullopt;
}

// libgazelle's one AF_XDP socket serves rx queue 0: frames for its address that arrive on
// another queue would go to the pod's kernel, which does not own the address, and be lost
// (a veth gets one rx queue per CPU). The pod's interface gets one queue, in its netns.
std::optional<CniError> single_queue(const Invocation& inv) {
  UniqueFd ns(open(inv.env.netns.c_str(), O_RDONLY | O_CLOEXEC));
  if (ns.get() < 0) return io("open " + inv.env.netns + ": " + strerror(errno));
  auto st = run_in_netns(ns.get(), [&]() -> Status { return set_rx_tx_channels(inv.env.ifname, 1, 1); });
  if (!st) return io(st.error().what() + " (libgazelle's AF_XDP socket serves one rx queue)");
  return std::nullopt;
}

}  // namespace

std::variant<nlohmann::json, CniError> gazelle_add(const Invocation& inv, const GazelleConfig& g, const std::string& host_dev) {
  if (host_dev.empty()) return CniError{CniCode::invalid_config, "gazelle: the plugin before left no host-side interface to route through", ""};
  if (auto e = single_queue(inv)) return *e;
  auto ipam = run_ipam("ADD", inv, g);
  if (auto* e = std::get_if<CniError>(&ipam)) return *e;
  auto undo_ipam = [&] { (void)run_ipam("DEL", inv, g); };
  auto addr = gazelle_address(std::get<nlohmann::json>(ipam), inv);
  if (auto* e = std::get_if<CniError>(&addr)) {
    undo_ipam();
    return *e;
  }
  const auto& a = std::get<GazelleAddress>(addr);
  if (auto st = replace_host_route(a.address, host_dev); !st) {
    undo_ipam();
    return io(st.error().what());
  }
  if (auto e = write_conf(inv, g, lstack_conf(a, inv.env.ifname, g))) {
    (void)delete_host_route(a.address);
    remove_links(inv, g);
    std::error_code ec;
    fs::remove_all(pod_dir(inv, g), ec);
    undo_ipam();
    return *e;
  }
  return nlohmann::json{{"address", a.address}, {"conf", (pod_dir(inv, g) / "lstack.conf").string()}};
}

std::optional<CniError> gazelle_del(const Invocation& inv, const GazelleConfig& g) {
  const fs::path conf = pod_dir(inv, g) / "lstack.conf";
  if (auto text = read_file(conf.string()))
    if (auto addr = lstack_host_addr(*text))
      if (auto st = delete_host_route(*addr); !st) return io(st.error().what());
  remove_links(inv, g);
  std::error_code ec;
  fs::remove_all(pod_dir(inv, g), ec);
  if (ec) return io("remove " + pod_dir(inv, g).string() + ": " + ec.message());
  if (auto r = run_ipam("DEL", inv, g); auto* e = std::get_if<CniError>(&r)) return *e;
  return std::nullopt;
}

std::optional<CniError> gazelle_check(const Invocation& inv, const GazelleConfig& g, const std::string& host_dev) {
  const fs::path conf = pod_dir(inv, g) / "lstack.conf";
  auto text = read_file(conf.string());
  auto addr = text ? lstack_host_addr(*text) : std::nullopt;
  if (!addr) return CniError{CniCode::fastpath_missing, "gazelle: " + conf.string() + " is missing or has no host_addr", ""};
  if (!host_dev.empty() && !has_host_route(*addr, host_dev))
    return CniError{CniCode::fastpath_missing, "gazelle: no host route to " + *addr + " through " + host_dev, ""};
  return std::nullopt;
}

}  // namespace netaccel::cni
