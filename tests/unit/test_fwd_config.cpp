#include <gtest/gtest.h>

#include "fwd_config.h"

using namespace netaccel;
using namespace netaccel::fwd;

static Result<FwdConfig> parse(const std::string& text) {
  auto ini = IniConfig::parse_string(text, "fwd.conf");
  if (!ini) return ini.error();
  return parse_fwd_config(*ini);
}

TEST(FwdConfig, Defaults) {
  auto c = parse("");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->default_hook, Hook::tc);
  EXPECT_TRUE(c->auto_attach);
  EXPECT_TRUE(c->ipv6);
  EXPECT_EQ(c->pin_root, "/sys/fs/bpf/netaccel");
}

TEST(FwdConfig, ReadsEveryKey) {
  auto c = parse("[fwd]\nhook = xdp\nauto_attach = no\nbridges = cni0\nprefixes = cali, veth\ninterfaces = eth9\nipv6 = no\npin_root = /run/x\n");
  ASSERT_TRUE(c) << c.error().what();
  EXPECT_EQ(c->default_hook, Hook::xdp);
  EXPECT_FALSE(c->auto_attach);
  EXPECT_EQ(c->bridges, std::vector<std::string>{"cni0"});
  EXPECT_EQ(c->prefixes, (std::vector<std::string>{"cali", "veth"}));
  EXPECT_EQ(c->interfaces, std::vector<std::string>{"eth9"});
  EXPECT_FALSE(c->ipv6);
  EXPECT_EQ(c->pin_root, "/run/x");
}

TEST(FwdConfig, BadValuesNameTheKey) {
  struct Case {
    const char* text;
    const char* expect;
  } cases[] = {
      {"[fwd]\nhook = tcx\n", "fwd.conf: [fwd] hook: hook must be 'tc' or 'xdp', got 'tcx'"},
      {"[fwd]\nauto_attach = sometimes\n", "fwd.conf: [fwd] auto_attach: expected yes/no"},
      {"[fwd]\nhoook = tc\n", "fwd.conf: [fwd] hoook: unknown key"},
      {"[fwd]\nbridges = a/b\n", "fwd.conf: [fwd] bridges: 'a/b' is not an interface name"},
      {"[fwd]\npin_root = relative\n", "fwd.conf: [fwd] pin_root: must be an absolute path"},
      {"[fwdd]\nhook = tc\n", "fwd.conf: unknown section [fwdd]"},
  };
  for (const auto& c : cases) {
    auto r = parse(c.text);
    ASSERT_FALSE(r) << c.text;
    EXPECT_EQ(r.error().message.rfind(c.expect, 0), 0u) << r.error().message;
  }
}
