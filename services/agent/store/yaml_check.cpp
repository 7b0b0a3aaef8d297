#include "yaml_check.h"

#include <algorithm>
#include <cstdlib>
#include <regex>

namespace netaccel::agent {

namespace {
std::string shown(const YAML::Node& n) {
  if (n.IsScalar()) return "'" + n.Scalar() + "'";
  if (n.IsMap()) return "a map";
  if (n.IsSequence()) return "a list";
  return "null";
}
// parent[key] when it is there and not null; a missing required field is the error.
YAML::Node present(YamlCheck& c, const YAML::Node& parent, const std::string& path, const std::string& key, bool required) {
  if (!c.ok() || !parent.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
  YAML::Node n = parent[key];
  if (!n || n.IsNull()) {
    if (required) c.fail(YamlCheck::join(path, key), "required");
    return YAML::Node(YAML::NodeType::Undefined);
  }
  return n;
}
}  // namespace

bool reads_as_non_string(const std::string& s) {
  static const std::regex number(R"([-+]?(0|[1-9][0-9]*)(\.[0-9]*)?([eE][-+]?[0-9]+)?|[-+]?\.[0-9]+|0x[0-9a-fA-F]+|0o[0-7]+|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN))");
  static const std::regex other(R"(true|True|TRUE|false|False|FALSE|null|Null|NULL|~|)");
  return std::regex_match(s, number) || std::regex_match(s, other);
}

bool plain_non_string(const YAML::Node& n) {
  return n.IsScalar() && n.Tag() == "?" && reads_as_non_string(n.Scalar());  // "!" is a quoted scalar
}

void YamlCheck::fail(const std::string& path, const std::string& why) {
  if (error_.empty()) error_ = where_ + ": " + (path.empty() ? "" : path + ": ") + why;
}

Status YamlCheck::status() const {
  if (error_.empty()) return {};
  return make_error(Errc::invalid_argument, error_);
}

YAML::Node YamlCheck::map(const YAML::Node& parent, const std::string& path, const std::string& key, bool required) {
  YAML::Node n = present(*this, parent, path, key, required);
  if (!n) return n;
  const std::string p = join(path, key);
  if (!n.IsMap()) {
    fail(p, "must be a map, not " + shown(n));
    return YAML::Node(YAML::NodeType::Undefined);
  }
  return n;
}

YAML::Node YamlCheck::seq(const YAML::Node& parent, const std::string& path, const std::string& key, bool required) {
  YAML::Node n = present(*this, parent, path, key, required);
  if (!n) return n;
  const std::string p = join(path, key);
  if (!n.IsSequence()) {
    fail(p, "must be a list, not " + shown(n));
    return YAML::Node(YAML::NodeType::Undefined);
  }
  return n;
}

std::optional<std::string> YamlCheck::str(const YAML::Node& parent, const std::string& path, const std::string& key, bool required) {
  YAML::Node n = present(*this, parent, path, key, required);
  if (!n) return std::nullopt;
  const std::string p = join(path, key);
  if (!n.IsScalar()) {
    fail(p, "must be a string, not " + shown(n));
    return std::nullopt;
  }
  if (plain_non_string(n)) {
    fail(p, "must be a string, not " + shown(n) + " (quote it)");
    return std::nullopt;
  }
  return n.Scalar();
}

std::optional<long> YamlCheck::integer(const YAML::Node& parent, const std::string& path, const std::string& key, long min, long max,
                                       bool required) {
  YAML::Node n = present(*this, parent, path, key, required);
  if (!n) return std::nullopt;
  const std::string p = join(path, key);
  static const std::regex decimal(R"([-+]?[0-9]+)");
  if (!n.IsScalar() || n.Tag() != "?" || !std::regex_match(n.Scalar(), decimal)) {
    fail(p, "must be a number, not " + shown(n));
    return std::nullopt;
  }
  errno = 0;
  long v = std::strtol(n.Scalar().c_str(), nullptr, 10);
  if (errno || v < min || v > max) {
    fail(p, n.Scalar() + " is not in " + std::to_string(min) + "-" + std::to_string(max));
    return std::nullopt;
  }
  return v;
}

std::optional<bool> YamlCheck::boolean(const YAML::Node& parent, const std::string& path, const std::string& key) {
  if (!ok() || !parent.IsMap()) return std::nullopt;
  YAML::Node n = parent[key];
  if (!n || n.IsNull()) return std::nullopt;
  const std::string& s = n.IsScalar() ? n.Scalar() : "";
  if (n.IsScalar() && n.Tag() == "?" && (s == "true" || s == "True" || s == "TRUE")) return true;
  if (n.IsScalar() && n.Tag() == "?" && (s == "false" || s == "False" || s == "FALSE")) return false;
  fail(join(path, key), "must be true or false, not " + shown(n));
  return std::nullopt;
}

std::optional<std::string> YamlCheck::int_or_str(const YAML::Node& parent, const std::string& path, const std::string& key, bool required) {
  YAML::Node n = present(*this, parent, path, key, required);
  if (!n) return std::nullopt;
  const std::string p = join(path, key);
  if (!n.IsScalar()) {
    fail(p, "must be a number or a name, not " + shown(n));
    return std::nullopt;
  }
  return n.Scalar();
}

std::optional<std::string> YamlCheck::one_of(const YAML::Node& parent, const std::string& path, const std::string& key,
                                             std::initializer_list<const char*> values, const char* fallback) {
  auto v = str(parent, path, key);
  if (!ok()) return std::nullopt;
  if (!v) return fallback ? std::optional<std::string>(fallback) : std::nullopt;
  for (const char* ok_value : values)
    if (*v == ok_value) return v;
  std::string list;
  for (const char* ok_value : values) list += (list.empty() ? "" : ", ") + std::string(ok_value);
  fail(join(path, key), "'" + *v + "' is not one of " + list);
  return std::nullopt;
}

void YamlCheck::only_fields(const YAML::Node& map, const std::string& path, std::initializer_list<const char*> fields) {
  if (!ok() || !map.IsMap()) return;
  for (const auto& kv : map) {
    const std::string k = kv.first.Scalar();
    if (std::none_of(fields.begin(), fields.end(), [&](const char* f) { return k == f; })) {
      fail(join(path, k), "unknown field");
      return;
    }
  }
}

}  // namespace netaccel::agent
