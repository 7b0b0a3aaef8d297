// Kubernetes label selectors (metav1.LabelSelector) as NetworkPolicy uses them: matchLabels and
// matchExpressions, all requirements AND-ed; an empty selector selects everything.
#pragma once

#include <yaml-cpp/yaml.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "netaccel/core/result.h"

namespace netaccel::policy {

using Labels = std::map<std::string, std::string>;

enum class SelectorOp { in, not_in, exists, does_not_exist };

struct LabelRequirement {
  std::string key;
  SelectorOp op = SelectorOp::exists;
  std::set<std::string> values;  // In and NotIn only
  bool operator==(const LabelRequirement&) const = default;
};

struct LabelSelector {
  // matchLabels become In requirements with one value, as the API server treats them.
  std::vector<LabelRequirement> requirements;
  bool matches(const Labels& labels) const;
  bool empty() const { return requirements.empty(); }
  bool operator==(const LabelSelector&) const = default;
};

// `node` is a selector object; `where` names it in errors ("spec.podSelector").
Result<LabelSelector> parse_selector(const YAML::Node& node, const std::string& where);
// "role=db,tier in (a,b),!legacy" as kubectl prints selectors; "<all>" for an empty one.
std::string to_string(const LabelSelector& s);

}  // namespace netaccel::policy
