// The command line every netaccel daemon shares: config path, pin root override, --purge
// (undo a stopped daemon's data path) and --check-config.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "netaccel/core/log.h"
#include "netaccel/core/result.h"

namespace netaccel {

struct DaemonArgs {
  std::string config_path;
  std::string pin_root;  // empty: from the config
  bool purge = false;
  bool check = false;
};

inline void add_daemon_options(CLI::App& app, DaemonArgs& a, const std::string& service) {
  a.config_path = "/etc/netaccel/" + service + ".conf";
  app.add_option("-c,--config", a.config_path, "configuration file");
  app.add_option("--pin-root", a.pin_root, "bpffs directory for pins (overrides the config)");
  app.add_flag("--purge", a.purge, "detach everything a stopped netaccel-" + service + " left attached, remove its pins, exit");
  app.add_flag("--check-config", a.check, "validate the configuration and exit");
}

// The boundary where a daemon's start-up errors are logged, once.
inline int fail_with(const Error& e) {
  log::error(e.what());
  return 1;
}

}  // namespace netaccel
