#include "netaccel/core/config.h"

#include <iniparser.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace netaccel {

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == ',' || c == ' ' || c == '\t') {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

namespace {
// iniparser reports syntax errors only on stderr; pre-check lines so errors carry line numbers.
Status check_syntax(const std::string& text, const std::string& origin) {
  std::istringstream in(text);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    auto b = line.find_first_not_of(" \t\r");
    if (b == std::string::npos || line[b] == '#' || line[b] == ';') continue;
    if (line[b] == '[') {
      if (line.find(']', b) == std::string::npos)
        return make_error(Errc::parse_error, origin + ":" + std::to_string(n) + ": unterminated section header");
      continue;
    }
    if (line.find('=', b) == std::string::npos)
      return make_error(Errc::parse_error, origin + ":" + std::to_string(n) + ": expected 'key = value'");
  }
  return {};
}
}  // namespace

Result<IniConfig> IniConfig::parse_string(const std::string& text, const std::string& origin,
                                          const std::string& implicit_section) {
  if (auto st = check_syntax(text, origin); !st) return st.error();
  // Syntax was checked on the original text, so line numbers in errors match the file.
  const std::string body = implicit_section.empty() ? text : "[" + implicit_section + "]\n" + text;
  char tmpl[] = "/tmp/netaccel-ini-XXXXXX";
  int fd = mkstemp(tmpl);
  if (fd < 0) return errno_error(errno, "temporary file for " + origin);
  if (::write(fd, body.data(), body.size()) != static_cast<ssize_t>(body.size())) {
    close(fd);
    unlink(tmpl);
    return errno_error(errno, "write temporary file for " + origin);
  }
  close(fd);
  dictionary* d = iniparser_load(tmpl);
  unlink(tmpl);
  if (!d) return make_error(Errc::parse_error, origin + ": cannot be parsed");
  IniConfig cfg;
  cfg.origin_ = origin;
  int nsec = iniparser_getnsec(d);
  for (int i = 0; i < nsec; ++i) {
    std::string sec = iniparser_getsecname(d, i);
    int nkeys = iniparser_getsecnkeys(d, sec.c_str());
    std::vector<const char*> keys(nkeys);
    iniparser_getseckeys(d, sec.c_str(), keys.data());
    auto& m = cfg.values_[sec];
    for (const char* k : keys) {
      std::string full = k;  // "section:key"
      const char* v = iniparser_getstring(d, k, "");
      m[full.substr(sec.size() + 1)] = v ? v : "";
    }
  }
  iniparser_freedict(d);
  return cfg;
}

Result<IniConfig> IniConfig::load(const std::string& path) { return load(path, ""); }

Result<IniConfig> IniConfig::load(const std::string& path, const std::string& implicit_section) {
  std::ifstream f(path);
  if (!f) {
    if (access(path.c_str(), F_OK) != 0) {
      IniConfig empty;
      empty.origin_ = path;
      return empty;
    }
    return errno_error(errno, "read config " + path);
  }
  std::stringstream ss;
  ss << f.rdbuf();
  return parse_string(ss.str(), path, implicit_section);
}

namespace {
std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}
}  // namespace

std::optional<std::string> IniConfig::get(const std::string& section, const std::string& key) const {
  auto s = values_.find(lower(section));
  if (s == values_.end()) return std::nullopt;
  auto k = s->second.find(lower(key));
  if (k == s->second.end()) return std::nullopt;
  return k->second;
}

std::string IniConfig::get_string(const std::string& section, const std::string& key, const std::string& def) const {
  return get(section, key).value_or(def);
}

Result<bool> IniConfig::get_bool(const std::string& section, const std::string& key, bool def) const {
  auto v = get(section, key);
  if (!v) return def;
  std::string s = lower(*v);
  if (s == "yes" || s == "true" || s == "1" || s == "on") return true;
  if (s == "no" || s == "false" || s == "0" || s == "off") return false;
  return make_error(Errc::invalid_argument, where(section, key) + ": expected yes/no, got '" + *v + "'");
}

Result<long> IniConfig::get_int(const std::string& section, const std::string& key, long def, long min, long max) const {
  auto v = get(section, key);
  if (!v) return def;
  char* end = nullptr;
  errno = 0;
  long n = std::strtol(v->c_str(), &end, 10);
  if (v->empty() || *end || errno)
    return make_error(Errc::invalid_argument, where(section, key) + ": expected an integer, got '" + *v + "'");
  if (n < min || n > max)
    return make_error(Errc::invalid_argument, where(section, key) + ": " + *v + " is outside [" +
                                                  std::to_string(min) + ", " + std::to_string(max) + "]");
  return n;
}

std::vector<std::string> IniConfig::get_list(const std::string& section, const std::string& key) const {
  auto v = get(section, key);
  return v ? split_list(*v) : std::vector<std::string>{};
}

std::vector<std::string> IniConfig::unknown_keys(const std::string& section, const std::vector<std::string>& known) const {
  std::vector<std::string> out;
  auto s = values_.find(lower(section));
  if (s == values_.end()) return out;
  for (const auto& [k, v] : s->second)
    if (std::find(known.begin(), known.end(), k) == known.end()) out.push_back(k);
  return out;
}

std::vector<std::string> IniConfig::sections() const {
  std::vector<std::string> out;
  for (const auto& [s, m] : values_) out.push_back(s);
  return out;
}

}  // namespace netaccel
