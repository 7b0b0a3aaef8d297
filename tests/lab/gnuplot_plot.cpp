#include "gnuplot_plot.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "netaccel/core/files.h"

extern char** environ;

namespace netaccel::lab {

namespace {

// gnuplot reads the labels from a tab-separated file; tabs and quotes in a case name must not
// split or end its column.
std::string label(const std::string& s) {
  std::string out;
  for (char c : s) out += (c == '\t' || c == '"' || c == '\n') ? ' ' : c;
  return out;
}

std::string value_text(double v) {
  char buf[64];
  if (std::fabs(v) >= 1e6) std::snprintf(buf, sizeof buf, "%.3gM", v / 1e6);
  else if (std::fabs(v) >= 1e4) std::snprintf(buf, sizeof buf, "%.0f", v);
  else std::snprintf(buf, sizeof buf, "%.3g", v);
  return buf;
}

Status run_gnuplot(const std::string& script, const std::string& out) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  // Not O_CLOEXEC: these become gnuplot's stdout and stderr across the exec.
  posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::string err = out + ".err";
  posix_spawn_file_actions_addopen(&fa, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  char* argv[] = {const_cast<char*>("gnuplot"), const_cast<char*>(script.c_str()), nullptr};
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, "gnuplot", &fa, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc == ENOENT) return make_error(Errc::not_found, "gnuplot is not installed (Debian: gnuplot-nox, openEuler: gnuplot)");
  if (rc != 0) return errno_error(rc, "gnuplot");
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    auto text = read_file(err);
    return Error{std::make_error_code(std::errc::io_error), "gnuplot " + script + ": " + (text ? *text : std::string("failed"))};
  }
  return {};
}

}  // namespace

Result<std::string> plot_series(const Series& s, const std::string& work_dir, const std::string& file_stem) {
  const std::string data = work_dir + "/" + file_stem + ".tsv", script = work_dir + "/" + file_stem + ".gp",
                    svg = work_dir + "/" + file_stem + ".svg";
  std::ofstream d(data);
  int bars = 0;
  double top = 0;
  for (const auto& p : s.points) {
    if (!p.value) continue;
    std::string note = value_text(*p.value);
    if (p.ratio) {
      char r[32];
      std::snprintf(r, sizeof r, "  x%.2f", *p.ratio);
      note += r;
    }
    d << label(p.case_name) << '\t' << *p.value << '\t' << note << '\n';
    top = std::max(top, *p.value);
    ++bars;
  }
  d.close();
  if (bars == 0 || top <= 0) return make_error(Errc::invalid_argument, s.metric + ": nothing measured to plot");
  std::ofstream g(script);
  // Bars from 0 with room on the right for the labels; rows top-down in the table's order.
  g << "set terminal svg size 760," << 60 + 22 * bars << " fixed noenhanced font 'sans,11' background '#ffffff'\n"
    << "set datafile separator '\\t'\n"
    << "set style fill solid 1.0 noborder\n"
    << "set xrange [0:" << top * 1.45 << "]\nset yrange [" << bars - 0.5 << ":-0.5]\n"
    << "set xlabel '" << label(s.metric) << "'\nset grid xtics\nset ytics nomirror scale 0\nset xtics nomirror\nunset key\n"
    << "set lmargin 34\n"
    << "plot '" << data << "' using (0):0:(0):2:($0-0.35):($0+0.35):ytic(1) with boxxyerror lc rgb '" << kBarColour << "', \\\n"
    << "     '' using 2:0:(' '.strcol(3)) with labels left offset 0.3,0 font 'sans,9'\n";
  g.close();
  if (auto st = run_gnuplot(script, svg); !st) return st.error();
  auto text = read_file(svg);
  if (!text) return text.error();
  auto at = text->find("<svg");
  if (at == std::string::npos) return Error{std::make_error_code(std::errc::io_error), svg + ": gnuplot wrote no <svg> element"};
  return text->substr(at);
}

}  // namespace netaccel::lab
