#include "object_store.h"

#include <algorithm>

#include "kube_kinds.h"
#include "yaml_text.h"

namespace netaccel::agent {

const char* change_name(ChangeKind k) {
  switch (k) {
    case ChangeKind::created: return "created";
    case ChangeKind::configured: return "configured";
    case ChangeKind::unchanged: return "unchanged";
    case ChangeKind::deleted: return "deleted";
  }
  return "?";
}

namespace {
bool builtin(const std::string& ns) {
  const auto& b = builtin_namespaces();
  return std::find(b.begin(), b.end(), ns) != b.end();
}
}  // namespace

ObjectStore::ObjectStore() {
  for (const auto& ns : builtin_namespaces()) {
    YAML::Node doc;
    doc["apiVersion"] = "v1";
    doc["kind"] = "Namespace";
    doc["metadata"]["name"] = ns;
    doc["metadata"]["labels"]["kubernetes.io/metadata.name"] = ns;
    objects_.emplace(ObjectKey{"Namespace", "", ns}, doc);
  }
}

Result<std::vector<ObjectStore::Parsed>> ObjectStore::parse(const std::string& yaml, const std::string& source, bool keys_only) const {
  std::vector<YAML::Node> docs;
  try {
    docs = YAML::LoadAll(yaml);
  } catch (const YAML::Exception& e) {
    return make_error(Errc::parse_error, source + ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1) +
                                             ": " + e.msg);
  }
  std::vector<Parsed> out;
  for (size_t i = 0; i < docs.size(); ++i) {
    const std::string where = source + ": document " + std::to_string(i + 1);
    if (docs[i].IsNull()) continue;  // an empty document between two "---"
    std::vector<std::pair<YAML::Node, std::string>> objects;
    if (docs[i].IsMap() && docs[i]["kind"] && docs[i]["kind"].IsScalar() && docs[i]["kind"].Scalar() == "List") {
      YAML::Node items = docs[i]["items"];
      if (items && !items.IsSequence()) return make_error(Errc::invalid_argument, where + ": items: must be a list");
      for (size_t j = 0; items && j < items.size(); ++j) objects.push_back({items[j], where + " items[" + std::to_string(j) + "]"});
    } else {
      objects.push_back({docs[i], where});
    }
    for (auto& [node, name] : objects) {
      YAML::Node copy = YAML::Clone(node);
      auto key = keys_only ? validate_key(copy, name) : validate_object(copy, name);
      if (!key) return key.error();
      out.push_back({*key, copy});
    }
  }
  if (out.empty()) return make_error(Errc::invalid_argument, source + ": no objects in it");
  return out;
}

bool ObjectStore::namespace_exists(const std::string& ns, const std::vector<Parsed>& batch) const {
  if (objects_.count({"Namespace", "", ns})) return true;
  return std::any_of(batch.begin(), batch.end(), [&](const Parsed& p) { return p.key.kind == "Namespace" && p.key.name == ns; });
}

Result<std::vector<Change>> ObjectStore::apply(const std::string& yaml, const std::string& source) {
  return apply(std::vector<YamlSource>{{source, yaml}});
}

Result<std::vector<Change>> ObjectStore::apply(const std::vector<YamlSource>& sources) {
  std::vector<Parsed> all;
  std::vector<std::string> origin;  // the source of each parsed object, for the namespace error
  for (const auto& src : sources) {
    auto parsed = parse(src.text, src.name);
    if (!parsed) return parsed.error();
    for (auto& p : *parsed) {
      all.push_back(std::move(p));
      origin.push_back(src.name);
    }
  }
  for (size_t i = 0; i < all.size(); ++i)
    if (!all[i].key.ns.empty() && !namespace_exists(all[i].key.ns, all))
      return make_error(Errc::not_found, origin[i] + ": " + all[i].key.str() + ": namespace '" + all[i].key.ns +
                                             "' does not exist (apply it first or in the same change)");
  std::vector<Change> changes;
  for (auto& p : all) {
    auto it = objects_.find(p.key);
    ChangeKind what = it == objects_.end()                       ? ChangeKind::created
                      : to_yaml_text(it->second) == to_yaml_text(p.doc) ? ChangeKind::unchanged
                                                                 : ChangeKind::configured;
    // erase + emplace, not operator=: assigning to a YAML::Node writes through to every copy
    // sharing it, and a copied store (the service's "next" state) shares its nodes.
    objects_.erase(p.key);
    objects_.emplace(p.key, p.doc);
    changes.push_back({what, p.key});
  }
  return changes;
}

void ObjectStore::erase_with_contents(const ObjectKey& key, std::vector<Change>& changes) {
  if (key.kind == "Namespace")
    for (auto it = objects_.begin(); it != objects_.end();) {
      if (it->first.ns == key.name) {
        changes.push_back({ChangeKind::deleted, it->first});
        it = objects_.erase(it);
      } else {
        ++it;
      }
    }
  if (objects_.erase(key)) changes.push_back({ChangeKind::deleted, key});
}

Result<std::vector<Change>> ObjectStore::remove(const ObjectKey& key) {
  if (key.kind == "Namespace" && builtin(key.name))
    return make_error(Errc::invalid_argument, "namespace '" + key.name + "' is built in and cannot be deleted");
  if (!objects_.count(key)) return make_error(Errc::not_found, key.str() + " not found");
  std::vector<Change> changes;
  erase_with_contents(key, changes);
  return changes;
}

Result<std::vector<Change>> ObjectStore::remove(const std::string& yaml, const std::string& source) {
  auto parsed = parse(yaml, source, true);
  if (!parsed) return parsed.error();
  for (const auto& p : *parsed) {
    if (p.key.kind == "Namespace" && builtin(p.key.name))
      return make_error(Errc::invalid_argument, source + ": namespace '" + p.key.name + "' is built in and cannot be deleted");
    if (!objects_.count(p.key)) return make_error(Errc::not_found, source + ": " + p.key.str() + " not found");
  }
  std::vector<Change> changes;
  for (const auto& p : *parsed) erase_with_contents(p.key, changes);
  return changes;
}

std::optional<YAML::Node> ObjectStore::get(const ObjectKey& key) const {
  auto it = objects_.find(key);
  if (it == objects_.end()) return std::nullopt;
  return YAML::Clone(it->second);
}

std::vector<ObjectKey> ObjectStore::keys() const {
  std::vector<ObjectKey> out;
  for (const auto& [key, doc] : objects_) out.push_back(key);
  return out;
}

std::vector<std::pair<ObjectKey, YAML::Node>> ObjectStore::list(const std::string& kind, const std::string& ns) const {
  std::vector<std::pair<ObjectKey, YAML::Node>> out;
  for (const auto& [key, doc] : objects_)
    if (key.kind == kind && (ns.empty() || key.ns == ns)) out.push_back({key, YAML::Clone(doc)});
  return out;
}

std::string ObjectStore::dump() const {
  std::string out;
  // Namespaces first so that reading the dump back finds them before what is in them.
  for (int pass = 0; pass < 2; ++pass)
    for (const auto& [key, doc] : objects_)
      if ((key.kind == "Namespace") == (pass == 0)) out += "---\n" + to_yaml_text(doc) + "\n";
  return out;
}

}  // namespace netaccel::agent
