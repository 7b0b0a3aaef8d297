#include "pod_node.h"

#include <fstream>

using nlohmann::json;

namespace netaccel::test {

PodNode::PodNode(const std::string& dir, const std::string& prefix, const PodNodeOptions& o) : dir_(dir) {
  net_ = "natest-" + prefix;
  bridge_ = prefix.substr(0, 4) + prefix.substr(prefix.size() - 5);
  pins_ = "/sys/fs/bpf/netaccel-test-" + prefix;
  base_cgroup_ = cgroup2_dir() + "/netaccel-test-" + prefix + "-base";
  sh_ok("mkdir -p " + o.plugin_dir + " " + pins_ + " " + base_cgroup_ + " $(dirname " + o.conflist + ")");
  sh_ok("for f in /usr/lib/cni/*; do ln -s $f " + o.plugin_dir + "/; done; ln -s " + binary_dir() + "/services/cni/netaccel " +
        o.plugin_dir + "/netaccel");
  agent_ = std::make_unique<ServiceUnderTest>("agent", "org.openeuler.NetAccel1.Agent", dir_ + "/agent");
  if (!agent_->bus_ok()) return;
  json conflist = {{"cniVersion", "1.0.0"}, {"name", net_},
                   {"plugins", json::array({{{"type", "bridge"}, {"bridge", bridge_}, {"isGateway", true}, {"ipMasq", false},
                                             {"ipam", {{"type", "host-local"}, {"ranges", json::array({json::array({{{"subnet", o.subnet}}})})},
                                                       {"dataDir", dir_ + "/ipam"}}}},
                                            {{"type", "netaccel"}, {"busAddress", agent_->bus_address()}}})}};
  if (!o.range_end.empty()) conflist["plugins"][0]["ipam"]["ranges"][0][0]["rangeEnd"] = o.range_end;
  if (!o.gazelle.is_null()) conflist["plugins"][1]["gazelle"] = o.gazelle;
  std::ofstream(o.conflist) << conflist.dump(2);
  std::ofstream(dir_ + "/agent.conf") << "[agent]\nstate_dir = " << dir_ << "/agent/state\ncgroup_scan_ms = 100\ngc_interval_s = "
                                      << o.gc_interval_s << "\n";
  std::ofstream(dir_ + "/fwd.conf") << "[fwd]\nhook = tc\nauto_attach = no\npin_root = " << pins_ << "/fwd\n";
  std::ofstream(dir_ + "/sockmap.conf") << "[sockmap]\ncgroups = " << base_cgroup_ << "\nlocal_prefixes = " << o.subnet
                                        << "\nbulk_bypass = off\npin_root = " << pins_ << "/sockmap\n";
  if (!agent_->start(dir_ + "/agent.conf")) return;
  fwd_ = std::make_unique<ServiceUnderTest>("fwd", "org.openeuler.NetAccel1.Fwd", dir_ + "/fwd", *agent_);
  sockmap_ = std::make_unique<ServiceUnderTest>("sockmap", "org.openeuler.NetAccel1.Sockmap", dir_ + "/sockmap", *agent_);
  ok_ = fwd_->start(dir_ + "/fwd.conf") && sockmap_->start(dir_ + "/sockmap.conf");
}

PodNode::~PodNode() {
  fwd_.reset();
  sockmap_.reset();
  agent_.reset();
  sh(binary_dir() + "/services/fwd/netaccel-fwd --purge -c /dev/null --pin-root " + pins_ + "/fwd");
  sh(binary_dir() + "/services/sockmap/netaccel-sockmap --purge -c /dev/null --pin-root " + pins_ + "/sockmap");
  sh("rmdir " + pins_ + "/fwd " + pins_ + "/sockmap " + pins_ + " " + base_cgroup_ + " 2>/dev/null");
  sh("ip link del " + bridge_ + " 2>/dev/null");  // the bridge plugin leaves its bridge behind
}

std::vector<json> PodNode::endpoints() const {
  const json data = agent_->call(kAgentDest, "ListEndpoints");
  return std::vector<json>(data[0].begin(), data[0].end());
}

json PodNode::endpoint(const std::string& id) const {
  const json data = agent_->call(kAgentDest, "GetEndpoint s " + id);
  return json::parse(data[0].get<std::string>(), nullptr, false);
}

bool PodNode::all_have_cgroups() const {
  for (const auto& e : endpoints())
    if (endpoint(e[0]).value("cgroup", "").empty()) return false;
  return true;
}

size_t PodNode::fwd_count() const {
  const json data = fwd_->call(kFwdDest, "ListInterfaces");
  return data[0].size();
}

uint64_t PodNode::forwarded(const std::string& veth) const {
  const json data = fwd_->call(kFwdDest, "GetStats s " + veth);
  return data[0].value("forwarded", uint64_t{0});
}

bool PodNode::forwards_after_learning(const std::string& netns, const std::string& veth, const std::string& ip) const {
  return wait_until([&] { return sh("nsenter --net=" + netns + " ping -q -c 1 -W 1 " + ip).status == 0 && forwarded(veth) > 0; }, 10000);
}

std::string PodNode::fwd_stats(const std::string& veth) const { return fwd_->call(kFwdDest, "GetStats s " + veth).dump(); }

std::vector<std::string> PodNode::sockmap_cgroups() const {
  const json data = sockmap_->call(kSockmapDest, "ListCgroups");
  return std::vector<std::string>(data[0].begin(), data[0].end());
}

std::string PodNode::bridge_ports() const {
  auto s = sh("ip -o link show master " + bridge_ + " 2>/dev/null | wc -l").out;
  return s.substr(0, s.find('\n'));
}

std::string PodNode::leases() const {
  auto s = sh("ls " + dir_ + "/ipam/" + net_ + " 2>/dev/null | grep -c '^10\\.'").out;
  return s.substr(0, s.find('\n'));
}

}  // namespace netaccel::test
