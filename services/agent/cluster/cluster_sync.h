// Cluster mode: the agent's objects and every node's endpoints kept in etcd.
//   <prefix>/objects/<Kind>/<namespace or ->/<name>   the object as YAML (one document)
//   <prefix>/endpoints/<node>/<container id>/<ifname> the endpoint's JSON, under the node's lease
// A change made on this node is written to etcd in one transaction before it is made locally
// (etcd unreachable: the change is refused, nothing half applied). Every agent watches the
// prefix and applies what others wrote; its own writes come back and are recognised by their
// revision. A node's endpoints live under a lease it keeps alive: a dead node's pods leave
// every other node's view within endpoint_lease_s.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "agent_service.h"
#include "netaccel/core/etcd.h"
#include "netaccel/core/event_loop.h"
#include "netaccel/core/unique_fd.h"

namespace netaccel::agent {

struct ClusterEndpoint {
  std::string node, id, json;  // id: "container/ifname"; json: as GetEndpoint gives it
};

class ClusterSync {
 public:
  ClusterSync(const AgentConfig& cfg, AgentService& svc);
  ~ClusterSync();  // ends the watch
  ClusterSync(const ClusterSync&) = delete;
  ClusterSync& operator=(const ClusterSync&) = delete;

  // Reads the cluster's state (etcd is the truth: local objects it lacks go), writes this
  // node's endpoints under a new lease, then follows changes. Fails when no member answers.
  Status start(EventLoop& loop);
  // Every node's endpoints, this one's included, as etcd has them.
  std::vector<ClusterEndpoint> endpoints() const;
  // After each endpoint of any node appears ("added"), changes ("changed") or goes
  // ("removed") in that view; a resync reports only what differs.
  using EndpointListener = std::function<void(const char* change, const ClusterEndpoint&)>;
  void on_endpoint(EndpointListener f) { listeners_.push_back(std::move(f)); }

 private:
  std::string object_key(const ObjectKey& k) const;
  std::string endpoint_key(const std::string& node, const std::string& id) const;
  Status write_objects(const ObjectStore& next, const std::vector<Change>& changes);
  Status resync();
  Status publish_own_endpoints();
  void on_local_endpoint(const EndpointEvent& ev);
  void keepalive();
  void drain();  // on the loop: what the watch thread received
  void apply_events(const std::vector<EtcdEvent>& events);
  void watch_thread(int64_t from);
  void set_endpoint(const std::string& key, ClusterEndpoint ep);
  void erase_endpoint(const std::string& key);
  void notify(const char* change, const ClusterEndpoint& ep) const;

  AgentConfig cfg_;
  AgentService& svc_;
  EtcdClient etcd_;  // the loop thread's; the watch thread has its own
  int64_t lease_ = 0;
  bool dirty_ = false;  // an endpoint write failed: all of them again at the next keepalive
  std::map<std::string, int64_t> written_;  // key -> revision of our own last write to it
  std::map<std::string, ClusterEndpoint> endpoints_;  // by etcd key
  std::vector<EndpointListener> listeners_;

  UniqueFd wake_;  // eventfd: the watch thread's events are waiting
  std::mutex mu_;
  std::vector<EtcdEvent> pending_;
  bool resync_needed_ = false;  // the watch's revision was compacted away
  std::atomic<bool> stop_{false};
  std::thread watcher_;
};

}  // namespace netaccel::agent
