// Identities numbered cluster-wide in etcd (the agent's, in cluster mode), so that every node
// gives a label set the same number without carrying it in packets:
//   <prefix>/identities/labels/<label set as JSON> -> number
//   <prefix>/identities/ids/<number>               -> label set as JSON
// written together by one transaction that holds only while neither key exists. Of two nodes
// allocating at once one transaction wins; the other reads the winner's number (same labels)
// or takes the next free one (other labels). Numbers are not given back: a label set keeps its
// number across restarts and nodes (the space holds 2^24 - 256 label sets).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "identity.h"
#include "netaccel/core/etcd.h"

namespace netaccel::policy {

// The label set as the keys spell it, and back.
std::string identity_key_text(const IdentityLabels& labels);
Result<IdentityLabels> parse_identity_key_text(const std::string& text);

class EtcdIdentityAllocator : public IdentityAllocator {
 public:
  EtcdIdentityAllocator(std::vector<std::string> endpoints, std::string prefix);

  // Every number the cluster has given, read once at start (later ones as they are met).
  Status load();
  Result<uint32_t> acquire(const IdentityLabels& labels) override;
  // The cluster's numbers stay (other nodes use them): nothing is forgotten.
  void retain(const std::set<uint32_t>&) override {}
  const IdentityLabels* find(uint32_t id) const override { return table_.find(id); }
  std::optional<uint32_t> lookup(const IdentityLabels& labels) const override { return table_.lookup(labels); }
  size_t known() const { return table_.size(); }

 private:
  std::string labels_key(const std::string& text) const { return prefix_ + "/identities/labels/" + text; }
  std::string id_key(uint32_t id) const { return prefix_ + "/identities/ids/" + std::to_string(id); }

  EtcdClient etcd_;
  std::string prefix_;
  IdentityTable table_;
};

}  // namespace netaccel::policy
