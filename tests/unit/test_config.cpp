#include <gtest/gtest.h>

#include "netaccel/core/config.h"

using namespace netaccel;

TEST(IniConfig, ReadsTypedValues) {
  auto c = IniConfig::parse_string("[fwd]\nhook = xdp\nauto_attach = no\nbridges = cni0, br1  br2\nn = 7\n", "t.conf");
  ASSERT_TRUE(c) << c.error().what();
  EXPECT_EQ(c->get_string("fwd", "hook", "tc"), "xdp");
  EXPECT_EQ(*c->get_bool("fwd", "auto_attach", true), false);
  EXPECT_EQ(c->get_list("fwd", "bridges"), (std::vector<std::string>{"cni0", "br1", "br2"}));
  EXPECT_EQ(*c->get_int("fwd", "n", 0, 0, 10), 7);
  EXPECT_EQ(c->get_string("fwd", "missing", "dflt"), "dflt");
}

TEST(IniConfig, ErrorsNameFileSectionKey) {
  auto c = IniConfig::parse_string("[fwd]\nauto_attach = maybe\nn = 70\nm = x\n", "/etc/netaccel/fwd.conf");
  ASSERT_TRUE(c);
  auto b = c->get_bool("fwd", "auto_attach", true);
  ASSERT_FALSE(b);
  EXPECT_EQ(b.error().message, "/etc/netaccel/fwd.conf: [fwd] auto_attach: expected yes/no, got 'maybe'");
  auto n = c->get_int("fwd", "n", 0, 0, 10);
  ASSERT_FALSE(n);
  EXPECT_NE(n.error().message.find("outside [0, 10]"), std::string::npos);
  EXPECT_FALSE(c->get_int("fwd", "m", 0, 0, 10));
}

TEST(IniConfig, SyntaxErrorsCarryLineNumbers) {
  auto c = IniConfig::parse_string("[fwd]\nhook = tc\nthis line has no equals\n", "x.conf");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().message, "x.conf:3: expected 'key = value'");
  auto d = IniConfig::parse_string("[fwd\n", "y.conf");
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().message, "y.conf:1: unterminated section header");
}

TEST(IniConfig, MissingFileIsEmptyConfig) {
  auto c = IniConfig::load("/nonexistent/netaccel.conf");
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->sections().empty());
}

TEST(IniConfig, UnknownKeysAreReported) {
  auto c = IniConfig::parse_string("[fwd]\nhook = tc\nhok = xdp\n", "t");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->unknown_keys("fwd", {"hook"}), std::vector<std::string>{"hok"});
}
