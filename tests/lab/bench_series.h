// Every benchmark's JSON (<build>/bench/<name>.json) read into one shape for the lab report:
// the machine it ran on and its series (one metric over the cases it was measured for), each
// point a value or the reason it is missing, with its ratio to the same run's baseline.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "netaccel/core/result.h"

namespace netaccel::lab {

struct Point {
  std::string case_name;
  std::optional<double> value;
  std::optional<double> ratio;  // against the run's baseline; above 1 is better
  std::string why;              // no value: why it was not measured
};

struct Series {
  std::string metric;
  std::vector<Point> points;
  bool plottable() const;  // at least one measured, positive value
};

struct Benchmark {
  std::string name, machine, source;
  std::vector<Series> series;
};

// `doc` as a benchmark wrote it; `source` names it in errors. Not a benchmark's document
// (no "benchmark" name, a row format this reader does not know): an error naming the place.
Result<Benchmark> read_benchmark(const nlohmann::json& doc, const std::string& source);

}  // namespace netaccel::lab
