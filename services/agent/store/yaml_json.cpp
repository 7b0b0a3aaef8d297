#include "yaml_json.h"

#include <regex>

#include "yaml_check.h"

namespace netaccel::agent {

nlohmann::json yaml_to_json(const YAML::Node& n) {
  if (n.IsMap()) {
    nlohmann::json o = nlohmann::json::object();
    for (const auto& kv : n) o[kv.first.Scalar()] = yaml_to_json(kv.second);
    return o;
  }
  if (n.IsSequence()) {
    nlohmann::json a = nlohmann::json::array();
    for (const auto& e : n) a.push_back(yaml_to_json(e));
    return a;
  }
  if (!n.IsScalar()) return nullptr;
  const std::string& s = n.Scalar();
  if (!plain_non_string(n)) return s;
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  static const std::regex integer(R"([-+]?(0|[1-9][0-9]*))");
  if (std::regex_match(s, integer)) return std::stoll(s);
  if (s == "null" || s == "Null" || s == "NULL" || s == "~") return nullptr;
  try {
    return std::stod(s);
  } catch (...) {
    return s;  // hex and octal forms: kept as written
  }
}

}  // namespace netaccel::agent
