// A node back to YAML text that reads back as the same node: yaml-cpp's emitter drops the
// quotes of a quoted "80" or "true", which would turn a string label into a number.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>

namespace netaccel::agent {

std::string to_yaml_text(const YAML::Node& n);

}  // namespace netaccel::agent
