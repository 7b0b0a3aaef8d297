// /etc/netaccel/policy.conf: where netaccel-policy pins its data path and what it lets in
// that no NetworkPolicy speaks of.
#pragma once

#include <string>

#include "netaccel/core/config.h"
#include "netaccel/core/pins.h"

namespace netaccel::policy {

struct PolicyConfig {
  std::string pin_root = kDefaultPinRoot;
  bool allow_host = true;         // the node itself reaches every pod (kubelet's probes)
  unsigned settle_ms = 20;        // changes arriving this close together are compiled once
  unsigned drop_events_per_s = 100;  // Dropped signals at most this often (all are counted)
  // A pod's policy map holds at most this many keys (POL_MAX_ENTRIES in the kernel); a change
  // that needs more is refused whole, naming the pod.
  unsigned policy_map_entries = 16384;
};

Result<PolicyConfig> parse_policy_config(const IniConfig& ini);

}  // namespace netaccel::policy
