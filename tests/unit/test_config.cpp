#include <gtest/gtest.h>

#include "netaccel/core/config.h"
#include "netaccel/core/config_schema.h"

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

// The table every daemon's parser is: defaults are the fields' initial values, each key's rule
// checks it, other sections and keys are refused, whole-config checks run last.
struct Sample {
  bool on = true;
  uint16_t port = 80;
  std::string root = "/sys/fs/bpf/x";
  std::vector<std::string> names = {"*"};
  std::vector<std::string> more;
};

const ConfigSchema<Sample>& sample_schema() {
  static const auto s = ConfigSchema<Sample>("svc")
                            .flag("on", &Sample::on)
                            .number<uint16_t>("port", &Sample::port, 1, 65535)
                            .path("root", &Sample::root)
                            .list("names", &Sample::names, [](const std::string& n) { return n.size() <= 3; }, "a short name", true)
                            .list("more", &Sample::more)
                            .check([](const IniConfig& ini, const std::string& sec, const Sample& c) -> Status {
                              if (!c.on && c.port == 1) return make_error(Errc::invalid_argument, ini.where(sec, "port") + ": 1 needs on");
                              return {};
                            });
  return s;
}

TEST(ConfigSchema, DefaultsAreTheFieldsAndKeysOverrideThem) {
  auto d = sample_schema().parse(*IniConfig::parse_string("", "s.conf"));
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_TRUE(d->on);
  EXPECT_EQ(d->port, 80);
  EXPECT_EQ(d->names, std::vector<std::string>{"*"}) << "an empty list keeps the default when asked to";
  auto c = sample_schema().parse(*IniConfig::parse_string("[svc]\non = no\nport = 8080\nroot = /a\nnames = ab, c\nmore = x y\n", "s.conf"));
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_FALSE(c->on);
  EXPECT_EQ(c->port, 8080);
  EXPECT_EQ(c->root, "/a");
  EXPECT_EQ(c->names, (std::vector<std::string>{"ab", "c"}));
  EXPECT_EQ(c->more, (std::vector<std::string>{"x", "y"}));
}

TEST(ConfigSchema, EveryErrorNamesFileSectionAndKey) {
  const std::pair<const char*, const char*> cases[] = {
      {"[other]\n", "s.conf: unknown section [other]"},
      {"[svc]\nprot = 1\n", "s.conf: [svc] prot: unknown key"},
      {"[svc]\non = maybe\n", "s.conf: [svc] on: expected yes/no, got 'maybe'"},
      {"[svc]\nport = 70000\n", "s.conf: [svc] port: 70000 is outside [1, 65535]"},
      {"[svc]\nroot = rel\n", "s.conf: [svc] root: must be an absolute path"},
      {"[svc]\nnames = abcd\n", "s.conf: [svc] names: 'abcd' is not a short name"},
      {"[svc]\non = no\nport = 1\n", "s.conf: [svc] port: 1 needs on"},
  };
  for (const auto& [text, message] : cases) {
    auto r = sample_schema().parse(*IniConfig::parse_string(text, "s.conf"));
    ASSERT_FALSE(r) << text;
    EXPECT_EQ(r.error().message, message);
  }
}

