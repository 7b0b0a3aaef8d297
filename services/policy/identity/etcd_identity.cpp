#include "etcd_identity.h"

#include <nlohmann/json.hpp>

#include "cluster_view.h"

namespace netaccel::policy {

std::string identity_key_text(const IdentityLabels& l) {
  // nlohmann's objects are ordered maps: one text per label set on every node.
  nlohmann::json ports = nlohmann::json::array();
  for (const auto& p : l.ports) ports.push_back({p.name, p.proto, p.port});
  return nlohmann::json{{"ns", l.ns}, {"nsLabels", l.ns_labels}, {"labels", l.pod_labels}, {"ports", ports}}.dump();
}

Result<IdentityLabels> parse_identity_key_text(const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  auto bad = [&](const std::string& why) { return make_error(Errc::parse_error, "identity label set '" + text + "': " + why); };
  if (j.is_discarded() || !j.is_object()) return bad("not a JSON object");
  try {
    IdentityLabels l;
    l.ns = j.at("ns").get<std::string>();
    l.ns_labels = j.at("nsLabels").get<Labels>();
    l.pod_labels = j.at("labels").get<Labels>();
    for (const auto& p : j.at("ports")) l.ports.push_back({p.at(0).get<std::string>(), p.at(1).get<uint8_t>(), p.at(2).get<uint16_t>()});
    return l;
  } catch (const nlohmann::json::exception& e) {
    return bad(e.what());
  }
}

EtcdIdentityAllocator::EtcdIdentityAllocator(std::vector<std::string> endpoints, std::string prefix)
    : etcd_(std::move(endpoints)), prefix_(std::move(prefix)) {}

Status EtcdIdentityAllocator::load() {
  const std::string ids = prefix_ + "/identities/ids/";
  auto r = etcd_.range_prefix(ids);
  if (!r) return Error{r.error().code, "read the cluster's identities: " + r.error().message};
  for (const auto& kv : r->kvs) {
    auto labels = parse_identity_key_text(kv.value);
    uint32_t id = 0;
    try {
      id = static_cast<uint32_t>(std::stoul(kv.key.substr(ids.size())));
    } catch (const std::exception&) {
      return make_error(Errc::parse_error, "identity key " + kv.key + ": not a number");
    }
    if (!labels) return labels.error();
    table_.add(id, *labels);
  }
  return {};
}

Result<uint32_t> EtcdIdentityAllocator::acquire(const IdentityLabels& labels) {
  if (auto id = table_.lookup(labels)) return *id;
  const std::string text = identity_key_text(labels), key = labels_key(text);
  for (int attempt = 0; attempt < 32; ++attempt) {
    auto got = etcd_.get(key);
    if (!got) return got.error();
    if (*got) {  // another node numbered it first
      uint32_t id = 0;
      try {
        id = static_cast<uint32_t>(std::stoul((*got)->value));
      } catch (const std::exception&) {
        return make_error(Errc::parse_error, "identity key " + key + ": '" + (*got)->value + "' is not a number");
      }
      table_.add(id, labels);
      return id;
    }
    const uint32_t id = table_.first_free();  // the first gap this node knows of
    if (id >= kFirstCidrIdentity) return make_error(Errc::invalid_argument, "the cluster's pod identities are exhausted");
    auto won = etcd_.txn({{key, 0}, {id_key(id), 0}}, {EtcdOp::put(key, std::to_string(id)), EtcdOp::put(id_key(id), text)});
    if (!won) return won.error();
    if (*won) {
      table_.add(id, labels);
      return id;
    }
    // Lost: the number or the labels were taken meanwhile. Learn what the cluster has.
    if (auto st = load(); !st) return st.error();
  }
  return make_error(Errc::already_exists, "no identity for " + labels.to_string() + " after 32 tries (other nodes allocating)");
}

}  // namespace netaccel::policy
