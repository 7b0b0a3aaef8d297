// netaccel-fwd's logic: which interfaces are attached and how, kept in step with the kernel's
// links and bridge FDB. Knows nothing of D-Bus; the kernel is behind Dataplane and LinkSource.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "dataplane.h"
#include "fwd_config.h"

namespace netaccel::fwd {

// The view of links and FDB the logic reads (Netlink in the daemon, a table in unit tests).
class LinkSource {
 public:
  virtual ~LinkSource() = default;
  virtual std::optional<LinkInfo> link(const std::string& name) const = 0;
  virtual std::optional<LinkInfo> link(int ifindex) const = 0;
  virtual std::vector<LinkInfo> links() const = 0;
  virtual std::vector<FdbEntry> fdb(int bridge_ifindex) const = 0;
};

struct AttachedIface {
  std::string name;
  int ifindex = 0;
  AttachSpec spec;
  std::string bridge;  // bridge mode: the master's name
  bool automatic = false;  // attached by the auto-attach rules, not by a caller
  MacAddr mac{};           // what the data path was told (router mode matches on it)
};

class Forwarder {
 public:
  Forwarder(Dataplane& dp, const LinkSource& links, FwdConfig cfg);

  // Adopts what a previous run left attached, then applies the auto-attach rules to every link.
  Status start();

  Status attach(const std::string& ifname, const std::string& spec_text);
  Status detach(const std::string& ifname);
  std::vector<AttachedIface> list() const;
  Result<IfaceStats> stats(const std::string& ifname) const;
  const FwdConfig& config() const { return cfg_; }

  // Kernel events (from netlink).
  void on_link(NlEvent ev, const LinkInfo& link);
  void on_fdb(NlEvent ev, const FdbEntry& e);

  // Called after the set of attached interfaces changed (for D-Bus property signals).
  void on_changed(std::function<void()> fn) { changed_ = std::move(fn); }

  // Whether the auto-attach rules want this link, and in which mode.
  std::optional<AttachSpec> auto_spec(const LinkInfo& link) const;

 private:
  Status do_attach(const LinkInfo& link, const AttachSpec& spec, bool automatic);
  Status do_detach(int ifindex);
  void sync_fdb(int bridge_ifindex);
  bool bridge_in_use(int bridge_ifindex) const;
  void changed() {
    if (changed_) changed_();
  }

  Dataplane& dp_;
  const LinkSource& links_;
  FwdConfig cfg_;
  std::map<int, AttachedIface> attached_;  // by ifindex
  std::function<void()> changed_;
};

}  // namespace netaccel::fwd
