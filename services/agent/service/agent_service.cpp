#include "agent_service.h"

#include <sys/stat.h>
#include <unistd.h>

#include <set>

#include "fastpath.h"
#include "kube_kinds.h"
#include "netaccel/core/bus.h"
#include "netaccel/core/cgroup.h"
#include "netaccel/core/log.h"
#include "yaml_text.h"
#include "netaccel/core/files.h"

namespace netaccel::agent {

namespace {
Status make_dirs(const std::string& path) {
  for (size_t i = 1; i <= path.size(); ++i) {
    if (i != path.size() && path[i] != '/') continue;
    std::string part = path.substr(0, i);
    if (mkdir(part.c_str(), 0700) < 0 && errno != EEXIST) return errno_error(errno, "mkdir " + part);
  }
  return {};
}

}  // namespace

Result<AgentService> AgentService::open(const AgentConfig& cfg) {
  AgentService s(cfg);
  if (auto st = make_dirs(cfg.state_dir); !st) return st.error();
  if (auto text = read_file(s.objects_file()); text) {
    if (text->find_first_not_of(" \n-") != std::string::npos) {
      auto r = s.objects_.apply(*text, s.objects_file());
      if (!r) return r.error();
    }
  } else if (text.error().code != make_error_code(Errc::not_found)) {
    return text.error();
  }
  if (auto text = read_file(s.endpoints_file()); text) {
    auto e = EndpointStore::load(*text, s.endpoints_file());
    if (!e) return e.error();
    s.endpoints_ = std::move(*e);
  } else if (text.error().code != make_error_code(Errc::not_found)) {
    return text.error();
  }
  return s;
}

Result<std::vector<Change>> AgentService::commit(ObjectStore next, Result<std::vector<Change>> changes, bool from_cluster) {
  if (!changes) return changes;
  bool any = false;
  for (const auto& c : *changes) any = any || c.what != ChangeKind::unchanged;
  if (any && writer_ && !from_cluster)
    if (auto st = writer_(next, *changes); !st) return st.error();
  if (any) {
    if (auto st = write_file_atomic(objects_file(), next.dump()); !st) return st.error();
    objects_ = std::move(next);
  }
  for (const auto& c : *changes)
    if (c.what != ChangeKind::unchanged)
      for (const auto& f : object_listeners_) f({c.what, c.key});
  return changes;
}

Result<std::vector<Change>> AgentService::apply(const std::vector<YamlSource>& sources) {
  ObjectStore next = objects_;
  auto changes = next.apply(sources);
  return commit(std::move(next), std::move(changes));
}

Result<std::vector<Change>> AgentService::remove(const std::string& yaml, const std::string& source) {
  ObjectStore next = objects_;
  auto changes = next.remove(yaml, source);
  return commit(std::move(next), std::move(changes));
}

Result<std::vector<Change>> AgentService::remove(const std::string& kind, const std::string& ns, const std::string& name) {
  const KindInfo* k = find_kind(kind);
  if (!k) return make_error(Errc::invalid_argument, "'" + kind + "' is not a kind netaccel stores (" + kind_list() + ")");
  ObjectStore next = objects_;
  auto changes = next.remove(ObjectKey{k->kind, k->namespaced ? (ns.empty() ? "default" : ns) : "", name});
  return commit(std::move(next), std::move(changes));
}

Result<std::vector<Change>> AgentService::sync_objects(const std::vector<YamlSource>& puts, const std::vector<ObjectKey>& deletes,
                                                      bool replace) {
  ObjectStore next = objects_;
  std::vector<Change> changes;
  if (!puts.empty()) {
    auto applied = next.apply(puts);
    if (!applied) return applied.error();
    changes = *applied;
  }
  std::vector<ObjectKey> gone = deletes;
  if (replace) {
    std::set<ObjectKey> kept;
    for (const auto& c : changes) kept.insert(c.key);
    const ObjectStore builtin;
    for (const auto& key : objects_.keys())
      if (!kept.count(key) && !builtin.get(key)) gone.push_back(key);
  }
  for (const auto& key : gone) {
    if (!next.get(key)) continue;  // gone already (a namespace took it along)
    auto removed = next.remove(key);
    if (!removed) return removed.error();
    changes.insert(changes.end(), removed->begin(), removed->end());
  }
  return commit(std::move(next), changes, true);
}

Result<std::string> AgentService::get(const std::string& kind, const std::string& ns, const std::string& name) const {
  const KindInfo* k = find_kind(kind);
  if (!k) return make_error(Errc::invalid_argument, "'" + kind + "' is not a kind netaccel stores (" + kind_list() + ")");
  if (!name.empty()) {
    ObjectKey key{k->kind, k->namespaced ? (ns.empty() ? "default" : ns) : "", name};
    auto doc = objects_.get(key);
    if (!doc) return make_error(Errc::not_found, key.str() + " not found");
    return to_yaml_text(*doc) + "\n";
  }
  std::string out;
  for (const auto& [key, doc] : objects_.list(k->kind, k->namespaced ? ns : "")) out += "---\n" + to_yaml_text(doc) + "\n";
  return out;
}

Status AgentService::commit(EndpointStore next, const std::vector<EndpointEvent>& events) {
  if (events.empty()) return {};
  if (auto st = write_file_atomic(endpoints_file(), next.dump()); !st) return st;
  endpoints_ = std::move(next);
  for (const auto& ev : events)
    for (const auto& f : endpoint_listeners_) f(ev);
  return {};
}

Endpoint AgentService::wired(const Endpoint& e) const {
  if (!dp_) return e;
  Wiring w = wire(*dp_, e);
  for (const auto& msg : w.warnings) log::warn("endpoint " + e.id() + ": " + msg);
  Endpoint out = e;
  out.fastpath = w.fastpath;
  return out;
}

void AgentService::unwired(const Endpoint& e) const {
  if (!dp_) return;
  for (const auto& msg : unwire(*dp_, e)) log::warn("endpoint " + e.id() + ": " + msg);
}

Result<EndpointChange> AgentService::register_endpoint(const std::string& json, const std::string& where) {
  auto j = nlohmann::json::parse(json, nullptr, false);
  if (j.is_discarded()) return make_error(Errc::parse_error, where + ": not JSON");
  auto e = endpoint_from_json(j, where);
  if (!e) return e.error();
  // What netaccel did is the agent's record, not the caller's to say; a repeated ADD keeps it.
  auto known = endpoints_.get(e->id());
  e->fastpath = known ? known->fastpath : FastPath{};
  // The path may later name another namespace (containerd's /proc/PID/ns/net); the inode
  // it names now is the pod's. Unreadable (an agent without CAP_SYS_PTRACE): path only.
  if (auto ino = netns_inode(e->netns)) e->netns_inode = *ino;
  else if (known && known->netns == e->netns) e->netns_inode = known->netns_inode;
  if (e->cgroup.empty() && known) e->cgroup = known->cgroup;
  EndpointStore next = endpoints_;
  EndpointChange what = next.put(wired(*e));
  std::vector<EndpointEvent> events;
  if (what != EndpointChange::unchanged) events.push_back({what, e->id()});
  if (auto st = commit(std::move(next), events); !st) return st.error();
  // The pod's policy before the CNI plugin hears back (netaccel-policy reads nothing back:
  // the endpoint travels with the call). A policy service not running or refusing is a warning:
  // it enforces the pod once it reads every endpoint again.
  if (dp_ && what != EndpointChange::unchanged)
    if (auto st = dp_->policy_add_endpoint(to_json(*endpoints_.get(e->id())).dump()); !st && !service_down(st.error()))
      log::warn("endpoint " + e->id() + ": netaccel-policy: " + st.error().what());
  return what;
}

Result<bool> AgentService::unregister_endpoint(const std::string& container_id, const std::string& ifname) {
  EndpointStore next = endpoints_;
  auto gone = next.remove(container_id, ifname);
  if (!gone) return false;  // CNI DEL may come twice, or for a pod never added
  unwired(*gone);
  if (auto st = commit(std::move(next), {{EndpointChange::removed, gone->id()}}); !st) return st.error();
  return true;
}

Result<size_t> AgentService::collect_garbage() {
  EndpointStore next = endpoints_;
  auto gone = next.collect_garbage([](const Endpoint& e) {
    auto ino = netns_inode(e.netns);
    return ino && (e.netns_inode == 0 || *ino == e.netns_inode);
  });
  std::vector<EndpointEvent> events;
  for (const auto& e : gone) {
    unwired(e);
    events.push_back({EndpointChange::removed, e.id()});
  }
  if (auto st = commit(std::move(next), events); !st) return st.error();
  return gone.size();
}

Status AgentService::reconcile() {
  EndpointStore next = endpoints_;
  std::vector<EndpointEvent> events;
  for (const auto& e : endpoints_.list())
    if (next.put(wired(e)) == EndpointChange::changed) events.push_back({EndpointChange::changed, e.id()});
  return commit(std::move(next), events);
}

bool AgentService::cgroups_missing() const {
  for (const auto& e : endpoints_.list())
    if (e.cgroup.empty()) return true;
  return false;
}

Result<size_t> AgentService::discover_cgroups() {
  EndpointStore next = endpoints_;
  std::vector<EndpointEvent> events;
  const std::string root = cgroup2_root();
  for (auto e : endpoints_.list()) {
    if (!e.cgroup.empty()) continue;
    auto ino = e.netns_inode ? Result<uint64_t>(e.netns_inode) : netns_inode(e.netns);
    if (!ino) continue;
    auto cg = cgroup_of_netns(*ino, root);
    if (!cg) continue;  // not started yet, or gone (GC's business)
    e.cgroup = *cg;
    next.put(wired(e));
    events.push_back({EndpointChange::changed, e.id()});
  }
  if (auto st = commit(std::move(next), events); !st) return st.error();
  return events.size();
}

Result<std::vector<std::string>> AgentService::check_endpoint(const std::string& id) {
  auto e = endpoints_.get(id);
  if (!e) return make_error(Errc::not_found, "endpoint " + id);
  if (!dp_) return std::vector<std::string>{};
  return check(*dp_, *e);
}

}  // namespace netaccel::agent
