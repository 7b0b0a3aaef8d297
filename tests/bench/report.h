// What every benchmark table shares: figures that were measured or say why not, ratios
// against a baseline of the same run, and the machine the numbers belong to.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "netaccel/core/result.h"

namespace netaccel::bench {

// One measured number, or the reason it could not be measured. Never printed as 0 or nan.
struct Figure {
  std::optional<double> value;
  std::string why;  // with no value: what went wrong

  static Figure of(double v) { return Figure{v, {}}; }
  static Figure missing(std::string reason) { return Figure{std::nullopt, std::move(reason)}; }
  template <typename T>
  static Figure of(const Result<T>& r, double (*pick)(const T&)) {
    return r ? of(pick(*r)) : missing(r.error().message);
  }
  static Figure of(const Result<double>& r) { return r ? of(*r) : missing(r.error().message); }
  bool ok() const { return value.has_value(); }
};

// `x / base`, or with `inverse` `base / x` (latency: above 1 is faster); missing when either is.
Figure ratio(const Figure& x, const Figure& base, bool inverse = false);

// The figure in a column of `width` with `precision` decimals, or "n/a".
std::string cell(const Figure& f, int width, int precision);

// Footnotes for the figures that were not measured: "n/a (reason)" with what they were.
class Missing {
 public:
  void note(const std::string& what, const Figure& f);
  bool any() const { return !lines_.empty(); }
  void print() const;  // to stdout, after the table

 private:
  std::string lines_;
};

// {"case", "metric", "value" or "na": reason, "ratio" when it could be computed}.
nlohmann::json figure_json(const std::string& case_name, const std::string& metric, const Figure& f, const Figure& r);

// "CPU model (N CPUs), kernel RELEASE, mitigations: name=what, ..." from /proc/cpuinfo, uname
// and /sys/devices/system/cpu/vulnerabilities: printed above every table and stored in the
// JSON, so figures from different machines are never read as one series.
std::string machine_description();

}  // namespace netaccel::bench
