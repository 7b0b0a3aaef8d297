#include <gtest/gtest.h>

#include "fwd_types.h"

using namespace netaccel::fwd;

TEST(AttachSpec, ParsesModeAndOptionalHook) {
  EXPECT_EQ(*parse_attach_spec("router", Hook::tc), (AttachSpec{Mode::router, Hook::tc}));
  EXPECT_EQ(*parse_attach_spec("bridge", Hook::xdp), (AttachSpec{Mode::bridge, Hook::xdp}));
  EXPECT_EQ(*parse_attach_spec("router:xdp", Hook::tc), (AttachSpec{Mode::router, Hook::xdp}));
  EXPECT_EQ(*parse_attach_spec("bridge:tc", Hook::xdp), (AttachSpec{Mode::bridge, Hook::tc}));
}

TEST(AttachSpec, RejectsEverythingElseWithTheValueNamed) {
  for (const char* bad : {"", "routr", "router:", "router:tcx", ":xdp", "ROUTER", "bridge:xdp:tc"}) {
    auto r = parse_attach_spec(bad, Hook::tc);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, netaccel::Errc::invalid_argument);
  }
  EXPECT_NE(parse_attach_spec("routr", Hook::tc).error().message.find("'routr'"), std::string::npos);
}

TEST(StatNames, OnePerCounterSlotAndUnique) {
  const auto& names = stat_names();
  ASSERT_EQ(names.size(), static_cast<size_t>(FWD_STAT__MAX));
  EXPECT_EQ(names[FWD_STAT_FORWARDED], "forwarded");
  EXPECT_EQ(names[FWD_STAT_PASS_NO_NEIGH], "pass_no_neigh");
  EXPECT_EQ(names[FWD_STAT_DROPPED], "dropped");
  for (size_t i = 0; i < names.size(); ++i)
    for (size_t j = i + 1; j < names.size(); ++j) EXPECT_NE(names[i], names[j]);
}

TEST(IfName, KernelRules) {
  EXPECT_TRUE(valid_ifname("veth1234abcd"));
  EXPECT_FALSE(valid_ifname(""));
  EXPECT_FALSE(valid_ifname("a234567890123456"));  // 16 chars: too long
  EXPECT_FALSE(valid_ifname("a/b"));
  EXPECT_FALSE(valid_ifname("a b"));
  EXPECT_FALSE(valid_ifname(".."));
}
