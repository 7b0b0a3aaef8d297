#include "bench_series.h"

#include <map>

namespace netaccel::lab {

namespace {

using nlohmann::json;

// Benchmarks that write one object per measured case ("rows") rather than one per figure
// ("results"): which fields name the case, which are the metrics, where each ratio is.
struct RowMetric {
  const char* field;
  const char* ratio_field;  // "" when the benchmark has none for it
};
struct CaseField {
  const char* field;
  const char* suffix;  // "rules" after a count
};
struct RowFormat {
  const char* benchmark;
  const char* array;
  std::vector<CaseField> case_fields;
  std::vector<RowMetric> metrics;
  const char* metric_prefix;  // tells two arrays' metrics of one benchmark apart
};

const std::vector<RowFormat>& row_formats() {
  static const std::vector<RowFormat> formats = {
      {"gazelle", "rows", {{"app", ""}, {"test", ""}, {"mode", ""}}, {{"rps", "x_rps"}, {"p99_ms", ""}, {"cpu_us_per_req", "x_cpu"}}, ""},
      {"iptables",
       "rows",
       {{"backend", ""}, {"rules", " rules"}},
       {{"pps", "x_legacy"}, {"rr_p50_us", ""}, {"rr_p99_us", ""}, {"add_one_ms", ""}, {"restore_s", ""}},
       "FORWARD "},
      {"iptables",
       "kube_proxy",
       {{"backend", ""}, {"services", " services"}},
       {{"kube_sync_ms", ""}, {"add_service_ms", ""}, {"first_p99_us", ""}, {"last_p50_us", "x_legacy_last_latency"}, {"last_p99_us", ""}},
       "kube-proxy "},
  };
  return formats;
}

std::string field_text(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_integer() || v.is_number_unsigned()) return std::to_string(v.get<long long>());
  return v.dump();
}

// Appends p to the series named metric, keeping the order metrics first appear in.
void add(Benchmark& b, std::map<std::string, size_t>& index, const std::string& metric, Point p) {
  auto [it, fresh] = index.emplace(metric, b.series.size());
  if (fresh) b.series.push_back({metric, {}});
  b.series[it->second].points.push_back(std::move(p));
}

Status read_results(const json& results, const std::string& source, Benchmark& b) {
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < results.size(); ++i) {
    const json& r = results[i];
    const std::string where = source + ": results[" + std::to_string(i) + "]";
    if (!r.is_object() || !r.contains("case") || !r["case"].is_string() || !r.contains("metric") || !r["metric"].is_string())
      return make_error(Errc::invalid_argument, where + ": needs \"case\" and \"metric\" strings");
    Point p{r["case"].get<std::string>(), std::nullopt, std::nullopt, ""};
    if (r.contains("value") && r["value"].is_number()) p.value = r["value"].get<double>();
    else p.why = r.value("na", std::string("not measured"));
    if (r.contains("ratio") && r["ratio"].is_number()) p.ratio = r["ratio"].get<double>();
    add(b, index, r["metric"].get<std::string>(), std::move(p));
  }
  return {};
}

Status read_rows(const json& doc, const std::string& source, Benchmark& b) {
  std::map<std::string, size_t> index;
  bool known = false;
  for (const auto& f : row_formats()) {
    if (b.name != f.benchmark || !doc.contains(f.array)) continue;
    known = true;
    const json& rows = doc[f.array];
    if (!rows.is_array()) return make_error(Errc::invalid_argument, source + ": \"" + f.array + "\" is not an array");
    for (size_t i = 0; i < rows.size(); ++i) {
      const json& row = rows[i];
      if (!row.is_object()) return make_error(Errc::invalid_argument, source + ": " + f.array + "[" + std::to_string(i) + "] is not an object");
      std::string name;
      for (const auto& c : f.case_fields)
        if (row.contains(c.field)) name += (name.empty() ? "" : " ") + field_text(row[c.field]) + c.suffix;
      for (const auto& m : f.metrics) {
        Point p{name, std::nullopt, std::nullopt, ""};
        if (row.contains(m.field) && row[m.field].is_number()) p.value = row[m.field].get<double>();
        else p.why = row.value("na", std::string("not measured"));
        if (*m.ratio_field && row.contains(m.ratio_field) && row[m.ratio_field].is_number()) p.ratio = row[m.ratio_field].get<double>();
        add(b, index, std::string(f.metric_prefix) + m.field, std::move(p));
      }
    }
  }
  if (!known) return make_error(Errc::invalid_argument, source + ": benchmark \"" + b.name + "\" has rows in a format the report does not know");
  return {};
}

}  // namespace

bool Series::plottable() const {
  for (const auto& p : points)
    if (p.value && *p.value > 0) return true;
  return false;
}

Result<Benchmark> read_benchmark(const json& doc, const std::string& source) {
  if (!doc.is_object() || !doc.contains("benchmark") || !doc["benchmark"].is_string())
    return make_error(Errc::invalid_argument, source + ": not a benchmark's result (no \"benchmark\" name)");
  Benchmark b{doc["benchmark"].get<std::string>(), doc.value("machine", std::string()), source, {}};
  if (b.machine.empty()) return make_error(Errc::invalid_argument, source + ": names no machine; its figures cannot be compared");
  if (doc.contains("results")) {
    if (!doc["results"].is_array()) return make_error(Errc::invalid_argument, source + ": \"results\" is not an array");
    if (auto st = read_results(doc["results"], source, b); !st) return st.error();
  } else if (auto st = read_rows(doc, source, b); !st) {
    return st.error();
  }
  return b;
}

}  // namespace netaccel::lab
