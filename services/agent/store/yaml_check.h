// Reads fields of one YAML document the way the Kubernetes API server decodes them (a string
// is not a number, a plain `true` is not a string) and keeps the first error, naming the
// document and the field path ("objects.yaml: document 2 (Service default/web):
// spec.ports[0].port: 70000 is not in 1-65535"). Accessors return nullopt or an empty node
// after an error, so a validator reads straight through and asks ok() at the end.
#pragma once

#include <yaml-cpp/yaml.h>

#include <initializer_list>
#include <optional>
#include <string>

#include "netaccel/core/result.h"

namespace netaccel::agent {

class YamlCheck {
 public:
  explicit YamlCheck(std::string where) : where_(std::move(where)) {}

  // The document's name in messages grows once the object's kind and name are known.
  void set_where(std::string where) { where_ = std::move(where); }
  const std::string& where() const { return where_; }

  void fail(const std::string& path, const std::string& why);
  bool ok() const { return error_.empty(); }
  Status status() const;

  // `parent[key]` of the expected type; a missing field is an error only when required.
  YAML::Node map(const YAML::Node& parent, const std::string& path, const std::string& key, bool required = false);
  YAML::Node seq(const YAML::Node& parent, const std::string& path, const std::string& key, bool required = false);
  std::optional<std::string> str(const YAML::Node& parent, const std::string& path, const std::string& key, bool required = false);
  std::optional<long> integer(const YAML::Node& parent, const std::string& path, const std::string& key, long min, long max,
                              bool required = false);
  std::optional<bool> boolean(const YAML::Node& parent, const std::string& path, const std::string& key);
  // An int-or-string field (a port by number or by its name).
  std::optional<std::string> int_or_str(const YAML::Node& parent, const std::string& path, const std::string& key, bool required);
  // One of the values listed; `fallback` when absent.
  std::optional<std::string> one_of(const YAML::Node& parent, const std::string& path, const std::string& key,
                                    std::initializer_list<const char*> values, const char* fallback = nullptr);
  // Fields other than these are refused (as the API server's strict decoding does): where a
  // misspelt field would silently change meaning, e.g. a policy rule.
  void only_fields(const YAML::Node& map, const std::string& path, std::initializer_list<const char*> fields);

  static std::string join(const std::string& path, const std::string& key) { return path.empty() ? key : path + "." + key; }
  static std::string index(const std::string& path, size_t i) { return path + "[" + std::to_string(i) + "]"; }

 private:
  std::string where_, error_;
};

// Text that YAML's core schema reads as a number, bool or null when written unquoted.
bool reads_as_non_string(const std::string& text);
// A plain (unquoted) scalar of that kind.
bool plain_non_string(const YAML::Node& scalar);

}  // namespace netaccel::agent
