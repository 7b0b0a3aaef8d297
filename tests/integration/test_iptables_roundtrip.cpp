// Differential: the same iptables-restore input into the real iptables (legacy and nft) in a
// private network namespace and into netaccel's model; iptables-save's output and ours must be
// the same text, table by table, and so must `iptables -L` in every form (-n, -v, -x,
// --line-numbers, and with names looked up). Hand-written rulesets (kube-proxy, Docker, a host
// firewall) and randomly generated ones; whatever the kernel's iptables accepts, we accept.
#include <fcntl.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <random>
#include <sstream>

#include "harness.h"
#include "listing.h"
#include "netaccel/core/netns.h"
#include "restore.h"
#include "save.h"

using namespace netaccel::test;
using namespace netaccel::ipt;

namespace {

std::string read_file(const std::string& p) {
  std::ifstream f(p);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// iptables-save output without comments, split per table.
std::map<std::string, std::string> tables_of(const std::string& save_text) {
  std::map<std::string, std::string> out;
  std::istringstream in(save_text);
  std::string line, cur;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    if (line[0] == '*') cur = line.substr(1);
    out[cur] += line + "\n";
  }
  return out;
}

// -L's forms, as iptables' options and as ours.
struct ListForm {
  const char* args;
  ListOptions options;
};
const ListForm kListForms[] = {{"-n", {false, true, false, false}},
                               {"-n -v", {true, true, false, false}},
                               {"-n -v -x --line-numbers", {true, true, true, true}},
                               {"", {false, false, false, false}},
                               {"-v --line-numbers", {true, false, false, true}}};

// What fn prints when run inside network namespace ns: names are looked up there, as iptables
// in that namespace looks them up (no network: no DNS answer for either).
std::string in_namespace(const std::string& ns, const std::function<std::string()>& fn) {
  netaccel::UniqueFd fd(open(("/run/netns/" + ns).c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return "cannot open namespace " + ns;
  std::string out;
  auto st = netaccel::run_in_netns(fd.get(), [&] {
    out = fn();
    return netaccel::Status{};
  });
  return st ? out : "cannot enter " + ns + ": " + st.error().message;
}

class IptablesRoundTrip : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    NETACCEL_REQUIRE_ROOT();
    cleanup_stale_namespaces("nai");
    ns_ = unique_prefix("nai") + "-rt";
    sh_ok("ip netns add " + ns_);
    dir_ = "/tmp/netaccel-test-" + ns_;
    sh("mkdir -p " + dir_);
  }
  void TearDown() override {
    if (!ns_.empty()) sh("ip netns del " + ns_ + "; rm -rf " + dir_);
  }
  // Loads text into the kernel with iptables-<variant>-restore; returns its -save output or
  // nothing when the kernel's iptables rejects the input.
  std::optional<std::string> kernel_roundtrip(const std::string& text, const std::string& variant, Family f = Family::v4) {
    std::ofstream(dir_ + "/in.rules") << text;
    const std::string tool = f == Family::v4 ? "iptables-" : "ip6tables-";
    sh("ip netns exec " + ns_ + " " + tool + variant + " -t nat -F; ip netns exec " + ns_ + " " + tool + variant + " -F");
    auto r = sh("ip netns exec " + ns_ + " " + tool + variant + "-restore < " + dir_ + "/in.rules");
    last_kernel_error_ = r.out;
    if (r.status != 0) return std::nullopt;
    return sh("ip netns exec " + ns_ + " " + tool + variant + "-save").out;
  }
  void compare(const std::string& text, const std::string& variant, Family f = Family::v4) {
    auto kernel = kernel_roundtrip(text, variant, f);
    ASSERT_TRUE(kernel) << (f == Family::v4 ? "iptables-" : "ip6tables-") << variant << "-restore rejected the input:\n" << text;
    auto ours = restore(empty_ruleset(f), text, {});
    ASSERT_TRUE(ours) << ours.error().what() << "\n" << text;
    SaveOptions o;
    o.header = false;
    auto k = tables_of(*kernel), m = tables_of(save(*ours, o));
    for (const auto& [name, body] : m) EXPECT_EQ(body, k[name]) << "table " << name << " (" << variant << ")";
    compare_listings(*ours, variant);
  }
  // `iptables -t T -L <form>` of what the kernel holds against ours, every table and form.
  void compare_listings(const Ruleset& ours, const std::string& variant) {
    const std::string tool = ours.family == Family::v4 ? "iptables-" : "ip6tables-";
    for (TableId id : kTables) {
      if (!ours.table(id).present) continue;
      for (const auto& form : kListForms) {
        auto kernel = sh("ip netns exec " + ns_ + " " + tool + variant + " -t " + table_name(id) + " -L " + form.args);
        ASSERT_EQ(kernel.status, 0) << kernel.out;
        std::string mine = in_namespace(ns_, [&] { return list_table(ours.table(id), ours.family, "", form.options); });
        EXPECT_EQ(mine, kernel.out) << tool << variant << " -t " << table_name(id) << " -L " << form.args;
      }
    }
  }
  void random_rulesets(Family family);
  std::string ns_, dir_, last_kernel_error_;
};

TEST_P(IptablesRoundTrip, HandWrittenRulesets) {
  for (const char* f : {"kube_and_host.rules", "assorted.rules", "docker.rules", "kube_proxy_services.rules"})
    compare(read_file(std::string(NETACCEL_SOURCE_DIR) + "/tests/unit/iptables/" + f), GetParam());
}

TEST_P(IptablesRoundTrip, HandWrittenIp6Rulesets) {
  compare(read_file(std::string(NETACCEL_SOURCE_DIR) + "/tests/unit/iptables/ip6_host_and_kube.rules"), GetParam(), Family::v6);
}

// Counters of every size -L rounds differently (5 digits exact, then K, M, G, T; -x exact):
// the same ruleset with counters restored into both (iptables-restore -c), listed.
TEST_P(IptablesRoundTrip, ListingShowsCountersAsIptables) {
  const uint64_t sizes[] = {0, 7, 99999, 100000, 123456, 9999499, 9999500, 123456789, 12345678901ull, 5000000000000ull, 20000000000000000ull};
  std::mt19937 rng(20261129);
  auto counters = [&] { return "[" + std::to_string(sizes[rng() % 11]) + ":" + std::to_string(sizes[rng() % 11]) + "]"; };
  std::istringstream in(read_file(std::string(NETACCEL_SOURCE_DIR) + "/tests/unit/iptables/kube_and_host.rules"));
  std::string text;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("-A ", 0) == 0) line = counters() + " " + line;
    else if (line.size() > 6 && line.compare(line.size() - 6, 6, " [0:0]") == 0 && line.find(" - [") == std::string::npos)
      line = line.substr(0, line.size() - 5) + counters();  // a built-in chain's policy counters
    text += line + "\n";
  }
  std::ofstream(dir_ + "/in.rules") << text;
  auto r = sh("ip netns exec " + ns_ + " iptables-" + GetParam() + "-restore -c < " + dir_ + "/in.rules");
  ASSERT_EQ(r.status, 0) << r.out;
  auto ours = restore(empty_ruleset(Family::v4), text, {false, true});
  ASSERT_TRUE(ours) << ours.error().what();
  compare_listings(*ours, GetParam());
}

// Random rules from the supported vocabulary, in random order and combination.
std::string random_rule(std::mt19937& rng, bool nat, const std::string& chain, const std::vector<std::string>& chains,
                        Family family = Family::v4) {
  auto pick = [&](const std::vector<std::string>& v) { return v[rng() % v.size()]; };
  auto chance = [&](int pct) { return static_cast<int>(rng() % 100) < pct; };
  const bool v6 = family == Family::v6;
  auto ipaddr = [&] {
    if (v6) {  // written in assorted forms: zero runs, full words, upper case, an embedded IPv4
      char buf[96];
      switch (rng() % 4) {
        case 0: snprintf(buf, sizeof(buf), "2001:db8:%x::%x", static_cast<unsigned>(rng() % 0x10000), static_cast<unsigned>(rng() % 0x10000)); break;
        case 1: snprintf(buf, sizeof(buf), "fd%02x:%x:%x:%x:%x:%x:%x:%x", static_cast<unsigned>(rng() % 256), static_cast<unsigned>(rng() % 0x10000), 0u, 0u,
                         static_cast<unsigned>(rng() % 0x10000), 0u, static_cast<unsigned>(rng() % 0x10000), static_cast<unsigned>(rng() % 0x10000)); break;
        case 2: snprintf(buf, sizeof(buf), "FE80::%X", static_cast<unsigned>(rng() % 0x10000)); break;
        default: snprintf(buf, sizeof(buf), "::ffff:10.%u.%u.%u", static_cast<unsigned>(rng() % 256), static_cast<unsigned>(rng() % 256), static_cast<unsigned>(rng() % 256)); break;
      }
      return std::string(buf) + (chance(60) ? "/" + std::to_string(rng() % 128 + 1) : "");
    }
    return std::to_string(rng() % 224 + 1) + "." + std::to_string(rng() % 256) + "." + std::to_string(rng() % 256) + "." +
           std::to_string(rng() % 256) + (chance(60) ? "/" + std::to_string(rng() % 32 + 1) : "");  // no /0: nft refuses '! -d x/0'
  };
  auto port = [&] { return std::to_string(rng() % 65536); };
  std::string r;
  if (chance(40)) r += std::string(chance(20) ? " !" : "") + " -s " + ipaddr();
  if (chance(40)) r += std::string(chance(20) ? " !" : "") + " -d " + ipaddr();
  // Mostly valid rules (one bad rule refuses the whole file); -i/-o where the hook has them.
  bool no_in = chain == "OUTPUT" || chain == "POSTROUTING", no_out = chain == "INPUT" || chain == "PREROUTING";
  if (chance(20) && (!no_in || chance(3))) r += std::string(chance(20) ? " !" : "") + " -i " + pick({"eth0", "eth+", "veth1", "cni0"});
  if (chance(20) && (!no_out || chance(3))) r += std::string(chance(20) ? " !" : "") + " -o " + pick({"eth1", "docker0", "veth+"});
  const std::string icmp = v6 ? pick({"ipv6-icmp", "icmpv6", "58"}) : "icmp";
  std::string proto = chance(70) ? pick({"tcp", "udp", icmp, "sctp", "all"}) : "";
  if (!proto.empty()) r += " -p " + proto;
  bool ports = proto == "tcp" || proto == "udp" || proto == "sctp";
  int nmatches = static_cast<int>(rng() % 4);
  for (int i = 0; i < nmatches; ++i) {
    switch (rng() % 8) {
      case 0:
        if (ports) {
          std::string lo = port(), range = chance(30) ? lo + ":" + std::to_string(std::stoi(lo) + static_cast<int>(rng() % 100)) : lo;
          if (std::stoi(range.substr(range.find(':') + 1)) > 65535) range = lo;
          r += std::string(chance(20) ? " !" : "") + (chance(50) ? " --dport " : " --sport ") + range;
          if (proto == "tcp" && chance(30)) r += chance(50) ? " --syn" : " --tcp-flags SYN,ACK,FIN ACK";
          ports = false;  // once per implicit match
        }
        break;
      case 1:
        if (ports && proto != "sctp") r += " -m multiport" + std::string(chance(20) ? " !" : "") + pick({" --dports ", " --sports ", " --ports "}) + port() + "," + port();
        break;
      case 2: r += " -m conntrack" + std::string(chance(20) ? " !" : "") + " --ctstate " + pick({"NEW", "ESTABLISHED,RELATED", "INVALID", "RELATED,NEW,DNAT"}); break;
      case 3: r += " -m comment --comment " + pick({"x", "\"two words\"", "kube-system/kube-dns:dns", "\"q\\\"uote\""}); break;
      case 4: r += " -m mark" + std::string(chance(20) ? " !" : "") + " --mark " + pick({"0x4000/0x4000", "0x1", "0x10/0xff"}); break;
      case 5: r += chance(50) ? " -m statistic --mode random --probability 0." + std::to_string(rng() % 100000) : " -m statistic --mode nth --every 4 --packet " + std::to_string(rng() % 4); break;
      case 6: r += " -m addrtype" + std::string(chance(30) ? " !" : "") + pick({" --dst-type LOCAL", " --src-type LOCAL"}); break;
      case 7:
        if (proto == icmp)
          r += v6 ? std::string(chance(20) ? " !" : "") + " --icmpv6-type " + pick({"echo-request", "128", "1/4", "neighbour-solicitation", "packet-too-big", "time-exceeded"})
                  : " --icmp-type " + pick({"echo-request", "8", "3/3", "any", "time-exceeded"});
        proto = "";
        break;
    }
  }
  std::vector<std::string> targets = {"ACCEPT", nat ? "ACCEPT" : "DROP", "RETURN", "LOG --log-prefix \"p: \"", "MARK --set-xmark 0x4000/0x4000", ""};
  if (!nat && !v6) targets.push_back("REJECT --reject-with " + pick({std::string("icmp-port-unreachable"), std::string("icmp-host-prohibited")}));
  if (!nat && v6) targets.push_back("REJECT --reject-with " + pick({std::string("icmp6-port-unreachable"), std::string("adm-prohibited"), std::string("no-route")}));
  if (nat && v6 && chain == "PREROUTING" && proto == "tcp") targets.push_back("DNAT --to-destination " + pick({std::string("[2001:db8::9]:8080"), std::string("fd00::1-fd00::4"), std::string(":81")}));
  for (const auto& c : chains) targets.push_back(c);
  std::string t = pick(targets);
  if (!t.empty()) r += " -j " + t;
  return r;
}

void IptablesRoundTrip::random_rulesets(Family family) {
  std::mt19937 rng(family == Family::v4 ? 20261129 : 20261130);
  int compared = 0, refused = 0;
  for (int round = 0; round < 30; ++round) {
    bool nat = round % 3 == 2;
    std::string text = nat ? "*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n"
                           : "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n";
    // User chains U0..U3; rules may jump only to chains with a higher number (no loops).
    std::vector<std::string> names = {"U0", "U1", "U2", "U3"};
    for (const auto& n : names) text += ":" + n + " - [0:0]\n";
    std::vector<std::string> builtins = nat ? std::vector<std::string>{"PREROUTING", "OUTPUT"} : std::vector<std::string>{"INPUT", "FORWARD", "OUTPUT"};
    for (int i = 0; i < 40; ++i) {
      int c = static_cast<int>(rng() % (builtins.size() + names.size()));
      std::string chain = c < static_cast<int>(builtins.size()) ? builtins[c] : names[c - builtins.size()];
      std::vector<std::string> later;
      int from = c < static_cast<int>(builtins.size()) ? 0 : c - static_cast<int>(builtins.size()) + 1;
      for (size_t k = static_cast<size_t>(from); k < names.size(); ++k) later.push_back(names[k]);
      text += "-A " + chain + random_rule(rng, nat, chain, later, family) + "\n";
    }
    text += "COMMIT\n";
    auto kernel = kernel_roundtrip(text, GetParam(), family);
    if (!kernel) {  // a combination the kernel refuses: we must refuse it too
      EXPECT_FALSE(restore(empty_ruleset(family), text, {})) << "iptables refused (" << last_kernel_error_ << "), we accepted:\n" << text;
      ++refused;
      if (getenv("NETACCEL_SHOW_REFUSALS")) fprintf(stderr, "REFUSED: %s\n", last_kernel_error_.c_str());
      continue;
    }
    compare(text, GetParam(), family);
    ++compared;
  }
  // Both paths are exercised: most rulesets load, some are refused by both.
  EXPECT_GE(compared, 15) << refused << " refused";
  RecordProperty("compared", compared);
  RecordProperty("refused", refused);
}

// One rule as option groups (an option with its arguments and its '!'), in the order
// kube-proxy and most tools write them: matches and their options, protocol, addresses, target.
std::vector<std::vector<std::string>> option_groups(std::mt19937& rng) {
  auto pick = [&](const std::vector<std::string>& v) { return v[rng() % v.size()]; };
  auto chance = [&](int pct) { return static_cast<int>(rng() % 100) < pct; };
  auto negated = [&](std::vector<std::string> g, int pct) {
    if (chance(pct)) g.insert(g.begin(), "!");
    return g;
  };
  std::vector<std::vector<std::string>> g;
  if (chance(40)) g.push_back({"-m", "comment"}), g.push_back({"--comment", pick({"x", "ns/svc:p80 cluster IP"})});
  std::string proto = chance(85) ? pick({"tcp", "udp", "icmp", "sctp"}) : "";
  // The protocol's match, usually of the rule's protocol, sometimes of another (refused by the
  // kernel), sometimes twice (iptables keeps both).
  std::string match = proto.empty() || chance(10) ? pick({"tcp", "udp", "icmp"}) : proto;
  bool explicit_match = chance(60);
  if (explicit_match) {
    g.push_back({"-m", match});
    if (chance(8)) g.push_back({"-m", match});
  }
  if (!proto.empty()) g.push_back(negated({"-p", proto}, 5));
  if (chance(50)) g.push_back(negated({"-d", "172.30.0." + std::to_string(rng() % 250 + 1)}, 15));
  if (chance(30)) g.push_back(negated({"-s", "10.244.0.0/16"}, 40));
  if (chance(15)) g.push_back({"-i", "eth0"});
  if (chance(3)) g.push_back({"-s", "10.1.1.1"});  // a second -s: refused
  const std::string opts = explicit_match ? match : proto;
  if (opts == "tcp" || opts == "udp" || opts == "sctp") {
    if (chance(70)) g.push_back(negated({"--dport", std::to_string(rng() % 65536)}, 15));
    if (chance(25)) g.push_back({"--sport", std::to_string(rng() % 1024) + ":" + std::to_string(1024 + rng() % 1000)});
    if (opts == "tcp" && chance(20)) g.push_back(negated({"--syn"}, 30));
    if (chance(5)) g.push_back({"--dport", "81"});  // twice: refused
  } else if (opts == "icmp" && chance(70)) {
    g.push_back({"--icmp-type", pick({"echo-request", "8", "3/3"})});
  }
  if (chance(15) && (proto == "tcp" || proto == "udp")) g.push_back({"-m", "multiport"}), g.push_back({"--dports", "80,443"});
  if (chance(20)) g.push_back({"-m", "conntrack"}), g.push_back(negated({"--ctstate", "NEW"}, 20));
  if (chance(15)) g.push_back({"-m", "mark"}), g.push_back({"--mark", "0x4000/0x4000"});
  switch (rng() % 4) {
    case 0: g.push_back({"-j", "ACCEPT"}); break;
    case 1: g.push_back({"-j", "REJECT"}), g.push_back({"--reject-with", "icmp-port-unreachable"}); break;
    case 2: g.push_back({"-j", "MARK"}), g.push_back({"--set-xmark", "0x4000/0x4000"}); break;
    default: g.push_back({"-j", "DROP"}); break;
  }
  return g;
}

// iptables parses a whole rule before the kernel checks it: a match may come before its
// protocol ("-m tcp -p tcp", as kube-proxy writes), -p after a loaded match's --dport, a match
// twice, while --dport before anything that knows it, a target's option before -j, a second
// -s and a protocol match without its protocol are refused. Random rules, their option groups
// as written, nudged (a few neighbours swapped) or shuffled, one rule per restore into iptables
// and into ours: the same accept or refuse, and the same saved text.
// iptables-nft checks less (it accepts "-m tcp ! -p tcp"): legacy, with the kernel's x_tables
// checks, is the reference here, as for netaccel's semantics.
class IptablesOptionOrder : public IptablesRoundTrip {};

TEST_P(IptablesOptionOrder, SameAcceptRefuseAndSave) {
  std::mt19937 rng(20261205);
  int accepted = 0, refused = 0;
  for (int i = 0; i < 250; ++i) {
    auto groups = option_groups(rng);
    if (int how = static_cast<int>(rng() % 3); how == 1) {
      for (int k = 0, n = static_cast<int>(rng() % 3) + 1; k < n && groups.size() > 1; ++k) {
        size_t at = rng() % (groups.size() - 1);
        std::swap(groups[at], groups[at + 1]);
      }
    } else if (how == 2) {
      std::shuffle(groups.begin(), groups.end(), rng);
    }
    std::string rule;
    for (const auto& g : groups)
      for (const auto& w : g) rule += " " + (w.find(' ') != std::string::npos ? "\"" + w + "\"" : w);
    const std::string text = "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A FORWARD" + rule + "\nCOMMIT\n";
    auto kernel = kernel_roundtrip(text, GetParam());
    auto ours = restore(empty_ruleset(Family::v4), text, {});
    ASSERT_EQ(kernel.has_value(), static_cast<bool>(ours))
        << "rule:" << rule << "\niptables: " << (kernel ? "accepted" : last_kernel_error_)
        << "\nours: " << (ours ? "accepted" : ours.error().what());
    if (!kernel) {
      ++refused;
      continue;
    }
    ++accepted;
    SaveOptions o;
    o.header = false;
    EXPECT_EQ(tables_of(save(*ours, o))["filter"], tables_of(*kernel)["filter"]) << "rule:" << rule;
  }
  // Both outcomes are exercised in numbers.
  EXPECT_GE(accepted, 60);
  EXPECT_GE(refused, 40);
  RecordProperty("accepted", accepted);
  RecordProperty("refused", refused);
}

TEST_P(IptablesRoundTrip, RandomRulesets) { random_rulesets(Family::v4); }
TEST_P(IptablesRoundTrip, RandomIp6Rulesets) { random_rulesets(Family::v6); }

INSTANTIATE_TEST_SUITE_P(Legacy, IptablesOptionOrder, ::testing::Values("legacy"), [](const auto& info) { return info.param; });
INSTANTIATE_TEST_SUITE_P(Variants, IptablesRoundTrip, ::testing::Values("legacy", "nft"),
                         [](const auto& info) { return info.param; });

}  // namespace
