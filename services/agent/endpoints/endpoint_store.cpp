#include "endpoint_store.h"

#include <net/if.h>

#include <sys/socket.h>

#include "netaccel/core/prefix.h"
#include "kube_validate.h"

namespace netaccel::agent {

namespace {
Status field_error(const std::string& where, const std::string& field, const std::string& why) {
  return make_error(Errc::invalid_argument, where + ": " + field + ": " + why);
}

Result<std::string> text(const nlohmann::json& j, const std::string& where, const char* field, bool required) {
  if (!j.contains(field) || j[field].is_null()) {
    if (required) return field_error(where, field, "required").error();
    return std::string();
  }
  if (!j[field].is_string()) return field_error(where, field, "must be a string").error();
  return j[field].get<std::string>();
}
}  // namespace

Result<Endpoint> endpoint_from_json(const nlohmann::json& j, const std::string& where) {
  if (!j.is_object()) return make_error(Errc::invalid_argument, where + ": must be a JSON object");
  Endpoint e;
  struct Field {
    const char* name;
    std::string Endpoint::*member;
    bool required;
  };
  for (const Field& f : {Field{"containerId", &Endpoint::container_id, true}, {"ifname", &Endpoint::ifname, true},
                         {"netns", &Endpoint::netns, true}, {"hostVeth", &Endpoint::host_veth, false},
                         {"bridge", &Endpoint::bridge, false},
                         {"ipv4", &Endpoint::ipv4, false}, {"ipv6", &Endpoint::ipv6, false},
                         {"podNamespace", &Endpoint::pod_namespace, false}, {"podName", &Endpoint::pod_name, false},
                         {"podUid", &Endpoint::pod_uid, false}, {"cgroup", &Endpoint::cgroup, false}}) {
    auto v = text(j, where, f.name, f.required);
    if (!v) return v.error();
    e.*f.member = *v;
  }
  if (e.container_id.empty()) return field_error(where, "containerId", "must not be empty").error();
  if (e.ifname.empty() || e.ifname.size() >= IFNAMSIZ || e.ifname.find('/') != std::string::npos)
    return field_error(where, "ifname", "'" + e.ifname + "' is not an interface name").error();
  if (!e.host_veth.empty() && e.host_veth.size() >= IFNAMSIZ)
    return field_error(where, "hostVeth", "'" + e.host_veth + "' is not an interface name").error();
  if (!e.bridge.empty() && e.bridge.size() >= IFNAMSIZ)
    return field_error(where, "bridge", "'" + e.bridge + "' is not an interface name").error();
  if (!e.cgroup.empty() && e.cgroup[0] != '/') return field_error(where, "cgroup", "must be an absolute path").error();
  if (e.netns.empty() || e.netns[0] != '/') return field_error(where, "netns", "must be an absolute path").error();
  if (!e.ipv4.empty() && ip_family(e.ipv4) != AF_INET) return field_error(where, "ipv4", "'" + e.ipv4 + "' is not an IPv4 address").error();
  if (!e.ipv6.empty() && ip_family(e.ipv6) != AF_INET6) return field_error(where, "ipv6", "'" + e.ipv6 + "' is not an IPv6 address").error();
  if (j.contains("labels")) {
    if (!j["labels"].is_object()) return field_error(where, "labels", "must be an object of strings").error();
    for (const auto& [k, v] : j["labels"].items()) {
      if (!v.is_string()) return field_error(where, "labels." + k, "must be a string").error();
      if (!is_label_key(k)) return field_error(where, "labels", "'" + k + "' is not a label key").error();
      if (!is_label_value(v.get<std::string>())) return field_error(where, "labels." + k, "is not a label value").error();
      e.labels[k] = v.get<std::string>();
    }
  }
  if (j.contains("gazelle")) {
    const auto& g = j["gazelle"];
    if (!g.is_object()) return field_error(where, "gazelle", "must be an object").error();
    for (const char* k : {"address", "conf"})
      if (g.contains(k) && !g[k].is_string()) return field_error(where, std::string("gazelle.") + k, "must be a string").error();
    e.gazelle_address = g.value("address", "");
    e.gazelle_conf = g.value("conf", "");
    if (!e.gazelle_address.empty() && ip_family(e.gazelle_address) != AF_INET)
      return field_error(where, "gazelle.address", "'" + e.gazelle_address + "' is not an IPv4 address").error();
    if (!e.gazelle_conf.empty() && e.gazelle_conf[0] != '/') return field_error(where, "gazelle.conf", "must be an absolute path").error();
  }
  if (j.contains("netnsInode")) {
    if (!j["netnsInode"].is_number_unsigned()) return field_error(where, "netnsInode", "must be a non-negative integer").error();
    e.netns_inode = j["netnsInode"].get<uint64_t>();
  }
  if (j.contains("fastPath")) {
    const auto& f = j["fastPath"];
    if (!f.is_object()) return field_error(where, "fastPath", "must be an object").error();
    for (const char* k : {"fwd", "sockmap"})
      if (f.contains(k) && !f[k].is_string()) return field_error(where, std::string("fastPath.") + k, "must be a string").error();
    for (const char* k : {"fwdOwned", "sockmapOwned"})
      if (f.contains(k) && !f[k].is_boolean()) return field_error(where, std::string("fastPath.") + k, "must be true or false").error();
    e.fastpath = {f.value("fwd", ""), f.value("fwdOwned", false), f.value("sockmap", ""), f.value("sockmapOwned", false)};
    if (!e.fastpath.fwd.empty() && e.fastpath.fwd != "router" && e.fastpath.fwd != "bridge")
      return field_error(where, "fastPath.fwd", "'" + e.fastpath.fwd + "' is not router or bridge").error();
  }
  return e;
}

nlohmann::json to_json(const Endpoint& e) {
  nlohmann::json j = {{"containerId", e.container_id}, {"ifname", e.ifname},   {"netns", e.netns},
          {"netnsInode", e.netns_inode},
          {"hostVeth", e.host_veth},       {"bridge", e.bridge},   {"ipv4", e.ipv4},       {"ipv6", e.ipv6},
          {"podNamespace", e.pod_namespace}, {"podName", e.pod_name}, {"podUid", e.pod_uid},
          {"labels", e.labels},            {"cgroup", e.cgroup},
          {"fastPath", {{"fwd", e.fastpath.fwd}, {"fwdOwned", e.fastpath.fwd_owned}, {"sockmap", e.fastpath.sockmap},
                        {"sockmapOwned", e.fastpath.sockmap_owned}}}};
  if (!e.gazelle_address.empty()) j["gazelle"] = {{"address", e.gazelle_address}, {"conf", e.gazelle_conf}};
  return j;
}

EndpointChange EndpointStore::put(const Endpoint& e) {
  auto [it, inserted] = by_id_.try_emplace(e.id(), e);
  if (inserted) return EndpointChange::added;
  if (it->second == e) return EndpointChange::unchanged;
  it->second = e;
  return EndpointChange::changed;
}

std::optional<Endpoint> EndpointStore::remove(const std::string& container_id, const std::string& ifname) {
  auto it = by_id_.find(container_id + "/" + ifname);
  if (it == by_id_.end()) return std::nullopt;
  Endpoint e = std::move(it->second);
  by_id_.erase(it);
  return e;
}

std::optional<Endpoint> EndpointStore::get(const std::string& id) const {
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return std::nullopt;
  return it->second;
}

std::vector<Endpoint> EndpointStore::list() const {
  std::vector<Endpoint> out;
  for (const auto& [id, e] : by_id_) out.push_back(e);
  return out;
}

std::vector<Endpoint> EndpointStore::collect_garbage(const std::function<bool(const Endpoint&)>& alive) {
  std::vector<Endpoint> gone;
  for (auto it = by_id_.begin(); it != by_id_.end();) {
    if (alive(it->second)) {
      ++it;
      continue;
    }
    gone.push_back(std::move(it->second));
    it = by_id_.erase(it);
  }
  return gone;
}

std::string EndpointStore::dump() const {
  nlohmann::json a = nlohmann::json::array();
  for (const auto& [id, e] : by_id_) a.push_back(to_json(e));
  return nlohmann::json{{"endpoints", a}}.dump(2) + "\n";
}

Result<EndpointStore> EndpointStore::load(const std::string& text, const std::string& where) {
  EndpointStore s;
  if (text.empty()) return s;
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("endpoints") || !j["endpoints"].is_array())
    return make_error(Errc::parse_error, where + ": not an endpoint state file ({\"endpoints\": [...]})");
  for (size_t i = 0; i < j["endpoints"].size(); ++i) {
    auto e = endpoint_from_json(j["endpoints"][i], where + ": endpoints[" + std::to_string(i) + "]");
    if (!e) return e.error();
    s.put(*e);
  }
  return s;
}

}  // namespace netaccel::agent
