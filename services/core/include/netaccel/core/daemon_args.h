// The command line every netaccel daemon shares: config path, pin root override, --purge
// (undo a stopped daemon's data path) and --check-config.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <variant>

#include "netaccel/core/config.h"
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

// The start-up every daemon shares: its options, the config file through the service's
// parser, --pin-root over the config's pin_root, --check-config and --purge (which `purge`
// does, logging what it removed). Holds the config to run with, or the exit code to stop
// with: 0 after --check-config or --purge, 1 after an error (logged once, here).
template <typename Config>
std::variant<Config, int> start_daemon(int argc, char** argv, const std::string& service, const std::string& description,
                                       Result<Config> (*parse)(const IniConfig&), const std::function<Status(const Config&)>& purge) {
  CLI::App app{description};
  DaemonArgs args;
  add_daemon_options(app, args, service);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  log::set_identifier("netaccel-" + service);
  auto ini = IniConfig::load(args.config_path);
  if (!ini) return fail_with(ini.error());
  auto cfg = parse(*ini);
  if (!cfg) return fail_with(cfg.error());
  if constexpr (requires { cfg->pin_root; }) {  // services without a data path have no pins
    if (!args.pin_root.empty()) cfg->pin_root = args.pin_root;
  }
  if (args.check) return 0;
  if (args.purge) {
    if (auto st = purge(*cfg); !st) return fail_with(st.error());
    return 0;
  }
  return std::move(*cfg);
}

}  // namespace netaccel
