// netaccel-iptables as a service: the daemon on a private dbus-daemon with the shipped policy,
// in the router namespace of the differential topology, driven by netaccel-iptables-restore,
// -save and netaccel-iptables. Output compared with the kernel's iptables for the same input;
// counters from real traffic; a bad restore changes nothing; unprivileged callers read only;
// a restart keeps the ruleset and a running connection; purge leaves nothing.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "kube_proxy_rules.h"
#include "service_fixture.h"

using namespace netaccel::test;

namespace {

const std::string kDir = std::string(NETACCEL_SOURCE_DIR) + "/tests/integration/iptables";

std::string strip_comments(const std::string& s) {
  std::istringstream in(s);
  std::string line, out;
  while (std::getline(in, line))
    if (!line.empty() && line[0] != '#') out += line + "\n";
  return out;
}

// Same tables, same text (tables in iptables-nft's order, filter first; compare per table).
std::map<std::string, std::string> split(const std::string& s) {
  std::map<std::string, std::string> t;
  std::istringstream in(strip_comments(s));
  std::string line, cur;
  while (std::getline(in, line)) {
    if (line[0] == '*') cur = line;
    t[cur] += line + "\n";
  }
  return t;
}

class IptablesService : public ::testing::Test {
 protected:
  void SetUp() override {
    NETACCEL_REQUIRE_ROOT();
    cleanup_stale_namespaces("nai");
    p_ = unique_prefix("nai");
    dir_ = "/tmp/netaccel-test-" + p_;
    pin_root_ = "/sys/fs/bpf/netaccel-test-" + p_;
    sh("rm -rf " + dir_ + " && mkdir -p " + dir_);
    sh_ok(kDir + "/topology.sh up " + p_);
    std::ofstream(dir_ + "/iptables.conf") << "[iptables]\ninterfaces = rc0, rs0\nstate_file = " << dir_ << "/state.rules\nstate_file6 = "
                                           << dir_ << "/state6.rules\npin_root = " << pin_root_ << "\n";
    svc_ = std::make_unique<ServiceUnderTest>("iptables", "org.openeuler.NetAccel1.Iptables", dir_);
    svc_->set_binary(binary_dir() + "/services/iptables/netaccel-iptablesd");
    ASSERT_TRUE(svc_->bus_ok());
    ASSERT_TRUE(svc_->start(dir_ + "/iptables.conf", "/run/netns/" + p_ + "-r", 90000));
  }
  void TearDown() override {
    if (p_.empty()) return;
    svc_.reset();
    sh(binary_dir() + "/services/iptables/netaccel-iptablesd --purge -c /dev/null --pin-root " + pin_root_);
    sh("rmdir " + pin_root_ + " 2>/dev/null; " + kDir + "/topology.sh down " + p_ + "; rm -rf " + dir_);
  }
  CmdResult tool(const std::string& cmd, const std::string& user = "") {
    std::string pre = user.empty() ? "" : "runuser -u " + user + " -- ";
    return sh(pre + "env DBUS_SYSTEM_BUS_ADDRESS=" + svc_->bus_address() + " " + binary_dir() + "/services/iptables/" + cmd);
  }
  // iptables-legacy-save's (ip6tables-legacy-save's) output for the same input, in a scratch namespace.
  // What the kernel's iptables-legacy prints for `<tool>-legacy<command>` with rules_file loaded.
  std::string kernel_output(const std::string& rules_file, const std::string& tool, const std::string& command) {
    std::string ns = p_ + "-k";
    sh("ip netns add " + ns);
    sh("ip netns exec " + ns + " " + tool + "-legacy-restore < " + rules_file);
    std::string out = sh("ip netns exec " + ns + " " + tool + "-legacy" + command).out;
    sh("ip netns del " + ns);
    return out;
  }
  std::string kernel_save(const std::string& rules_file, const std::string& tool = "iptables") {
    return kernel_output(rules_file, tool, "-save");
  }
  // What the listener at addr:port answers a TCP connection from the client ("<peer>-<local>\n",
  // as it saw them), or the flow's fate ("timeout\n", "refused\n", ...). A timeout is tried
  // once more with a longer bound: on a loaded machine an answer comes late, a drop never.
  std::string answer(const std::string& addr, int port) {
    const std::string probe = "ip netns exec " + p_ + "-c python3 " + kDir + "/flowprobe.py -t ";
    const std::string flow = " c tcp:" + addr + ":" + std::to_string(port);
    auto fate = [](const std::string& line) {
      std::string l = line.substr(0, line.find('\n'));
      return l.substr(l.rfind(' ') + 1);
    };
    std::string f = fate(sh(probe + "2" + flow).out);
    if (f == "timeout") f = fate(sh(probe + "8" + flow).out);
    return f + "\n";
  }
  static bool answered(const std::string& a) { return a.find('-') != std::string::npos; }
  std::string p_, dir_, pin_root_;
  std::unique_ptr<ServiceUnderTest> svc_;
};

TEST_F(IptablesService, RestoreThenSaveMatchesIptablesAndCountsTraffic) {
  const std::string rules = kDir + "/kube_proxy.rules";
  auto r = tool("netaccel-iptables-restore " + rules);
  ASSERT_EQ(r.status, 0) << r.out << svc_->log();
  auto ours = tool("netaccel-iptables-save");
  ASSERT_EQ(ours.status, 0) << ours.out;
  EXPECT_EQ(split(ours.out), split(kernel_save(rules)));
  // Traffic to the service address: DNAT'ed, masqueraded, counted on the rules that saw it.
  EXPECT_EQ(answer("10.61.9.9", 80), "10.61.2.1-10.61.2.3\n");
  auto counted = tool("netaccel-iptables-save -c -t nat");
  EXPECT_NE(counted.out.find("[1:60] -A KUBE-SERVICES -d 10.61.9.9/32 -p tcp"), std::string::npos) << counted.out;
  // -L as iptables prints it; with -v the DNAT rule's counters.
  EXPECT_EQ(tool("netaccel-iptables -t nat -L -n").out, kernel_output(rules, "iptables", " -t nat -L -n"));
  auto listed = tool("netaccel-iptables -t nat -L KUBE-SEP-A1 -v -n --line-numbers");
  EXPECT_NE(listed.out.find("Chain KUBE-SEP-A1 (1 references)\n"), std::string::npos) << listed.out;
  EXPECT_NE(listed.out.find("\n2        1    60 DNAT       6    --  *      *       0.0.0.0/0            0.0.0.0/0            /* default/web:http */ tcp "
                             "to:10.61.2.3:8080\n"),
            std::string::npos)
      << listed.out;
  auto props = svc_->busctl("get-property org.openeuler.NetAccel1.Iptables /org/openeuler/NetAccel1/Iptables org.openeuler.NetAccel1.Iptables RuleCount");
  EXPECT_EQ(props.out, "u " + sh("grep -c '^-A' " + rules).out);
}

TEST_F(IptablesService, BadRestoreNamesTheLineAndChangesNothing) {
  ASSERT_EQ(tool("netaccel-iptables-restore " + kDir + "/forward_nat.rules").status, 0);
  std::string before = strip_comments(tool("netaccel-iptables-save").out);
  std::ofstream(dir_ + "/bad.rules") << "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p tcp --dport 22 -j ACCEPT\n-A INPUT --frobnicate -j DROP\nCOMMIT\n";
  auto r = tool("netaccel-iptables-restore " + dir_ + "/bad.rules");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.out.find("line 4: unknown option --frobnicate"), std::string::npos) << r.out;
  EXPECT_EQ(strip_comments(tool("netaccel-iptables-save").out), before);
  // --test reports the same without applying; a good file under --test changes nothing either.
  r = tool("netaccel-iptables-restore --test " + dir_ + "/bad.rules");
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(tool("netaccel-iptables-restore --test " + kDir + "/host_firewall.rules").status, 0);
  EXPECT_EQ(strip_comments(tool("netaccel-iptables-save").out), before);
  // The data path kept working: the DNAT'ed service still answers.
  EXPECT_EQ(answer("10.61.9.9", 80), "10.61.2.1-10.61.2.3\n");
}

TEST_F(IptablesService, SingleCommandsPrintLikeIptables) {
  const std::vector<std::string> cmds = {
      "-N WEB", "-A WEB -s 10.61.1.0/24 -p tcp --dport 80 -j ACCEPT", "-A WEB -j DROP", "-A FORWARD -o rs0 -j WEB",
      "-I FORWARD 1 -p icmp -j ACCEPT", "-I FORWARD 2 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT", "-R FORWARD 1 -p icmp -m comment --comment ping -j ACCEPT", "-P FORWARD DROP",
      "-A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT", "-D INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT"};
  std::string ns = p_ + "-k";
  sh("ip netns add " + ns);
  for (const auto& c : cmds) {
    auto k = sh("ip netns exec " + ns + " iptables-legacy " + c);
    ASSERT_EQ(k.status, 0) << c << ": " << k.out;
    auto o = tool("netaccel-iptables " + c);
    ASSERT_EQ(o.status, 0) << c << ": " << o.out;
  }
  EXPECT_EQ(tool("netaccel-iptables -S").out, sh("ip netns exec " + ns + " iptables-legacy -S").out);
  EXPECT_EQ(tool("netaccel-iptables -S FORWARD").out, sh("ip netns exec " + ns + " iptables-legacy -S FORWARD").out);
  // Errors as iptables words them, and nothing changes.
  auto bad = tool("netaccel-iptables -D FORWARD 9");
  EXPECT_NE(bad.status, 0);
  EXPECT_NE(bad.out.find("rule 9 does not exist"), std::string::npos) << bad.out;
  bad = tool("netaccel-iptables -X WEB");
  EXPECT_NE(bad.out.find("chain WEB is not empty"), std::string::npos) << bad.out;
  EXPECT_EQ(tool("netaccel-iptables -S").out, sh("ip netns exec " + ns + " iptables-legacy -S").out);
  sh("ip netns del " + ns);
  // The data path follows: rs0-bound TCP to port 80 from the client subnet passes WEB.
  EXPECT_EQ(answer("10.61.2.2", 80), "10.61.1.2-10.61.2.2\n");
  EXPECT_NE(sh("ip netns exec " + p_ + "-c socat -T3 - TCP:10.61.2.2:22,connect-timeout=1 </dev/null").status, 0);
}

// Large rulesets take single inserts in place (no recompile); they must print, behave and
// survive a restart (the journal) exactly like a full restore would.
TEST_F(IptablesService, InPlaceInsertsIntoALargeRuleset) {
  std::string text = "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n";
  for (int i = 0; i < 3000; ++i)
    text += "-A FORWARD -s 10.99." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1) + "/32 -p udp -m udp --dport " +
            std::to_string(1000 + i) + " -j ACCEPT\n";
  text += "COMMIT\n";
  std::ofstream(dir_ + "/big.rules") << text;
  ASSERT_EQ(tool("netaccel-iptables-restore " + dir_ + "/big.rules").status, 0);
  std::string ns = p_ + "-k";
  sh("ip netns add " + ns);
  sh_ok("ip netns exec " + ns + " iptables-legacy-restore < " + dir_ + "/big.rules");
  const std::vector<std::string> cmds = {"-I FORWARD 1 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
                                         "-I FORWARD 2 -s 10.61.1.0/24 -p tcp -m tcp --dport 80 -j ACCEPT",
                                         "-A FORWARD -p icmp -j ACCEPT", "-I FORWARD 1500 -s 10.98.0.1/32 -j DROP",
                                         "-D FORWARD 1500", "-D FORWARD -s 10.99.0.1/32 -p udp -m udp --dport 1000 -j ACCEPT",
                                         "-I FORWARD 3 -s 10.98.0.2/32 -j DROP", "-D FORWARD 4"};
  for (const auto& c : cmds) {
    ASSERT_EQ(sh("ip netns exec " + ns + " iptables-legacy " + c).status, 0) << c;
    ASSERT_EQ(tool("netaccel-iptables " + c).status, 0) << c;
  }
  const std::string want = sh("ip netns exec " + ns + " iptables-legacy -S FORWARD").out;
  EXPECT_EQ(tool("netaccel-iptables -S FORWARD").out, want);
  auto t = svc_->busctl("get-property org.openeuler.NetAccel1.Iptables /org/openeuler/NetAccel1/Iptables org.openeuler.NetAccel1.Iptables LastChangeMicros");
  RecordProperty("last_insert", t.out);
  // The inserted rules work: port 80 from the client passes, 22 does not; ping passes.
  EXPECT_EQ(answer("10.61.2.2", 80), "10.61.1.2-10.61.2.2\n");
  EXPECT_NE(sh("ip netns exec " + p_ + "-c socat -T3 - TCP:10.61.2.2:22,connect-timeout=1 </dev/null").status, 0);
  EXPECT_EQ(sh("ip netns exec " + p_ + "-c ping -c1 -W2 10.61.2.2").status, 0);
  // A crash and restart replays the journal of in-place inserts.
  svc_->kill_hard();
  ASSERT_TRUE(svc_->start(dir_ + "/iptables.conf", "/run/netns/" + p_ + "-r", 90000));
  EXPECT_EQ(tool("netaccel-iptables -S FORWARD").out, want);
  sh("ip netns del " + ns);
}

TEST_F(IptablesService, KubeProxyServicesAreAddedInPlace) {
  const Endpoint server{"10.61.2.2", 8080};
  std::ofstream(dir_ + "/kube.rules") << kube_proxy_ruleset(300, server);
  ASSERT_EQ(tool("netaccel-iptables-restore " + dir_ + "/kube.rules").status, 0);
  std::string ns = p_ + "-k";
  sh("ip netns add " + ns);
  sh_ok("ip netns exec " + ns + " iptables-legacy-restore < " + dir_ + "/kube.rules");
  // kube-proxy's update for a new service, three times: new chains filled, then made reachable.
  for (int i = 300; i < 303; ++i) {
    const std::string add = dir_ + "/add" + std::to_string(i) + ".rules";
    std::ofstream(add) << kube_proxy_add_service(i, server);
    sh_ok("ip netns exec " + ns + " iptables-legacy-restore --noflush < " + add);
    auto r = tool("netaccel-iptables-restore --noflush " + add);
    ASSERT_EQ(r.status, 0) << r.out << svc_->log();
  }
  // In place: journaled, not recompiled into a new state file.
  EXPECT_EQ(sh("test -s " + dir_ + "/state.rules.journal").status, 0);
  const std::string want = sh("ip netns exec " + ns + " iptables-legacy -t nat -S").out;
  EXPECT_EQ(tool("netaccel-iptables -t nat -S").out, want);
  // The new services answer through DNAT and MASQUERADE; the old last one still does.
  for (int i : {299, 300, 302})
    EXPECT_EQ(answer(service_ip(i), 80),
              "10.61.2.1-10.61.2.2\n")
        << service_ip(i);
  // A crash and restart replays the journal.
  svc_->kill_hard();
  ASSERT_TRUE(svc_->start(dir_ + "/iptables.conf", "/run/netns/" + p_ + "-r", 90000));
  EXPECT_EQ(tool("netaccel-iptables -t nat -S").out, want);
  EXPECT_EQ(answer(service_ip(301), 80),
            "10.61.2.1-10.61.2.2\n");
  // The next services as kube-proxy itself writes them: its top-level chains re-declared
  // (flushed) and rewritten in full, in a new order each time (applied in place: the rules
  // keep their data-path places). The same ruleset as iptables makes of it, every service
  // answers, and the flushed chains' counters start again as iptables' do while the others keep
  // counting.
  auto portal_counted = [&] {
    std::istringstream in(tool("netaccel-iptables-save -c -t nat").out);
    int counted = 0;
    for (std::string line; std::getline(in, line);)
      if (line.find("-A KUBE-SERVICES") != std::string::npos && line.rfind("[0:0]", 0) != 0) ++counted;
    return counted;
  };
  EXPECT_GT(portal_counted(), 0) << "the connections above were counted";
  for (int n : {304, 305}) {
    const std::string sync = dir_ + "/sync.rules";
    std::ofstream(sync) << kube_proxy_sync(n, server, static_cast<unsigned>(n));
    sh_ok("ip netns exec " + ns + " iptables-legacy-restore --noflush < " + sync);
    auto r = tool("netaccel-iptables-restore --noflush " + sync);
    ASSERT_EQ(r.status, 0) << r.out << svc_->log();
    EXPECT_EQ(tool("netaccel-iptables -t nat -S").out, sh("ip netns exec " + ns + " iptables-legacy -t nat -S").out);
    EXPECT_EQ(portal_counted(), 0) << "KUBE-SERVICES was flushed and written again";
  }
  EXPECT_EQ(tool("netaccel-iptables-save -c -t nat").out.find("[0:0] -A PREROUTING"), std::string::npos)
      << "PREROUTING was not re-declared: it keeps its counts";
  for (int i : {0, 299, 303, 304})
    EXPECT_EQ(answer(service_ip(i), 80),
              "10.61.2.1-10.61.2.2\n")
        << service_ip(i);
  // A rule removed by number from the reordered chain: iptables' numbering.
  sh_ok("ip netns exec " + ns + " iptables-legacy -t nat -D KUBE-SERVICES 3");
  ASSERT_EQ(tool("netaccel-iptables -t nat -D KUBE-SERVICES 3").status, 0);
  EXPECT_EQ(tool("netaccel-iptables -t nat -S").out, sh("ip netns exec " + ns + " iptables-legacy -t nat -S").out);
  sh("ip netns del " + ns);
}

// A UDP conversation idle longer than the UDP timeout is forgotten, as by the kernel's
// conntrack: a datagram from the server before the timeout is a reply (ESTABLISHED, let in),
// one after it starts a new connection from the server's side (dropped). The kernel twin runs
// the same ruleset with the same timeouts (nf_conntrack_udp_timeout*).
TEST_F(IptablesService, IdleConnectionsExpireLikeTheKernels) {
  const std::string rules = dir_ + "/udp.rules";
  std::ofstream(rules) << "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n"
                          "-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n"
                          "-A FORWARD -s 10.61.1.2/32 -p udp -j ACCEPT\nCOMMIT\n";
  ASSERT_EQ(svc_->stop(), 0);
  std::ofstream(dir_ + "/iptables.conf", std::ios::app) << "udp_timeout = 2\nudp_timeout_stream = 2\nconntrack_sweep_interval = 1\n";
  ASSERT_TRUE(svc_->start(dir_ + "/iptables.conf", "/run/netns/" + p_ + "-r", 90000));
  ASSERT_EQ(tool("netaccel-iptables-restore " + rules).status, 0);
  const std::string k = p_ + "k";
  struct Twin {  // the kernel twin goes even when an assertion ends the test early
    std::string down;
    ~Twin() { sh(down); }
  } twin{kDir + "/topology.sh down " + k};
  sh_ok(kDir + "/topology.sh up " + k);
  sh_ok("ip netns exec " + k + "-r iptables-legacy-restore < " + rules);
  sh_ok("ip netns exec " + k + "-r sysctl -qw net.netfilter.nf_conntrack_udp_timeout=2 net.netfilter.nf_conntrack_udp_timeout_stream=2");
  // The server answers "early" when the client's "open" reaches it (so the answer follows the
  // connection's first datagram on any machine), then stays silent for 5 s (beyond the 2 s
  // timeout and a sweep) and sends "late". The client prints what reaches it within 9 s.
  // Both twins' conversations at once (each in its own namespaces).
  const std::string conv = kDir + "/udp_conversation.py";
  Process server_k, server_n, listener_k, listener_n;
  auto serve = [&](Process& server, const std::string& p) {
    server.start({"/usr/bin/python3", conv, "serve", "10.61.2.2", "5999", "5", "early", "late"}, {}, "/run/netns/" + p + "-s",
                 dir_ + "/" + p + ".srv");
  };
  auto listen = [&](Process& listener, const std::string& p) {
    listener.start({"/usr/bin/python3", conv, "listen", "10.61.1.2", "6000", "10.61.2.2", "5999", "9"}, {}, "/run/netns/" + p + "-c",
                   dir_ + "/" + p + ".recv");
  };
  serve(server_k, k);
  serve(server_n, p_);
  ASSERT_TRUE(wait_until([&] { return sh("grep -q ready " + dir_ + "/" + k + ".srv && grep -q ready " + dir_ + "/" + p_ + ".srv").status == 0; },
                         20000))
      << "servers not up";
  listen(listener_k, k);
  listen(listener_n, p_);
  wait_until([&] { return !listener_k.running() && !listener_n.running(); }, 30000);
  const std::string kernel = sh("cat " + dir_ + "/" + k + ".recv").out, ours = sh("cat " + dir_ + "/" + p_ + ".recv").out;
  EXPECT_EQ(kernel, "early\n") << "the kernel's own behaviour changed?";
  EXPECT_EQ(ours, kernel);
}

TEST_F(IptablesService, UnprivilegedCallersReadButCannotChange) {
  ASSERT_EQ(tool("netaccel-iptables-restore " + kDir + "/forward_nat.rules").status, 0);
  EXPECT_EQ(tool("netaccel-iptables-save", "nobody").status, 0);
  EXPECT_EQ(tool("netaccel-iptables -L -n", "nobody").status, 0);
  EXPECT_EQ(tool("netaccel-iptables-restore --test " + kDir + "/host_firewall.rules", "nobody").status, 0);
  auto denied = tool("netaccel-iptables -A INPUT -j DROP", "nobody");
  EXPECT_NE(denied.status, 0);
  EXPECT_NE(denied.out.find("denied"), std::string::npos) << denied.out;
  denied = tool("netaccel-iptables-restore " + kDir + "/host_firewall.rules", "nobody");
  EXPECT_NE(denied.status, 0);
  EXPECT_EQ(strip_comments(tool("netaccel-iptables-save").out).find("LOGDROP"), std::string::npos);
}

TEST_F(IptablesService, RestartKeepsRulesetCountersAndConnections) {
  std::ofstream(dir_ + "/long.rules") << "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n"
                                         "-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n"
                                         "-A FORWARD -p tcp -m tcp --dport 7777 -j ACCEPT\nCOMMIT\n"
                                         "*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n"
                                         "-A PREROUTING -d 10.61.9.9/32 -p tcp -m tcp --dport 7777 -j DNAT --to-destination 10.61.2.3\n"
                                         "-A POSTROUTING -o rs0 -j MASQUERADE\nCOMMIT\n";
  ASSERT_EQ(tool("netaccel-iptables-restore " + dir_ + "/long.rules").status, 0);
  // A long connection through the DNAT and MASQUERADE (an echo), kept open across the restart.
  Process conv;
  conv.start({"/bin/sh", "-c", "(for i in $(seq 1 40); do echo ping$i; sleep 0.25; done) | socat -t 3 - TCP:10.61.9.9:7777"}, {},
             "/run/netns/" + p_ + "-c", dir_ + "/conv.log");
  sleep(2);
  ASSERT_EQ(svc_->stop(), 0);
  ASSERT_TRUE(svc_->start(dir_ + "/iptables.conf", "/run/netns/" + p_ + "-r", 90000));
  EXPECT_NE(strip_comments(tool("netaccel-iptables-save -t nat").out).find("DNAT --to-destination 10.61.2.3"), std::string::npos);
  EXPECT_TRUE(wait_until([&] { return !conv.running(); }, 20000));
  std::ifstream f(dir_ + "/conv.log");
  std::stringstream ss;
  ss << f.rdbuf();
  std::string expect;
  for (int i = 1; i <= 40; ++i) expect += "ping" + std::to_string(i) + "\n";
  EXPECT_EQ(ss.str(), expect) << "every line echoed through the restart";
  auto counted = tool("netaccel-iptables-save -c -t nat");
  EXPECT_NE(counted.out.find("[1:60] -A PREROUTING -d 10.61.9.9/32 -p tcp -m tcp --dport 7777"), std::string::npos) << counted.out;
}

// The ip6tables ruleset: its own tools and bus object, printed as ip6tables-legacy-save prints
// the same input, enforced on IPv6 traffic through the router, independent of the IPv4 ruleset,
// kept across a restart; a bad change is refused with the rule named, changing nothing.
TEST_F(IptablesService, Ip6tablesRulesetOnIpv6Traffic) {
  const std::string rules = kDir + "/ip6_forward.rules";
  ASSERT_EQ(tool("netaccel-iptables-restore " + kDir + "/forward_nat.rules").status, 0);
  const std::string v4_before = strip_comments(tool("netaccel-iptables-save").out);
  auto r = tool("netaccel-ip6tables-restore " + rules);
  ASSERT_EQ(r.status, 0) << r.out << svc_->log();
  auto ours = tool("netaccel-ip6tables-save");
  ASSERT_EQ(ours.status, 0) << ours.out;
  EXPECT_NE(ours.out.find("# Generated by netaccel-ip6tables-save"), std::string::npos) << ours.out;
  EXPECT_EQ(split(ours.out), split(kernel_save(rules, "ip6tables")));
  EXPECT_EQ(tool("netaccel-ip6tables -L -n --line-numbers").out, kernel_output(rules, "ip6tables", " -L -n --line-numbers"));
  EXPECT_EQ(strip_comments(tool("netaccel-iptables-save").out), v4_before) << "the IPv4 ruleset is a separate one";
  // IPv6 traffic obeys it (and IPv4 still obeys its own).
  const std::string c = "ip netns exec " + p_ + "-c ";
  EXPECT_EQ(answer("fd61:2::2", 80),
            "[fd61:0001:0000:0000:0000:0000:0000:0002]-[fd61:0002:0000:0000:0000:0000:0000:0002]\n");
  EXPECT_NE(sh(c + "socat -T3 - 'TCP:[fd61:2::2]:8080,connect-timeout=1' </dev/null").status, 0) << "WEB returns, FORWARD drops";
  EXPECT_EQ(sh(c + "ping -c1 -W2 fd61:2::3").status, 0);
  EXPECT_NE(sh(c + "ping -c1 -W1 fd61:2::2").status, 0);
  EXPECT_EQ(answer("10.61.9.9", 80), "10.61.2.1-10.61.2.3\n");
  auto counted = tool("netaccel-ip6tables-save -c");
  EXPECT_NE(counted.out.find("] -A WEB -d fd61:2::2/128 -p tcp -m tcp --dport 80 -j ACCEPT"), std::string::npos) << counted.out;
  EXPECT_EQ(counted.out.find("[0:0] -A WEB -d fd61:2::2/128"), std::string::npos) << counted.out;
  // Single commands, printed as ip6tables prints them.
  std::string ns = p_ + "-k";
  sh("ip netns add " + ns + " && ip netns exec " + ns + " ip6tables-legacy-restore < " + rules);
  for (const std::string cmd : {"-I FROM-CLIENTS 2 -s fd61:1::2 -p ipv6-icmp --icmpv6-type echo-request -j ACCEPT",
                                "-A WEB ! -s fd61:1::/120 -j DROP", "-D FORWARD -m conntrack --ctstate INVALID -j DROP"}) {
    ASSERT_EQ(sh("ip netns exec " + ns + " ip6tables-legacy " + cmd).status, 0) << cmd;
    auto o = tool("netaccel-ip6tables " + cmd);
    ASSERT_EQ(o.status, 0) << cmd << ": " << o.out;
  }
  EXPECT_EQ(tool("netaccel-ip6tables -S").out, sh("ip netns exec " + ns + " ip6tables-legacy -S").out);
  sh("ip netns del " + ns);
  EXPECT_EQ(sh(c + "ping -c1 -W2 fd61:2::2").status, 0) << "the inserted rule lets the client's echo through";
  auto props = svc_->busctl("get-property org.openeuler.NetAccel1.Iptables /org/openeuler/NetAccel1/Iptables6 org.openeuler.NetAccel1.Iptables RuleCount");
  EXPECT_EQ(props.out, "u 14\n");
  // A bad addition (a NAT target outside the nat table) is refused, rule named, nothing changed.
  const std::string before = strip_comments(tool("netaccel-ip6tables-save").out);
  r = tool("netaccel-ip6tables -A FORWARD -p tcp -j DNAT --to-destination [fd61:2::3]:80");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.out.find("-j DNAT: only in the nat table"), std::string::npos) << r.out;
  EXPECT_EQ(strip_comments(tool("netaccel-ip6tables-save").out), before);
  // IPv4 addresses are not IPv6 ones; unprivileged callers read only.
  r = tool("netaccel-ip6tables -A FORWARD -s 10.61.1.2 -j ACCEPT");
  EXPECT_NE(r.out.find("'10.61.1.2' is not an IPv6 address"), std::string::npos) << r.out;
  EXPECT_EQ(tool("netaccel-ip6tables -S", "nobody").status, 0);
  EXPECT_NE(tool("netaccel-ip6tables -A FORWARD -j DROP", "nobody").status, 0);
  EXPECT_EQ(strip_comments(tool("netaccel-ip6tables-save").out), before);
  // A restart keeps both rulesets.
  ASSERT_EQ(svc_->stop(), 0);
  ASSERT_TRUE(svc_->start(dir_ + "/iptables.conf", "/run/netns/" + p_ + "-r", 90000));
  EXPECT_EQ(strip_comments(tool("netaccel-ip6tables-save").out), before);
  EXPECT_EQ(strip_comments(tool("netaccel-iptables-save").out), v4_before);
  EXPECT_NE(sh(c + "socat -T3 - 'TCP:[fd61:2::2]:8080,connect-timeout=1' </dev/null").status, 0);
  EXPECT_TRUE(answered(answer("fd61:2::2", 80)));
  // IPv6 NAT added with --noflush: a service address DNAT'ed to the server, masqueraded.
  std::ofstream(dir_ + "/nat6.rules") << "*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n"
                                         "-A PREROUTING -d fd61:9::9/128 -p tcp -m tcp --dport 80 -j DNAT --to-destination [fd61:2::3]:80\n"
                                         "-A POSTROUTING -o rs0 -j MASQUERADE\nCOMMIT\n";
  r = tool("netaccel-ip6tables-restore --noflush " + dir_ + "/nat6.rules");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(answer("fd61:9::9", 80),
            "[fd61:0002:0000:0000:0000:0000:0000:0001]-[fd61:0002:0000:0000:0000:0000:0000:0003]\n");
  // ipv6 = no: the IPv6 data path an earlier run pinned goes away with it; IPv4 stays.
  ASSERT_EQ(svc_->stop(), 0);
  sh("echo 'ipv6 = no' >> " + dir_ + "/iptables.conf");
  ASSERT_TRUE(svc_->start(dir_ + "/iptables.conf", "/run/netns/" + p_ + "-r", 90000));
  EXPECT_NE(sh("ls " + pin_root_ + "/ip6tables").status, 0) << "IPv6 pins removed";
  EXPECT_TRUE(answered(answer("fd61:2::2", 8080))) << "IPv6 no longer filtered";
  EXPECT_NE(tool("netaccel-ip6tables-save").status, 0) << "no IPv6 object on the bus";
  EXPECT_EQ(strip_comments(tool("netaccel-iptables-save").out), v4_before);
}

}  // namespace
