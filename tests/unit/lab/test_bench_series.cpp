// The lab report's reading of benchmark JSON: both shapes the benchmarks write ("results" per
// figure, "rows" per case), the recorded results of every benchmark, and bad documents refused
// with the place named. The plot itself when gnuplot is installed.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "bench_series.h"
#include "gnuplot_plot.h"
#include "netaccel/core/files.h"

using namespace netaccel;
using namespace netaccel::lab;
using nlohmann::json;

namespace {

const std::string kMachine = "AMD EPYC (2 CPUs), kernel 6.18";

TEST(BenchSeries, ResultsBecomeOneSeriesPerMetricInTheirOrder) {
  json doc = {{"benchmark", "cni"}, {"machine", kMachine},
              {"results", json::array({{{"case", "bridge"}, {"metric", "p50_ms"}, {"value", 25.0}, {"ratio", 1.0}},
                                       {{"case", "bridge"}, {"metric", "p99_ms"}, {"value", 40.0}},
                                       {{"case", "netaccel"}, {"metric", "p50_ms"}, {"na", "agent did not answer"}}})}};
  auto b = read_benchmark(doc, "cni.json");
  ASSERT_TRUE(b) << b.error().what();
  EXPECT_EQ(b->machine, kMachine);
  ASSERT_EQ(b->series.size(), 2u);
  EXPECT_EQ(b->series[0].metric, "p50_ms");
  ASSERT_EQ(b->series[0].points.size(), 2u);
  EXPECT_EQ(*b->series[0].points[0].value, 25.0);
  EXPECT_EQ(*b->series[0].points[0].ratio, 1.0);
  EXPECT_FALSE(b->series[0].points[1].value);
  EXPECT_EQ(b->series[0].points[1].why, "agent did not answer");
  EXPECT_FALSE(b->series[1].points[0].ratio);
}

TEST(BenchSeries, RowsNameTheCaseByTheirFieldsAndFindTheirRatios) {
  json doc = {{"benchmark", "gazelle"}, {"machine", kMachine},
              {"rows", json::array({{{"app", "redis"}, {"test", "GET"}, {"mode", "kernel"}, {"rps", 60000.0}, {"x_rps", 1.0}, {"p99_ms", 0.7}},
                                    {{"app", "redis"}, {"test", "GET"}, {"mode", "gazelle af_xdp"}, {"na", "no AF_XDP"}}})}};
  auto b = read_benchmark(doc, "gazelle.json");
  ASSERT_TRUE(b) << b.error().what();
  ASSERT_EQ(b->series[0].metric, "rps");
  EXPECT_EQ(b->series[0].points[0].case_name, "redis GET kernel");
  EXPECT_EQ(*b->series[0].points[0].ratio, 1.0);
  EXPECT_EQ(b->series[0].points[1].why, "no AF_XDP");
  EXPECT_EQ(b->series[2].metric, "cpu_us_per_req");
  EXPECT_FALSE(b->series[2].plottable());
  json ipt = {{"benchmark", "iptables"}, {"machine", kMachine},
              {"rows", json::array({{{"backend", "nft"}, {"rules", 1000}, {"pps", 5e5}, {"x_legacy", 1.2}}})},
              {"kube_proxy", json::array({{{"backend", "legacy"}, {"services", 1000}, {"kube_sync_ms", 45.0}}})}};
  auto i = read_benchmark(ipt, "iptables.json");
  ASSERT_TRUE(i) << i.error().what();
  EXPECT_EQ(i->series.front().metric, "FORWARD pps");
  EXPECT_EQ(i->series.front().points[0].case_name, "nft 1000 rules");
  EXPECT_EQ(*i->series.front().points[0].ratio, 1.2);
  bool kube = false;
  for (const auto& s : i->series)
    if (s.metric == "kube-proxy kube_sync_ms") kube = s.points.at(0).case_name == "legacy 1000 services" && *s.points[0].value == 45.0;
  EXPECT_TRUE(kube);
}

TEST(BenchSeries, EveryRecordedBenchmarkReads) {
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(NETACCEL_LAB_FIXTURES)) {
    if (e.path().extension() != ".json") continue;  // node-*.txt: the node section
    auto text = read_file(e.path().string());
    ASSERT_TRUE(text);
    auto b = read_benchmark(json::parse(*text), e.path().string());
    ASSERT_TRUE(b) << b.error().what();
    bool any = false;
    for (const auto& s : b->series) any = any || s.plottable();
    EXPECT_TRUE(any) << e.path();
    ++files;
  }
  EXPECT_GE(files, 4);
}

TEST(BenchSeries, BadDocumentsAreRefusedNamingThePlace) {
  auto no_name = read_benchmark(json{{"results", json::array()}}, "x.json");
  ASSERT_FALSE(no_name);
  EXPECT_NE(no_name.error().message.find("x.json: not a benchmark"), std::string::npos);
  auto no_machine = read_benchmark(json{{"benchmark", "fwd"}, {"results", json::array()}}, "fwd.json");
  ASSERT_FALSE(no_machine);
  EXPECT_NE(no_machine.error().message.find("names no machine"), std::string::npos);
  auto bad_entry = read_benchmark(
      json{{"benchmark", "fwd"}, {"machine", kMachine}, {"results", json::array({{{"case", "a"}, {"metric", "m"}, {"value", 1}}, {{"value", 2}}})}},
      "fwd.json");
  ASSERT_FALSE(bad_entry);
  EXPECT_NE(bad_entry.error().message.find("fwd.json: results[1]"), std::string::npos) << bad_entry.error().message;
  auto unknown_rows = read_benchmark(json{{"benchmark", "vswitch"}, {"machine", kMachine}, {"rows", json::array()}}, "v.json");
  ASSERT_FALSE(unknown_rows);
  EXPECT_NE(unknown_rows.error().message.find("\"vswitch\" has rows in a format"), std::string::npos);
}

TEST(GnuplotPlot, DrawsOneBarColourSvgOrSaysWhyNot) {
  Series s{"p50_ms", {{"bridge", 25.0, 1.0, ""}, {"netaccel \"fast\"\tpath", 11.5, 0.56, ""}, {"missing", std::nullopt, std::nullopt, "n/a"}}};
  char tmpl[] = "/tmp/netaccel-plot-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  auto svg = plot_series(s, tmpl, "p");
  Series none{"x", {{"a", std::nullopt, std::nullopt, "n/a"}}};
  auto empty = plot_series(none, tmpl, "q");
  std::filesystem::remove_all(tmpl);
  EXPECT_FALSE(empty);
  if (!svg && svg.error().code == make_error_code(Errc::not_found)) GTEST_SKIP() << svg.error().what();
  ASSERT_TRUE(svg) << svg.error().what();
  EXPECT_EQ(svg->rfind("<svg", 0), 0u);
  EXPECT_NE(svg->find("rgb( 42, 122, 176)"), std::string::npos) << "the bars' colour, kBarColour";
  EXPECT_NE(svg->find("bridge"), std::string::npos);
  EXPECT_NE(svg->find("x0.56"), std::string::npos);
}

}  // namespace
