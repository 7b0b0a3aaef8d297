// The agent's state and the rules for changing it: cluster objects and this node's
// endpoints, each change validated whole, written to the state directory, and only then made
// live (a write that fails changes nothing). Listeners hear of every change, the bus turns
// them into signals. No D-Bus here.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "agent_config.h"
#include "dataplanes.h"
#include "endpoint_store.h"
#include "object_store.h"

namespace netaccel::agent {

struct ObjectEvent {
  ChangeKind what;
  ObjectKey key;
};
struct EndpointEvent {
  EndpointChange what;
  std::string id;
};

class AgentService {
 public:
  // Reads the state directory (created if missing); a state file that cannot be read stops
  // the start rather than starting empty and overwriting it.
  static Result<AgentService> open(const AgentConfig& cfg);

  Result<std::vector<Change>> apply(const std::vector<YamlSource>& sources);
  Result<std::vector<Change>> remove(const std::string& yaml, const std::string& source);
  Result<std::vector<Change>> remove(const std::string& kind, const std::string& ns, const std::string& name);
  // Multi-document YAML of the objects of `kind` (any spelling kubectl takes); ns empty:
  // every namespace; name empty: all of them. NotFound when a named object does not exist.
  Result<std::string> get(const std::string& kind, const std::string& ns, const std::string& name) const;

  Result<EndpointChange> register_endpoint(const std::string& json, const std::string& where);
  Result<bool> unregister_endpoint(const std::string& container_id, const std::string& ifname);
  std::vector<Endpoint> endpoints() const { return endpoints_.list(); }
  std::optional<Endpoint> endpoint(const std::string& id) const { return endpoints_.get(id); }
  // Drops endpoints whose netns is gone; returns how many.
  Result<size_t> collect_garbage();

  // From now on, endpoints get netaccel's fast path through `dp` (nullptr: records only).
  void set_dataplanes(Dataplanes* dp) { dp_ = dp; }
  // Asks the services again for every endpoint (one of them restarted); records what changed.
  Status reconcile();
  // Endpoints without a cgroup: looks for a process in their netns (the container started)
  // and, when one is found, gives the pod sockmap. Returns how many were found.
  Result<size_t> discover_cgroups();
  bool cgroups_missing() const;
  // CNI CHECK: NotFound when no such endpoint, or when a service disagrees with its record.
  Result<std::vector<std::string>> check_endpoint(const std::string& id);

  size_t object_count() const { return objects_.size(); }
  const ObjectStore& objects() const { return objects_; }

  // Cluster mode: every change made here goes through `w` before it is made locally; an
  // error from it (etcd unreachable) refuses the change, so nothing is half applied.
  using ObjectWriter = std::function<Status(const ObjectStore& next, const std::vector<Change>& changes)>;
  void set_object_writer(ObjectWriter w) { writer_ = std::move(w); }
  // Changes that come from the cluster (another node, or a resync): `puts` (YAML documents,
  // named for errors) applied and `deletes` removed as one change, not written back. With
  // `replace`, every object not among `puts` goes too (the built-in namespaces stay).
  Result<std::vector<Change>> sync_objects(const std::vector<YamlSource>& puts, const std::vector<ObjectKey>& deletes, bool replace);
  const AgentConfig& config() const { return cfg_; }

  void on_object(std::function<void(const ObjectEvent&)> f) { object_listeners_.push_back(std::move(f)); }
  void on_endpoint(std::function<void(const EndpointEvent&)> f) { endpoint_listeners_.push_back(std::move(f)); }

 private:
  explicit AgentService(AgentConfig cfg) : cfg_(std::move(cfg)) {}
  std::string objects_file() const { return cfg_.state_dir + "/objects.yaml"; }
  std::string endpoints_file() const { return cfg_.state_dir + "/endpoints.json"; }
  Result<std::vector<Change>> commit(ObjectStore next, Result<std::vector<Change>> changes, bool from_cluster = false);
  Status commit(EndpointStore next, const std::vector<EndpointEvent>& events);
  Endpoint wired(const Endpoint& e) const;
  void unwired(const Endpoint& e) const;

  Dataplanes* dp_ = nullptr;
  ObjectWriter writer_;

  AgentConfig cfg_;
  ObjectStore objects_;
  EndpointStore endpoints_;
  std::vector<std::function<void(const ObjectEvent&)>> object_listeners_;
  std::vector<std::function<void(const EndpointEvent&)>> endpoint_listeners_;
};

}  // namespace netaccel::agent
