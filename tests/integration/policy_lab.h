// One node for netaccel-policy's tests: netaccel-agent, -fwd and -policy on a private bus in a
// node namespace, pods as network namespaces (on a bridge, or routed through their veths as
// ptp/Calico-style CNIs do), each pod registered with the agent as the CNI plugin does and
// answering TCP and UDP on the given ports (policy_responder.py). A probe is a real connection
// from one pod, and its verdict an event: the answer arrives (allowed) or netaccel-policy
// counts a drop in its pinned counters (denied); neither within 10 s is "slow", never taken
// for a verdict.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "harness.h"
#include "policy_oracle.h"
#include "service_fixture.h"

namespace netaccel::test {

struct LabPod {
  std::string ns, name, ip;
  std::map<std::string, std::string> labels;
  std::vector<OraclePod::Port> ports;  // named container ports (a Pod object carries them)
};

enum class Outcome { answered, dropped, neither };
const char* outcome_name(Outcome o);

struct PolicyLabOptions {
  bool bridged = true;               // else routed: /32 routes through each pod's veth
  std::vector<int> ports{80, 81};    // served over TCP and UDP in every pod
  int echo_port = 0;                 // a TCP echo server in every pod (a long-lived flow); 0: none
  bool pod_objects = false;          // also apply Pod objects (labels and named ports)
  unsigned policy_map_entries = 0;   // netaccel-policy's limit per pod (0: its default)
  unsigned settle_ms = 5;            // netaccel-policy's settle_ms
  bool fast_path = true;             // netaccel-fwd wiring the pods (off: every packet crosses netfilter)
  std::string fwd_hook = "tc";       // netaccel-fwd's hook on the pod veths: tc or xdp
  std::string gateway = "10.96.255.1";  // the node's address on br0 (a /16) and the pods' default route
  std::string agent_config;          // more [agent] lines (cluster mode: etcd_endpoints, node_name, ...)
};

class PolicyLab {
 public:
  // Sets everything up; check ok() (a failure has been reported).
  // `before_daemons` runs once the node namespace and the pods exist, before any daemon starts
  // (a node network: links and routes to other nodes); false fails the lab.
  PolicyLab(const std::string& prefix, const std::string& dir, std::vector<LabPod> pods, const PolicyLabOptions& o,
            const std::function<bool(const std::string& node)>& before_daemons = {});
  ~PolicyLab();
  bool ok() const { return ok_; }

  const std::vector<LabPod>& pods() const { return pods_; }
  const ServiceUnderTest& agent() const { return *agent_; }
  const ServiceUnderTest* fwd() const { return fwd_.get(); }
  std::string host_veth_of(size_t i) const;
  ServiceUnderTest& policy() { return *policy_; }
  std::string pod_netns(size_t i) const { return prefix_ + "-p" + std::to_string(i); }
  std::string pins() const { return "/sys/fs/bpf/netaccel-test-" + prefix_; }

  // netaccelctl apply (or delete) -f, then waits for netaccel-policy to install a new state.
  bool apply(const std::string& yaml, bool remove = false);
  // (again: a label change). With `wait`, until netaccel-policy installed it.
  bool register_pod(size_t i, bool wait = true);
  bool unregister_pod(size_t i);  // CNI DEL: the pod leaves the cluster view
  void set_pod_labels(size_t i, std::map<std::string, std::string> labels) { pods_[i].labels = std::move(labels); }
  // Starts netaccelctl apply/delete -f and returns at once (the change lands while probes run).
  bool apply_async(const std::string& yaml, bool remove, Process& ctl);
  // The state slot the data path reads (pinned pol_version): it flips once per installed change.
  uint32_t active_slot() const;
  uint64_t generation() const;
  size_t endpoint_count() const;
  bool start_policy();
  void kill_policy() { policy_->kill_hard(); }

  Outcome probe(size_t from, const std::string& ip, const std::string& proto, int port);
  // Where a drop is counted: netaccel-policy's pinned counters unless another data path is
  // judged (kernel iptables: its drop rule's counter).
  void set_drop_counter(std::function<uint64_t()> fn) { drop_counter_ = std::move(fn); }
  CmdResult node_sh(const std::string& cmd) const { return sh("ip netns exec " + node_ + " " + cmd); }
  // Every pod to every other pod, TCP and UDP on every port, against the oracle: the
  // differences as readable lines (empty: all agree). A probe with no verdict is one too.
  std::vector<std::string> matrix_differences(const OracleCluster& c);
  // The oracle's view of the pods and namespaces (labels as registered), without policies.
  OracleCluster oracle_base() const;
  std::string diagnose(size_t from) const;
  // A socket made in pod i's namespace (non-blocking).
  int pod_socket(size_t pod, int type) const { return socket_in(pod, type); }
  // Drops this node's netaccel-policy counted (its pinned counters), whatever set_drop_counter says.
  uint64_t kernel_denied() const;
  std::string node() const { return node_; }

 private:
  uint64_t denied_total() const;
  int socket_in(size_t pod, int type) const;

  std::string prefix_, dir_, node_;
  std::vector<LabPod> pods_;
  PolicyLabOptions opt_;
  bool ok_ = false;
  std::unique_ptr<ServiceUnderTest> agent_, fwd_, policy_;
  std::vector<std::unique_ptr<Process>> servers_;
  std::map<std::string, std::map<std::string, std::string>> ns_labels_;
  int stats_fd_ = -1, version_fd_ = -1;
  std::vector<int> pod_ns_fds_;
  int own_ns_fd_ = -1;
  unsigned next_port_ = 0;
  std::function<uint64_t()> drop_counter_;
};

}  // namespace netaccel::test
