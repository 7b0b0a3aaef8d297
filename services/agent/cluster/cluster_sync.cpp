#include "cluster_sync.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <chrono>

#include "netaccel/core/log.h"
#include "yaml_text.h"

namespace netaccel::agent {

namespace {

// "<a>/<b>/<c>" split in three at the first two slashes (names have no slash).
bool split3(const std::string& s, std::string& a, std::string& b, std::string& c) {
  auto p1 = s.find('/');
  if (p1 == std::string::npos) return false;
  auto p2 = s.find('/', p1 + 1);
  if (p2 == std::string::npos) return false;
  a = s.substr(0, p1);
  b = s.substr(p1 + 1, p2 - p1 - 1);
  c = s.substr(p2 + 1);
  return !a.empty() && !b.empty() && !c.empty();
}

}  // namespace

ClusterSync::ClusterSync(const AgentConfig& cfg, AgentService& svc)
    : cfg_(cfg), svc_(svc), etcd_(cfg.etcd_endpoints, 5000), wake_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}

ClusterSync::~ClusterSync() {
  stop_ = true;
  if (watcher_.joinable()) watcher_.join();
}

std::string ClusterSync::object_key(const ObjectKey& k) const {
  return cfg_.etcd_prefix + "/objects/" + k.kind + "/" + (k.ns.empty() ? "-" : k.ns) + "/" + k.name;
}

std::string ClusterSync::endpoint_key(const std::string& node, const std::string& id) const {
  return cfg_.etcd_prefix + "/endpoints/" + node + "/" + id;
}

Status ClusterSync::write_objects(const ObjectStore& next, const std::vector<Change>& changes) {
  std::vector<EtcdOp> ops;
  for (const auto& c : changes) {
    if (c.what == ChangeKind::unchanged) continue;
    if (c.what == ChangeKind::deleted) ops.push_back(EtcdOp::remove(object_key(c.key)));
    else if (auto doc = next.get(c.key)) ops.push_back(EtcdOp::put(object_key(c.key), to_yaml_text(*doc) + "\n"));
  }
  if (ops.empty()) return {};
  int64_t revision = 0;
  auto ok = etcd_.txn({}, ops, &revision);
  if (!ok) return Error{ok.error().code, "cluster store: " + ok.error().message + "; nothing was changed"};
  for (const auto& op : ops) written_[op.key] = revision;  // their echo from the watch is ours
  return {};
}

Status ClusterSync::start(EventLoop& loop) {
  if (wake_.get() < 0) return errno_error(errno, "eventfd");
  if (auto st = resync(); !st) return st;
  svc_.set_object_writer([this](const ObjectStore& next, const std::vector<Change>& changes) { return write_objects(next, changes); });
  svc_.on_endpoint([this](const EndpointEvent& ev) { on_local_endpoint(ev); });
  if (auto st = publish_own_endpoints(); !st) return st;
  if (auto st = loop.watch_fd(wake_.get(), [this] { drain(); }); !st) return st;
  const uint64_t period_us = std::max<uint64_t>(1, cfg_.endpoint_lease_s / 3) * 1000000;
  if (auto st = loop.every(period_us, [this] { keepalive(); }); !st) return st;
  return {};
}

// etcd is the truth: its objects replace ours, its endpoints are the cluster's. The watch
// starts right after the revision read, so nothing written meanwhile is missed.
Status ClusterSync::resync() {
  auto r = etcd_.range_prefix(cfg_.etcd_prefix + "/");
  if (!r) return Error{r.error().code, "cluster store: " + r.error().message};
  std::vector<YamlSource> objects;
  std::map<std::string, ClusterEndpoint> seen;
  const std::string objects_prefix = cfg_.etcd_prefix + "/objects/", endpoints_prefix = cfg_.etcd_prefix + "/endpoints/";
  for (const auto& kv : r->kvs) {
    if (kv.key.rfind(objects_prefix, 0) == 0) objects.push_back({"etcd " + kv.key, kv.value});
    std::string node, cid, ifname;
    if (kv.key.rfind(endpoints_prefix, 0) == 0 && split3(kv.key.substr(endpoints_prefix.size()), node, cid, ifname))
      seen[kv.key] = {node, cid + "/" + ifname, kv.value};
  }
  for (auto it = endpoints_.begin(); it != endpoints_.end();) {
    const std::string key = (it++)->first;
    if (!seen.count(key)) erase_endpoint(key);
  }
  for (auto& [key, ep] : seen) set_endpoint(key, std::move(ep));
  auto changes = svc_.sync_objects(objects, {}, true);
  if (!changes) return Error{changes.error().code, "cluster store: its objects do not apply: " + changes.error().message};
  log::info("cluster store: " + std::to_string(objects.size()) + " objects, " + std::to_string(endpoints_.size()) +
            " endpoints at revision " + std::to_string(r->revision));
  if (watcher_.joinable()) return {};
  watcher_ = std::thread([this, from = r->revision + 1] { watch_thread(from); });
  return {};
}

Status ClusterSync::publish_own_endpoints() {
  if (lease_ == 0) {
    auto l = etcd_.lease_grant(static_cast<int>(cfg_.endpoint_lease_s));
    if (!l) return Error{l.error().code, "cluster store: lease: " + l.error().message};
    lease_ = *l;
  }
  // What an earlier run of this node left and no pod here has any more goes first.
  auto mine = etcd_.range_prefix(cfg_.etcd_prefix + "/endpoints/" + cfg_.node_name + "/");
  if (!mine) return Error{mine.error().code, "cluster store: " + mine.error().message};
  std::map<std::string, bool> local;
  for (const auto& e : svc_.endpoints()) local[endpoint_key(cfg_.node_name, e.id())] = true;
  for (const auto& kv : mine->kvs)
    if (!local.count(kv.key))
      if (auto r = etcd_.remove(kv.key); !r) return r.error();
  for (const auto& e : svc_.endpoints())
    if (auto r = etcd_.put(endpoint_key(cfg_.node_name, e.id()), to_json(e).dump(), lease_); !r) return r.error();
  dirty_ = false;
  return {};
}

void ClusterSync::on_local_endpoint(const EndpointEvent& ev) {
  const std::string key = endpoint_key(cfg_.node_name, ev.id);
  Status st;
  if (ev.what == EndpointChange::removed) {
    if (auto r = etcd_.remove(key); !r) st = r.error();
  } else if (auto e = svc_.endpoint(ev.id)) {
    if (auto r = etcd_.put(key, to_json(*e).dump(), lease_); !r) st = r.error();
  }
  if (!st) {
    dirty_ = true;  // the next keepalive writes them all again
    log::warn("cluster store: endpoint " + ev.id + ": " + st.error().what());
  }
}

void ClusterSync::keepalive() {
  if (lease_ != 0) {
    if (auto st = etcd_.lease_keepalive(lease_); !st) {
      if (st.error().code == make_error_code(Errc::not_found)) {
        log::warn("cluster store: lease expired (etcd was out of reach): writing this node's endpoints again");
        lease_ = 0;
        dirty_ = true;
      } else {
        log::warn("cluster store: keepalive: " + st.error().what());
        return;
      }
    }
  }
  if (dirty_ || lease_ == 0)
    if (auto st = publish_own_endpoints(); !st) log::warn("cluster store: endpoints: " + st.error().what());
}

void ClusterSync::watch_thread(int64_t from) {
  EtcdClient w(cfg_.etcd_endpoints, 5000);
  auto wake = [this] {
    uint64_t one = 1;
    (void)!write(wake_.get(), &one, sizeof one);
  };
  while (!stop_) {
    auto st = w.watch_prefix(cfg_.etcd_prefix + "/", from,
                             [&](const std::vector<EtcdEvent>& events, int64_t) {
                               {
                                 std::lock_guard<std::mutex> g(mu_);
                                 pending_.insert(pending_.end(), events.begin(), events.end());
                               }
                               from = events.back().kv.mod_revision + 1;
                               wake();
                               return true;
                             },
                             stop_);
    if (stop_) return;
    if (!st && st.error().code == make_error_code(Errc::not_found)) {  // compacted: read it all again
      std::lock_guard<std::mutex> g(mu_);
      resync_needed_ = true;
      wake();
      return;  // the loop thread resyncs and starts a new watch
    }
    if (!st) log::warn("cluster store: watch: " + st.error().what() + "; retrying");
    for (int i = 0; i < 10 && !stop_; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

void ClusterSync::drain() {
  uint64_t n = 0;
  (void)!read(wake_.get(), &n, sizeof n);
  std::vector<EtcdEvent> events;
  bool resync_now = false;
  {
    std::lock_guard<std::mutex> g(mu_);
    events.swap(pending_);
    resync_now = resync_needed_;
    resync_needed_ = false;
  }
  apply_events(events);
  if (resync_now) {
    if (watcher_.joinable()) watcher_.join();
    if (auto st = resync(); !st) log::error(st.error().what());
  }
}

void ClusterSync::apply_events(const std::vector<EtcdEvent>& events) {
  const std::string objects_prefix = cfg_.etcd_prefix + "/objects/", endpoints_prefix = cfg_.etcd_prefix + "/endpoints/";
  std::vector<YamlSource> puts;
  std::vector<ObjectKey> deletes;
  for (const auto& e : events) {
    const std::string& key = e.kv.key;
    std::string a, b, c;
    if (key.rfind(endpoints_prefix, 0) == 0 && split3(key.substr(endpoints_prefix.size()), a, b, c)) {
      if (e.deleted) {
        erase_endpoint(key);
        // Our own pod's key gone while the pod is here: the lease ran out under us.
        if (a == cfg_.node_name && svc_.endpoint(b + "/" + c)) dirty_ = true;
      } else {
        set_endpoint(key, {a, b + "/" + c, e.kv.value});
      }
      continue;
    }
    if (key.rfind(objects_prefix, 0) != 0) continue;
    if (auto it = written_.find(key); it != written_.end() && it->second >= e.kv.mod_revision) continue;  // our own
    if (e.deleted) {
      if (split3(key.substr(objects_prefix.size()), a, b, c)) deletes.push_back({a, b == "-" ? "" : b, c});
    } else {
      puts.push_back({"etcd " + key, e.kv.value});
    }
  }
  if (puts.empty() && deletes.empty()) return;
  if (auto r = svc_.sync_objects(puts, deletes, false); r) return;
  // One bad object (written to etcd by something other than an agent) must not hold up the
  // rest: each on its own, the bad ones named.
  for (const auto& p : puts)
    if (auto r = svc_.sync_objects({p}, {}, false); !r) log::error("cluster store: " + r.error().what());
  for (const auto& d : deletes)
    if (auto r = svc_.sync_objects({}, {d}, false); !r) log::error("cluster store: " + r.error().what());
}

void ClusterSync::set_endpoint(const std::string& key, ClusterEndpoint ep) {
  auto it = endpoints_.find(key);
  if (it == endpoints_.end()) {
    notify("added", endpoints_.emplace(key, std::move(ep)).first->second);
  } else if (it->second.json != ep.json) {  // a keepalive's rewrite of the same pod is no news
    it->second = std::move(ep);
    notify("changed", it->second);
  }
}

void ClusterSync::erase_endpoint(const std::string& key) {
  auto it = endpoints_.find(key);
  if (it == endpoints_.end()) return;
  const ClusterEndpoint gone = std::move(it->second);
  endpoints_.erase(it);
  notify("removed", gone);
}

void ClusterSync::notify(const char* change, const ClusterEndpoint& ep) const {
  for (const auto& f : listeners_) f(change, ep);
}

std::vector<ClusterEndpoint> ClusterSync::endpoints() const {
  std::vector<ClusterEndpoint> out;
  for (const auto& [key, e] : endpoints_) out.push_back(e);
  return out;
}

}  // namespace netaccel::agent
