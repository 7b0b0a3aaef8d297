// A service's configuration section as a table: each key with the field it fills and the rule
// that checks it. parse() refuses other sections and unknown keys, reads every key (defaults
// are the fields' initial values), then runs the whole-config checks; every error names the
// file, section and key. One place for what each daemon's parser used to repeat.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "netaccel/core/config.h"
#include "netaccel/core/result.h"

namespace netaccel {

template <typename C>
class ConfigSchema {
 public:
  // Reads `key` (present or not) into c; returns an error naming ini.where(section, key).
  using Reader = std::function<Status(const IniConfig& ini, const std::string& section, const std::string& key, C& c)>;
  using Check = std::function<Status(const IniConfig& ini, const std::string& section, const C& c)>;
  template <typename T>
  using Field = std::function<T&(C&)>;

  explicit ConfigSchema(std::string section) : section_(std::move(section)) {}

  // Said after "unknown section [x]": where the keys belong in this file's format.
  ConfigSchema& section_hint(std::string hint) {
    section_hint_ = " (" + std::move(hint) + ")";
    return *this;
  }

  ConfigSchema& custom(const std::string& key, Reader r) {
    keys_.push_back({key, std::move(r)});
    return *this;
  }
  ConfigSchema& flag(const std::string& key, Field<bool> f) {
    return custom(key, [f](const IniConfig& ini, const std::string& s, const std::string& k, C& c) -> Status {
      auto v = ini.get_bool(s, k, f(c));
      if (!v) return v.error();
      f(c) = *v;
      return {};
    });
  }
  template <typename Int>
  ConfigSchema& number(const std::string& key, Field<Int> f, long min, long max) {
    return custom(key, [f, min, max](const IniConfig& ini, const std::string& s, const std::string& k, C& c) -> Status {
      auto v = ini.get_int(s, k, static_cast<long>(f(c)), min, max);
      if (!v) return v.error();
      f(c) = static_cast<Int>(*v);
      return {};
    });
  }
  ConfigSchema& text(const std::string& key, Field<std::string> f) {
    return custom(key, [f](const IniConfig& ini, const std::string& s, const std::string& k, C& c) -> Status {
      f(c) = ini.get_string(s, k, f(c));
      return {};
    });
  }
  // An absolute path (pin roots, state files).
  ConfigSchema& path(const std::string& key, Field<std::string> f) {
    return custom(key, [f](const IniConfig& ini, const std::string& s, const std::string& k, C& c) -> Status {
      f(c) = ini.get_string(s, k, f(c));
      if (f(c).empty() || f(c)[0] != '/') return make_error(Errc::invalid_argument, ini.where(s, k) + ": must be an absolute path");
      return {};
    });
  }
  // A comma/space separated list; `valid` (optional) judges each entry, naming it when it fails.
  ConfigSchema& list(const std::string& key, Field<std::vector<std::string>> f,
                     std::function<bool(const std::string&)> valid = {}, const std::string& what = "a valid entry",
                     bool keep_default_when_empty = false) {
    return custom(key, [=](const IniConfig& ini, const std::string& s, const std::string& k, C& c) -> Status {
      auto v = ini.get_list(s, k);
      if (!v.empty() || !keep_default_when_empty) f(c) = v;
      if (valid)
        for (const auto& e : f(c))
          if (!valid(e)) return make_error(Errc::invalid_argument, ini.where(s, k) + ": '" + e + "' is not " + what);
      return {};
    });
  }
  // A check over the whole config, after every key was read.
  ConfigSchema& check(Check chk) {
    checks_.push_back(std::move(chk));
    return *this;
  }

  Result<C> parse(const IniConfig& ini, C c = {}) const {
    for (const auto& s : ini.sections())
      if (s != section_) return make_error(Errc::invalid_argument, ini.origin() + ": unknown section [" + s + "]" + section_hint_);
    std::vector<std::string> known;
    for (const auto& k : keys_) known.push_back(k.name);
    if (auto unknown = ini.unknown_keys(section_, known); !unknown.empty())
      return make_error(Errc::invalid_argument, ini.where(section_, unknown.front()) + ": unknown key");
    for (const auto& k : keys_)
      if (auto st = k.read(ini, section_, k.name, c); !st) return st.error();
    for (const auto& chk : checks_)
      if (auto st = chk(ini, section_, c); !st) return st.error();
    return c;
  }

 private:
  struct Key {
    std::string name;
    Reader read;
  };
  std::string section_, section_hint_;
  std::vector<Key> keys_;
  std::vector<Check> checks_;
};

}  // namespace netaccel
