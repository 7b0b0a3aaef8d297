// INI configuration (/etc/netaccel/<service>.conf) through iniparser. Every error names the
// file and the key, so a bad config is found without reading code.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "netaccel/core/result.h"

namespace netaccel {

class IniConfig {
 public:
  // A missing file is an empty config (all defaults); an unreadable or malformed one is an error.
  static Result<IniConfig> load(const std::string& path);
  // implicit_section: files in the style of Gazelle's lstack.conf have keys before any
  // section header; they are read as if under [implicit_section].
  static Result<IniConfig> load(const std::string& path, const std::string& implicit_section);
  static Result<IniConfig> parse_string(const std::string& text, const std::string& origin,
                                        const std::string& implicit_section = "");

  const std::string& origin() const { return origin_; }
  std::optional<std::string> get(const std::string& section, const std::string& key) const;
  std::string get_string(const std::string& section, const std::string& key, const std::string& def) const;
  Result<bool> get_bool(const std::string& section, const std::string& key, bool def) const;
  Result<long> get_int(const std::string& section, const std::string& key, long def, long min, long max) const;
  // Comma- or space-separated list; empty entries dropped.
  std::vector<std::string> get_list(const std::string& section, const std::string& key) const;
  // Keys present in `section` that are not in `known`: typos are errors, not silently ignored.
  std::vector<std::string> unknown_keys(const std::string& section, const std::vector<std::string>& known) const;
  std::vector<std::string> sections() const;

  std::string where(const std::string& section, const std::string& key) const {
    return origin_ + ": [" + section + "] " + key;
  }

 private:
  std::string origin_;
  std::map<std::string, std::map<std::string, std::string>> values_;  // lower-cased names
};

std::vector<std::string> split_list(const std::string& s);

}  // namespace netaccel
