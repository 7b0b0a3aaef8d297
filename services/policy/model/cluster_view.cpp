#include "cluster_view.h"

#include <sys/socket.h>

namespace netaccel::policy {

namespace {

Labels labels_of(const YAML::Node& meta) {
  Labels out;
  if (auto l = meta["labels"]; l && l.IsMap())
    for (const auto& kv : l) out[kv.first.Scalar()] = kv.second.Scalar();
  return out;
}

Status add_ip(PodInfo& pod, const std::string& text, const std::string& field) {
  auto p = parse_prefix(text);
  if (!p || p->len != (p->family == AF_INET ? 32 : 128))
    return make_error(Errc::invalid_argument, "Pod " + pod.key() + ": " + field + ": '" + text + "' is not an address");
  for (const auto& have : pod.ips)
    if (have == *p) return {};
  pod.ips.push_back(*p);
  return {};
}

}  // namespace

const NamespaceInfo* ClusterView::find_namespace(const std::string& name) const {
  auto it = namespaces.find(name);
  return it == namespaces.end() ? nullptr : &it->second;
}

Result<PodInfo> parse_pod(const YAML::Node& doc) {
  PodInfo pod;
  const YAML::Node meta = doc["metadata"];
  if (!meta || !meta["name"]) return make_error(Errc::invalid_argument, "Pod: metadata.name: required");
  pod.name = meta["name"].Scalar();
  pod.ns = meta["namespace"] ? meta["namespace"].Scalar() : "default";
  pod.labels = labels_of(meta);
  // yaml-cpp throws on indexing a missing node: every level is checked (spec is optional).
  const YAML::Node spec = doc["spec"];
  if (auto cs = spec ? spec["containers"] : YAML::Node(); cs && cs.IsSequence())
    for (const auto& c : cs)
      if (auto ports = c["ports"]; ports && ports.IsSequence())
        for (const auto& port : ports) {
          if (!port["name"] || !port["containerPort"]) continue;
          const std::string proto = port["protocol"] ? port["protocol"].Scalar() : "TCP";
          pod.ports.push_back({port["name"].Scalar(), static_cast<uint8_t>(proto == "UDP" ? kProtoUdp : proto == "SCTP" ? kProtoSctp : kProtoTcp),
                               port["containerPort"].as<uint16_t>()});
        }
  const YAML::Node status = doc["status"];
  if (status && status["podIP"])
    if (auto st = add_ip(pod, status["podIP"].Scalar(), "status.podIP"); !st) return st.error();
  if (status && status["podIPs"] && status["podIPs"].IsSequence())
    for (size_t i = 0; i < status["podIPs"].size(); ++i)
      if (auto st = add_ip(pod, status["podIPs"][i]["ip"].Scalar(), "status.podIPs[" + std::to_string(i) + "].ip"); !st) return st.error();
  return pod;
}

Result<NamespaceInfo> parse_namespace(const YAML::Node& doc) {
  const YAML::Node meta = doc["metadata"];
  if (!meta || !meta["name"]) return make_error(Errc::invalid_argument, "Namespace: metadata.name: required");
  NamespaceInfo ns{meta["name"].Scalar(), labels_of(meta)};
  ns.labels.emplace("kubernetes.io/metadata.name", ns.name);
  return ns;
}

}  // namespace netaccel::policy
