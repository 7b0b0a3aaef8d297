// netaccel-sockmap logic without a kernel: config, prefixes, enable/disable rules.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <map>

#include "sockmap_service.h"

using namespace netaccel;
using namespace netaccel::sockmap;

namespace {
Result<SockmapConfig> parse(const std::string& text) {
  auto ini = IniConfig::parse_string(text, "sockmap.conf");
  if (!ini) return ini.error();
  return parse_sockmap_config(*ini);
}

class TableCgroups : public CgroupFs {
 public:
  std::map<std::string, uint64_t> dirs;
  Result<EnabledCgroup> resolve(const std::string& p) const override {
    if (p.empty() || p[0] != '/') return make_error(Errc::invalid_argument, "relative");
    auto it = dirs.find(p);
    if (it == dirs.end()) return make_error(Errc::not_found, p);
    return EnabledCgroup{it->second, p};
  }
  std::string root() const override { return "/cg"; }
  Result<uint64_t> netns_cookie(const std::string& p) const override {
    if (p == "/run/netns/pod") return uint64_t{4096};
    return make_error(Errc::not_found, p);
  }
};

class RecordingDataplane : public Dataplane {
 public:
  std::map<uint64_t, std::string> cgs;
  std::vector<Prefix> prefixes;
  bool fail = false;
  Status enable(const EnabledCgroup& cg) override {
    if (fail) return make_error(Errc::unsupported, "no");
    cgs[cg.id] = cg.path;
    return {};
  }
  Status disable(uint64_t id) override {
    cgs.erase(id);
    return {};
  }
  std::vector<EnabledCgroup> enabled() const override {
    std::vector<EnabledCgroup> out;
    for (const auto& [id, p] : cgs) out.push_back({id, p});
    return out;
  }
  Status set_local_prefixes(const std::vector<Prefix>& p) override {
    prefixes = p;
    return {};
  }
  std::array<uint64_t, SM_STAT__MAX> stats() const override { return {}; }
  uint64_t sockets_in_map() const override { return 0; }
  std::map<std::string, uint64_t> pods;
  Status add_sidecar_pod(const Prefix& ip, uint64_t cookie) override {
    pods[to_string(ip)] = cookie;
    return {};
  }
  Status remove_sidecar_pod(const Prefix& ip) override {
    pods.erase(to_string(ip));
    return {};
  }
  std::vector<Prefix> sidecar_pods() const override {
    std::vector<Prefix> out;
    for (const auto& [k, v] : pods) out.push_back(*parse_prefix(k));
    return out;
  }
};
}  // namespace

TEST(SockmapConfig, DefaultsToTheCgroupRoot) {
  auto c = parse("");
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->cgroups.empty());
  EXPECT_TRUE(c->local_prefixes.empty());
  TableCgroups fs;
  fs.dirs = {{"/cg", 1}};
  RecordingDataplane dp;
  SockmapService svc(dp, fs, *c);
  ASSERT_TRUE(svc.start());
  ASSERT_EQ(dp.cgs.size(), 1u);
  EXPECT_EQ(dp.cgs[1], "/cg");
}

TEST(SockmapConfig, ParsesPrefixesAndCgroups) {
  auto c = parse("[sockmap]\ncgroups = /sys/fs/cgroup/unified/a, /sys/fs/cgroup/unified/b\nlocal_prefixes = 10.244.0.0/16 fd00::/64 192.0.2.7\n");
  ASSERT_TRUE(c) << c.error().what();
  EXPECT_EQ(c->cgroups.size(), 2u);
  ASSERT_EQ(c->local_prefixes.size(), 3u);
  EXPECT_EQ(to_string(c->local_prefixes[0]), "10.244.0.0/16");
  EXPECT_EQ(to_string(c->local_prefixes[1]), "fd00::/64");
  EXPECT_EQ(to_string(c->local_prefixes[2]), "192.0.2.7/32");
}

TEST(SockmapConfig, SidecarOptions) {
  auto d = parse("");
  ASSERT_TRUE(d);
  EXPECT_FALSE(d->sidecar.enabled);
  EXPECT_EQ(d->sidecar.outbound_port, 15001);
  EXPECT_EQ(d->sidecar.proxy_uid, 1337u);
  auto c = parse("[sockmap]\nsidecar_mode = yes\nsidecar_outbound_port = 16001\nproxy_uid = 0\n");
  ASSERT_TRUE(c) << c.error().what();
  EXPECT_TRUE(c->sidecar.enabled);
  EXPECT_EQ(c->sidecar.outbound_port, 16001);
  EXPECT_EQ(c->sidecar.proxy_uid, 0u);
  auto bad = parse("[sockmap]\nsidecar_outbound_port = 70000\n");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "sockmap.conf: [sockmap] sidecar_outbound_port: 70000 is outside [1, 65535]");
}

TEST(SockmapConfig, BulkBypassFollowsPageTableIsolationUnlessSet) {
  auto d = parse("");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->bulk.mode, BulkBypass::automatic);
  EXPECT_EQ(bulk_threshold(d->bulk, /*page_table_isolation=*/true), 4u << 20);
  EXPECT_EQ(bulk_threshold(d->bulk, false), 0u);
  auto on = parse("[sockmap]\nbulk_bypass = on\nbulk_bypass_bytes = 65536\n");
  ASSERT_TRUE(on) << on.error().what();
  EXPECT_EQ(bulk_threshold(on->bulk, false), 65536u);
  auto off = parse("[sockmap]\nbulk_bypass = off\n");
  ASSERT_TRUE(off);
  EXPECT_EQ(bulk_threshold(off->bulk, true), 0u);
}

TEST(SockmapConfig, PageTableIsolationReadFromTheVulnerabilitiesFile) {
  char dir[] = "/tmp/netaccel-pti-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  const std::string pti = std::string(dir) + "/pti", none = std::string(dir) + "/none";
  std::ofstream(pti) << "Mitigation: PTI\n";
  std::ofstream(none) << "Not affected\n";
  EXPECT_TRUE(kernel_isolates_page_tables(pti));
  EXPECT_FALSE(kernel_isolates_page_tables(none));
  EXPECT_FALSE(kernel_isolates_page_tables(std::string(dir) + "/missing"));
  std::remove(pti.c_str());
  std::remove(none.c_str());
  rmdir(dir);
}

TEST(SockmapConfig, ErrorsNameTheKey) {
  struct Case {
    const char *text, *expect;
  } cases[] = {
      {"[sockmap]\nlocal_prefixes = 10.0.0.0/33\n", "sockmap.conf: [sockmap] local_prefixes: '10.0.0.0/33': prefix length must be 0..32"},
      {"[sockmap]\nlocal_prefixes = nonsense\n", "sockmap.conf: [sockmap] local_prefixes: 'nonsense' is not an IPv4 or IPv6 prefix"},
      {"[sockmap]\ncgroups = relative\n", "sockmap.conf: [sockmap] cgroups: 'relative' is not an absolute path"},
      {"[sockmap]\ncgroup = /x\n", "sockmap.conf: [sockmap] cgroup: unknown key"},
      {"[sockmapp]\n", "sockmap.conf: unknown section [sockmapp]"},
      {"[sockmap]\nbulk_bypass = sometimes\n", "sockmap.conf: [sockmap] bulk_bypass: 'sometimes' is not auto, on or off"},
      {"[sockmap]\nbulk_bypass_bytes = 4096\n",
       "sockmap.conf: [sockmap] bulk_bypass_bytes: 4096 is outside [65536, 1099511627776]"},
  };
  for (const auto& c : cases) {
    auto r = parse(c.text);
    ASSERT_FALSE(r) << c.text;
    EXPECT_EQ(r.error().message, c.expect);
  }
}

TEST(SockmapService, EnableDisableAndTheirErrors) {
  TableCgroups fs;
  fs.dirs = {{"/cg/a", 11}, {"/cg/b", 12}};
  RecordingDataplane dp;
  SockmapConfig cfg;
  cfg.cgroups = {"/cg/a"};
  cfg.local_prefixes = {*parse_prefix("10.244.0.0/16")};
  int changes = 0;
  SockmapService svc(dp, fs, cfg);
  svc.on_changed([&] { ++changes; });
  ASSERT_TRUE(svc.start());
  EXPECT_EQ(dp.cgs.size(), 1u);
  EXPECT_EQ(dp.prefixes.size(), 1u);
  EXPECT_EQ(svc.enable("/cg/a").error().code, Errc::already_exists);
  EXPECT_EQ(svc.enable("/cg/none").error().code, Errc::not_found);
  EXPECT_EQ(svc.enable("rel").error().code, Errc::invalid_argument);
  ASSERT_TRUE(svc.enable("/cg/b"));
  EXPECT_EQ(svc.list().size(), 2u);
  EXPECT_EQ(svc.disable("/cg/none").error().code, Errc::not_found);
  EXPECT_EQ(svc.disable("").error().code, Errc::invalid_argument);
  ASSERT_TRUE(svc.disable("/cg/a"));
  EXPECT_EQ(dp.cgs.size(), 1u);
  EXPECT_EQ(changes, 3);
  dp.fail = true;
  EXPECT_FALSE(svc.enable("/cg/a"));
  EXPECT_EQ(svc.list().size(), 1u);
}

TEST(SockmapService, RestartAdoptsAndDoesNotDoubleEnable) {
  TableCgroups fs;
  fs.dirs = {{"/cg/a", 11}};
  RecordingDataplane dp;
  dp.cgs[11] = "/cg/a";  // left by the previous run
  SockmapConfig cfg;
  cfg.cgroups = {"/cg/a"};
  SockmapService svc(dp, fs, cfg);
  ASSERT_TRUE(svc.start());
  EXPECT_EQ(svc.list().size(), 1u);
}

TEST(SockmapService, SidecarPods) {
  TableCgroups fs;
  RecordingDataplane dp;
  SockmapService svc(dp, fs, SockmapConfig{});
  ASSERT_TRUE(svc.add_sidecar_pod("10.244.1.7", "/run/netns/pod"));
  EXPECT_EQ(dp.pods["10.244.1.7/32"], 4096u);
  EXPECT_EQ(svc.sidecar_pods(), std::vector<std::string>{"10.244.1.7"});
  EXPECT_EQ(svc.add_sidecar_pod("10.244.1.0/24", "/run/netns/pod").error().code, Errc::invalid_argument);
  EXPECT_EQ(svc.add_sidecar_pod("nonsense", "/run/netns/pod").error().code, Errc::invalid_argument);
  EXPECT_EQ(svc.add_sidecar_pod("10.244.1.8", "relative").error().code, Errc::invalid_argument);
  EXPECT_EQ(svc.add_sidecar_pod("10.244.1.8", "/run/netns/none").error().code, Errc::not_found);
  EXPECT_EQ(svc.remove_sidecar_pod("10.244.1.8").error().code, Errc::not_found);
  ASSERT_TRUE(svc.remove_sidecar_pod("10.244.1.7"));
  EXPECT_TRUE(dp.pods.empty());
}

TEST(SockmapStats, OneNamePerSlot) {
  const auto& n = stat_names();
  EXPECT_EQ(n.size(), static_cast<size_t>(SM_STAT__MAX));
  EXPECT_STREQ(n[SM_STAT_MSG_REDIRECTED], "msg_redirected");
  EXPECT_STREQ(n[SM_STAT_MSG_FALLBACK_NO_PEER], "msg_fallback_no_peer");
}
