#include "etcd_cluster.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <unistd.h>

#include <thread>

#include "netaccel/core/etcd.h"

namespace netaccel::test {

namespace {

// Runs f on a thread that joined the network namespace (setns moves only the calling thread),
// so the test's own client reaches members that listen in a namespace the test made.
bool in_netns(const std::string& path, const std::function<bool()>& f) {
  if (path.empty()) return f();
  bool result = false;
  std::thread t([&] {
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    if (setns(fd, CLONE_NEWNET) == 0) result = f();
    close(fd);
  });
  t.join();
  return result;
}

}  // namespace

std::string EtcdCluster::url(int port) const { return "http://" + where_.host + ":" + std::to_string(port); }

EtcdCluster::EtcdCluster(const std::string& dir, int members, int base_port, EtcdPlacement where)
    : where_(std::move(where)), dir_(dir), base_port_(base_port), n_(members) {
  for (int i = 0; i < n_; ++i) initial_cluster_ += (i ? "," : "") + ("m" + std::to_string(i)) + "=" + url(base_port_ + 2 * i + 1);
  members_.resize(static_cast<size_t>(n_));
  for (int i = 0; i < n_; ++i) start(i, false);
}

EtcdCluster::~EtcdCluster() {
  members_.clear();  // SIGTERM, then SIGKILL, by pid
  sh("rm -rf " + dir_ + "/etcd-m*");
}

bool EtcdCluster::start(int i, bool existing) {
  const std::string name = "m" + std::to_string(i);
  auto& p = members_[static_cast<size_t>(i)];
  p = std::make_unique<Process>();
  // Short heartbeats and elections: a killed leader is replaced in well under a second.
  return p->start({"/usr/bin/etcd", "--name", name, "--data-dir", dir_ + "/etcd-" + name, "--listen-client-urls", client_url(i),
                   "--advertise-client-urls", client_url(i), "--listen-peer-urls", url(base_port_ + 2 * i + 1),
                   "--initial-advertise-peer-urls", url(base_port_ + 2 * i + 1), "--initial-cluster", initial_cluster_,
                   "--initial-cluster-state", existing ? "existing" : "new", "--initial-cluster-token", dir_,
                   "--heartbeat-interval", "50", "--election-timeout", "500", "--log-outputs", "stderr"},
                  {}, where_.netns_path, dir_ + "/etcd-" + name + ".log");
}

std::string EtcdCluster::client_url(int i) const { return url(base_port_ + 2 * i); }

std::vector<std::string> EtcdCluster::client_urls() const {
  std::vector<std::string> out;
  for (int i = 0; i < n_; ++i) out.push_back(client_url(i));
  return out;
}

bool EtcdCluster::healthy(int timeout_ms) {
  return wait_until(
      [&] {
        for (int i = 0; i < n_; ++i) {
          if (!members_[static_cast<size_t>(i)] || !members_[static_cast<size_t>(i)]->running()) continue;
          const bool answers = in_netns(where_.netns_path, [&] {
            EtcdClient c({client_url(i)}, 1000);
            return static_cast<bool>(c.put("/netaccel-test/health", "ok"));  // a write needs a leader
          });
          if (!answers) return false;
        }
        return true;
      },
      timeout_ms);
}

void EtcdCluster::kill(int i) {
  auto& p = members_[static_cast<size_t>(i)];
  if (p && p->running()) ::kill(p->pid(), SIGKILL);
  if (p) p->stop(2000);
  p.reset();
}

bool EtcdCluster::restart(int i) { return start(i, true); }

std::string EtcdCluster::log(int i) const { return sh("tail -20 " + dir_ + "/etcd-m" + std::to_string(i) + ".log").out; }

}  // namespace netaccel::test
