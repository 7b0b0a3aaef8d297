// A stored object as JSON (`get -o json`): plain scalars become the numbers, booleans and
// nulls YAML's core schema reads them as; quoted ones stay strings.
#pragma once

#include <yaml-cpp/yaml.h>

#include <nlohmann/json.hpp>

namespace netaccel::agent {

nlohmann::json yaml_to_json(const YAML::Node& n);

}  // namespace netaccel::agent
