#include "label_selector.h"

namespace netaccel::policy {

namespace {

bool requirement_matches(const LabelRequirement& r, const Labels& labels) {
  auto it = labels.find(r.key);
  switch (r.op) {
    case SelectorOp::in: return it != labels.end() && r.values.count(it->second) > 0;
    // NotIn matches a pod without the key, as Kubernetes' selectors do.
    case SelectorOp::not_in: return it == labels.end() || r.values.count(it->second) == 0;
    case SelectorOp::exists: return it != labels.end();
    case SelectorOp::does_not_exist: return it == labels.end();
  }
  return false;
}

Result<SelectorOp> parse_op(const std::string& s, const std::string& where) {
  if (s == "In") return SelectorOp::in;
  if (s == "NotIn") return SelectorOp::not_in;
  if (s == "Exists") return SelectorOp::exists;
  if (s == "DoesNotExist") return SelectorOp::does_not_exist;
  return make_error(Errc::invalid_argument, where + ": '" + s + "' is not In, NotIn, Exists or DoesNotExist");
}

}  // namespace

bool LabelSelector::matches(const Labels& labels) const {
  for (const auto& r : requirements)
    if (!requirement_matches(r, labels)) return false;
  return true;
}

Result<LabelSelector> parse_selector(const YAML::Node& node, const std::string& where) {
  LabelSelector s;
  if (!node || node.IsNull()) return s;
  if (!node.IsMap()) return make_error(Errc::invalid_argument, where + ": must be a map");
  if (auto ml = node["matchLabels"]; ml && !ml.IsNull()) {
    if (!ml.IsMap()) return make_error(Errc::invalid_argument, where + ".matchLabels: must be a map");
    for (const auto& kv : ml)
      s.requirements.push_back({kv.first.Scalar(), SelectorOp::in, {kv.second.Scalar()}});
  }
  if (auto me = node["matchExpressions"]; me && !me.IsNull()) {
    if (!me.IsSequence()) return make_error(Errc::invalid_argument, where + ".matchExpressions: must be a list");
    for (size_t i = 0; i < me.size(); ++i) {
      const std::string at = where + ".matchExpressions[" + std::to_string(i) + "]";
      if (!me[i].IsMap() || !me[i]["key"] || !me[i]["operator"])
        return make_error(Errc::invalid_argument, at + ": needs key and operator");
      auto op = parse_op(me[i]["operator"].Scalar(), at + ".operator");
      if (!op) return op.error();
      LabelRequirement r{me[i]["key"].Scalar(), *op, {}};
      if (auto v = me[i]["values"]; v && v.IsSequence())
        for (const auto& x : v) r.values.insert(x.Scalar());
      bool needs_values = *op == SelectorOp::in || *op == SelectorOp::not_in;
      if (needs_values == r.values.empty())
        return make_error(Errc::invalid_argument, at + ".values: " + (needs_values ? "required for In and NotIn" : "must be empty for Exists and DoesNotExist"));
      s.requirements.push_back(std::move(r));
    }
  }
  return s;
}

std::string to_string(const LabelSelector& s) {
  if (s.empty()) return "<all>";
  std::string out;
  for (const auto& r : s.requirements) {
    if (!out.empty()) out += ",";
    std::string values;
    for (const auto& v : r.values) values += (values.empty() ? "" : ",") + v;
    switch (r.op) {
      case SelectorOp::in: out += r.values.size() == 1 ? r.key + "=" + values : r.key + " in (" + values + ")"; break;
      case SelectorOp::not_in: out += r.key + " notin (" + values + ")"; break;
      case SelectorOp::exists: out += r.key; break;
      case SelectorOp::does_not_exist: out += "!" + r.key; break;
    }
  }
  return out;
}

}  // namespace netaccel::policy
