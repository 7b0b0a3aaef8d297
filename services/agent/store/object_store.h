// The node's copy of the cluster objects (kubectl's model: apply, delete, get). An apply or
// delete takes a whole file and either does all of it or none: every document is parsed and
// validated, namespaces are resolved, and only then is anything stored. The store knows
// nothing of D-Bus, etcd or files; callers persist dump() and announce the changes.
#pragma once

#include <yaml-cpp/yaml.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "kube_validate.h"
#include "netaccel/core/result.h"

namespace netaccel::agent {

enum class ChangeKind { created, configured, unchanged, deleted };
const char* change_name(ChangeKind k);  // kubectl's words: "created", "configured", ...

// One file's text and the name errors give it.
struct YamlSource {
  std::string name, text;
};

struct Change {
  ChangeKind what;
  ObjectKey key;
};

class ObjectStore {
 public:
  ObjectStore();  // the built-in namespaces exist from the start

  // Every document of `yaml` (`source` names it in errors: "web.yaml: document 2 (...)");
  // a `kind: List` contributes its items. Nothing changes unless all documents are valid.
  Result<std::vector<Change>> apply(const std::string& yaml, const std::string& source);
  // Several files as one change (apply -f DIR): all of them or none.
  Result<std::vector<Change>> apply(const std::vector<YamlSource>& sources);
  // delete -f: every object the documents name must exist; deleting a Namespace deletes
  // what is in it (as the API server does).
  Result<std::vector<Change>> remove(const std::string& yaml, const std::string& source);
  Result<std::vector<Change>> remove(const ObjectKey& key);

  std::optional<YAML::Node> get(const ObjectKey& key) const;
  // kind as stored ("Pod"); ns empty: every namespace.
  std::vector<std::pair<ObjectKey, YAML::Node>> list(const std::string& kind, const std::string& ns = "") const;
  // Every object as one multi-document YAML text that apply() reads back (the state file).
  std::string dump() const;
  size_t size() const { return objects_.size(); }
  std::vector<ObjectKey> keys() const;

 private:
  struct Parsed {
    ObjectKey key;
    YAML::Node doc;
  };
  Result<std::vector<Parsed>> parse(const std::string& yaml, const std::string& source, bool keys_only = false) const;
  bool namespace_exists(const std::string& ns, const std::vector<Parsed>& batch) const;
  void erase_with_contents(const ObjectKey& key, std::vector<Change>& changes);

  std::map<ObjectKey, YAML::Node> objects_;
};

}  // namespace netaccel::agent
