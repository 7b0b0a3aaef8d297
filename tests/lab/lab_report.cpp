// lab_report: build/lab/report.html from what the lab produced: the node's `netaccelctl status`
// and `get endpoints`, and every benchmark's JSON as tables and SVG plots (gnuplot), each
// benchmark with the machine it ran on. One self-contained file to open in a browser.
//   lab_report --bench DIR --node DIR --out FILE
// Exits non-zero, after writing what it could, when a benchmark file is unreadable or a plot
// could not be drawn: the page then says "n/a (why)" where the plot would be.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "bench_series.h"
#include "gnuplot_plot.h"
#include "netaccel/core/files.h"

using namespace netaccel;
using namespace netaccel::lab;

namespace {

std::string esc(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else if (c == '&') out += "&amp;";
    else if (c == '"') out += "&quot;";
    else out += c;
  }
  return out;
}

std::string number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, std::fabs(v) >= 1000 ? "%.0f" : "%.4g", v);
  return buf;
}

// The lab's order (the product table's), then anything else by name.
int rank(const std::string& name) {
  static const std::vector<std::string> order = {"fwd", "sockmap", "gazelle", "iptables", "agent", "cni"};
  auto it = std::find(order.begin(), order.end(), name);
  return it == order.end() ? static_cast<int>(order.size()) : static_cast<int>(it - order.begin());
}

const char* kStyle = R"(body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}
h2{border-bottom:2px solid #557;padding-bottom:.2em;margin-top:2em}
.machine{color:#555;font-size:90%}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:2px 8px;text-align:left}
td.num{text-align:right;font-family:monospace}.na{color:#a33}
pre{background:#f4f4f4;padding:.6em;overflow-x:auto}
figure{margin:0})";

struct Page {
  std::ostringstream html;
  bool complete = true;  // every benchmark read and every plot drawn
};

void node_section(Page& page, const std::string& node_dir) {
  page.html << "<h2>The node</h2>\n";
  for (const auto& [file, title] : std::vector<std::pair<std::string, std::string>>{
           {"node.txt", "How the lab's pods were made"}, {"status.txt", "netaccelctl status"}, {"endpoints.txt", "netaccelctl get endpoints"},
           {"traffic.txt", "Pod to pod through netaccel-fwd"}, {"policy.txt", "A NetworkPolicy enforced by netaccel-policy"}}) {
    auto text = read_file(node_dir + "/" + file);
    page.html << "<h3>" << esc(title) << "</h3>\n";
    if (text) page.html << "<pre>" << esc(*text) << "</pre>\n";
    else page.html << "<p class=\"na\">n/a (" << esc(text.error().what()) << ")</p>\n";
  }
}

// A benchmark's anchor: its file's name, since one benchmark may write several files
// (sockmap.json, sockmap_bulk.json).
std::string anchor(const Benchmark& b) { return std::filesystem::path(b.source).stem().string(); }

void benchmark_section(Page& page, const Benchmark& b, const std::string& work) {
  page.html << "<section id=\"" << esc(anchor(b)) << "\">\n<h2>" << esc(anchor(b)) << "</h2>\n<p class=\"machine\">machine: " << esc(b.machine)
            << "<br>from " << esc(b.source) << "</p>\n";
  int n = 0;
  for (const auto& s : b.series) {
    page.html << "<h3>" << esc(s.metric) << "</h3>\n<figure>";
    if (s.plottable()) {
      auto svg = plot_series(s, work, anchor(b) + "-" + std::to_string(n++));
      if (svg) {
        page.html << *svg;
      } else {
        page.html << "<p class=\"na\">plot n/a (" << esc(svg.error().what()) << ")</p>";
        page.complete = false;
      }
    } else {
      page.html << "<p class=\"na\">plot n/a (no case was measured)</p>";
    }
    page.html << "</figure>\n<table><tr><th>case</th><th>" << esc(s.metric) << "</th><th>x baseline (above 1: better)</th></tr>\n";
    for (const auto& p : s.points) {
      page.html << "<tr><td>" << esc(p.case_name) << "</td>";
      if (p.value) page.html << "<td class=\"num\">" << number(*p.value) << "</td>";
      else page.html << "<td class=\"na\">n/a (" << esc(p.why) << ")</td>";
      page.html << "<td class=\"num\">" << (p.ratio ? number(*p.ratio) : "") << "</td></tr>\n";
    }
    page.html << "</table>\n";
  }
  page.html << "</section>\n";
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"lab_report: the lab's HTML report"};
  std::string bench_dir, node_dir, out;
  app.add_option("--bench", bench_dir, "the benchmarks' JSON files")->required();
  app.add_option("--node", node_dir, "the lab node's netaccelctl outputs")->required();
  app.add_option("--out", out, "the HTML file")->required();
  CLI11_PARSE(app, argc, argv);

  std::vector<Benchmark> benches;
  std::vector<std::string> problems;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(bench_dir, ec)) {
    if (e.path().extension() != ".json") continue;
    auto text = read_file(e.path().string());
    if (!text) {
      problems.push_back(text.error().what());
      continue;
    }
    auto doc = nlohmann::json::parse(*text, nullptr, false);
    if (doc.is_discarded()) {
      problems.push_back(e.path().string() + ": not JSON");
      continue;
    }
    if (doc.is_array()) continue;  // a run's partial rows (iptables-<backend>.json): iptables.json has them
    auto b = read_benchmark(doc, e.path().string());
    if (b) benches.push_back(std::move(*b));
    else problems.push_back(b.error().message);
  }
  if (ec) problems.push_back(bench_dir + ": " + ec.message());
  std::sort(benches.begin(), benches.end(), [](const Benchmark& a, const Benchmark& b) {
    return rank(a.name) != rank(b.name) ? rank(a.name) < rank(b.name) : a.name < b.name;
  });

  const std::string work = std::filesystem::path(out).parent_path().string() + "/report-plots";
  std::filesystem::create_directories(work, ec);
  Page page;
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  const std::time_t now = std::time(nullptr);
  char when[64];
  std::strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", std::gmtime(&now));
  page.html << "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>netaccel lab report</title><style>" << kStyle
            << "</style></head>\n<body>\n<h1>netaccel lab report</h1>\n<p>" << when << " on " << esc(host) << ". Ratios compare each case with "
            << "the baseline measured in the same run; figures from different machines are not one series.</p>\n<nav>";
  for (const auto& b : benches) page.html << "<a href=\"#" << esc(anchor(b)) << "\">" << esc(anchor(b)) << "</a> ";
  page.html << "</nav>\n";
  node_section(page, node_dir);
  for (const auto& b : benches) benchmark_section(page, b, work);
  if (benches.empty()) problems.push_back(bench_dir + ": no benchmark results (run the benchmarks first)");
  for (const auto& p : problems) page.html << "<p class=\"na\">n/a (" << esc(p) << ")</p>\n";
  page.html << "</body></html>\n";
  if (auto st = write_file_atomic(out, page.html.str()); !st) {
    std::fprintf(stderr, "lab_report: %s\n", st.error().what().c_str());
    return 1;
  }
  // A page for whoever opens it (the lab runs as root; the browser often does not).
  std::filesystem::permissions(out, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write |
                                        std::filesystem::perms::group_read | std::filesystem::perms::others_read, ec);
  for (const auto& p : problems) std::fprintf(stderr, "lab_report: %s\n", p.c_str());
  std::printf("wrote %s (%zu benchmarks)\n", out.c_str(), benches.size());
  return problems.empty() && page.complete ? 0 : 1;
}
