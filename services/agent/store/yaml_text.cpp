#include "yaml_text.h"

#include "yaml_check.h"

namespace netaccel::agent {

namespace {
void emit(YAML::Emitter& out, const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map:
      out << YAML::BeginMap;
      for (const auto& kv : n) {
        out << YAML::Key;
        emit(out, kv.first);
        out << YAML::Value;
        emit(out, kv.second);
      }
      out << YAML::EndMap;
      break;
    case YAML::NodeType::Sequence:
      out << YAML::BeginSeq;
      for (const auto& e : n) emit(out, e);
      out << YAML::EndSeq;
      break;
    case YAML::NodeType::Scalar:
      // A quoted scalar stays quoted where unquoted text would read as something else.
      if (n.Tag() != "?" && reads_as_non_string(n.Scalar())) out << YAML::DoubleQuoted << n.Scalar();
      else out << n.Scalar();
      break;
    default:
      out << YAML::Null;
  }
}
}  // namespace

std::string to_yaml_text(const YAML::Node& n) {
  YAML::Emitter out;
  emit(out, n);
  return out.c_str();
}

}  // namespace netaccel::agent
