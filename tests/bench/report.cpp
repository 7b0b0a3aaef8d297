#include "report.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>

namespace netaccel::bench {

Figure ratio(const Figure& x, const Figure& base, bool inverse) {
  if (!x.ok() || !base.ok()) return Figure::missing("no ratio: " + (x.ok() ? base.why : x.why));
  double num = inverse ? *base.value : *x.value, den = inverse ? *x.value : *base.value;
  if (den <= 0) return Figure::missing("no ratio: zero baseline");
  return Figure::of(num / den);
}

std::string cell(const Figure& f, int width, int precision) {
  char buf[64];
  if (f.ok()) std::snprintf(buf, sizeof(buf), "%*.*f", width, precision, *f.value);
  else std::snprintf(buf, sizeof(buf), "%*s", width, "n/a");
  return buf;
}

void Missing::note(const std::string& what, const Figure& f) {
  if (!f.ok() && f.why.rfind("no ratio:", 0) != 0) lines_ += "  " + what + ": n/a (" + f.why + ")\n";
}

void Missing::print() const {
  if (any()) std::printf("not measured:\n%s", lines_.c_str());
}

nlohmann::json figure_json(const std::string& case_name, const std::string& metric, const Figure& f, const Figure& r) {
  nlohmann::json j = {{"case", case_name}, {"metric", metric}};
  if (f.ok()) j["value"] = *f.value;
  else j["na"] = f.why;
  if (r.ok()) j["ratio"] = *r.value;
  return j;
}

std::string machine_description() {
  std::string cpu = "unknown CPU";
  std::ifstream info("/proc/cpuinfo");
  for (std::string line; std::getline(info, line);)
    if (line.rfind("model name", 0) == 0 && line.find(':') != std::string::npos) {
      cpu = line.substr(line.find(':') + 2);
      break;
    }
  utsname u{};
  uname(&u);
  std::string mitigations;
  std::set<std::string> names;  // sorted, so two runs print the same line
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/sys/devices/system/cpu/vulnerabilities", ec))
    names.insert(e.path().filename().string());
  for (const auto& n : names) {
    std::ifstream f("/sys/devices/system/cpu/vulnerabilities/" + n);
    std::string state;
    std::getline(f, state);
    const std::string m = "Mitigation: ";
    if (state.rfind(m, 0) == 0) {
      std::string what = state.substr(m.size());
      what = what.substr(0, what.find_first_of(";,"));
      mitigations += (mitigations.empty() ? "" : ", ") + n + "=" + what;
    } else if (state.rfind("Vulnerable", 0) == 0) {
      mitigations += (mitigations.empty() ? "" : ", ") + n + "=vulnerable";
    }
  }
  return cpu + " (" + std::to_string(sysconf(_SC_NPROCESSORS_ONLN)) + " CPUs), kernel " + u.release +
         ", mitigations: " + (mitigations.empty() ? "none reported" : mitigations);
}

}  // namespace netaccel::bench
