// The D-Bus API as administrators use it (busctl, netaccelctl), through a dbus-daemon that
// enforces the shipped policy file.
#include <gtest/gtest.h>

#include "fwd_lab.h"

using namespace netaccel::test;

namespace {
const std::string kDest = "org.openeuler.NetAccel1.Fwd /org/openeuler/NetAccel1/Fwd org.openeuler.NetAccel1.Fwd";
}  // namespace

TEST(FwdBus, IntrospectionAndProperties) {
  NETACCEL_REQUIRE_ROOT();
  FwdLab lab;
  ASSERT_TRUE(lab.ok());
  auto intro = lab.busctl("introspect org.openeuler.NetAccel1.Fwd /org/openeuler/NetAccel1/Fwd");
  ASSERT_EQ(intro.status, 0) << intro.out;
  for (const char* m : {".Attach", ".Detach", ".ListInterfaces", ".GetStats", ".Mode", ".Version", ".AttachedCount"})
    EXPECT_NE(intro.out.find(m), std::string::npos) << m;
  EXPECT_NE(lab.busctl("get-property " + kDest + " Mode").out.find("\"tc\""), std::string::npos);
  EXPECT_NE(lab.busctl("get-property " + kDest + " AttachedCount").out.find("u 6"), std::string::npos);
  auto status = lab.ctl("fwd status");
  EXPECT_NE(status.find("6 interfaces attached"), std::string::npos) << status;
  EXPECT_NE(lab.ctl("fwd stats vr1 --all").find("pass_no_neigh"), std::string::npos);
}

TEST(FwdBus, InvalidArgumentsGetNamedErrorsAndChangeNothing) {
  NETACCEL_REQUIRE_ROOT();
  FwdLab lab("bridges = br0\n");  // routed pods start detached
  ASSERT_TRUE(lab.ok());
  auto before = lab.attached();
  // netaccelctl prints the D-Bus error name the daemon replied with.
  struct Case {
    std::string args, error;
  } cases[] = {
      {"attach nope0 router", "org.openeuler.NetAccel1.Error.NotFound"},
      {"attach vr1 switch", "org.openeuler.NetAccel1.Error.InvalidArgument"},
      {"attach vr1 router:fast", "org.openeuler.NetAccel1.Error.InvalidArgument"},
      {"attach vr1 bridge", "org.openeuler.NetAccel1.Error.InvalidArgument"},  // not a bridge port
      {"attach lo router", "org.openeuler.NetAccel1.Error.NotSupported"},
      {"attach br0 bridge", "org.openeuler.NetAccel1.Error.NotSupported"},
      {"attach ../../x router", "org.openeuler.NetAccel1.Error.InvalidArgument"},
      {"attach vb1 bridge", "org.openeuler.NetAccel1.Error.AlreadyExists"},
      {"detach vr2", "org.openeuler.NetAccel1.Error.NotFound"},
      {"detach ''", "org.openeuler.NetAccel1.Error.InvalidArgument"},
      {"stats nope0", "org.openeuler.NetAccel1.Error.NotFound"},
  };
  for (const auto& c : cases) {
    auto r = sh("DBUS_SYSTEM_BUS_ADDRESS=" + lab.bus_address() + " " + binary_dir() + "/services/ctl/netaccelctl fwd " + c.args);
    EXPECT_NE(r.status, 0) << c.args;
    EXPECT_NE(r.out.find("(" + c.error + ")"), std::string::npos) << c.args << "\n" << r.out;
  }
  auto wrong_signature = lab.busctl("call " + kDest + " Attach s vr1");
  EXPECT_NE(wrong_signature.status, 0);
  EXPECT_EQ(lab.attached(), before);
  EXPECT_TRUE(lab.ping("b1", "10.77.0.12"));
  EXPECT_TRUE(lab.ping("r1", "10.78.2.2"));
  // And a valid call still works afterwards.
  EXPECT_EQ(lab.busctl("call " + kDest + " Attach ss vr1 router").status, 0);
  EXPECT_EQ(lab.attached().size(), before.size() + 1);
}

TEST(FwdBus, UnprivilegedCallersReadButCannotChange) {
  NETACCEL_REQUIRE_ROOT();
  FwdLab lab;
  ASSERT_TRUE(lab.ok());
  auto read = lab.busctl("call " + kDest + " ListInterfaces", "nobody");
  EXPECT_EQ(read.status, 0) << read.out;
  EXPECT_EQ(lab.busctl("call " + kDest + " GetStats s vr1", "nobody").status, 0);
  EXPECT_EQ(lab.busctl("get-property " + kDest + " Version", "nobody").status, 0);
  EXPECT_EQ(lab.busctl("introspect org.openeuler.NetAccel1.Fwd /org/openeuler/NetAccel1/Fwd", "nobody").status, 0);
  auto change = lab.busctl("call " + kDest + " Detach s vr1", "nobody");
  EXPECT_NE(change.status, 0);
  EXPECT_NE(change.out.find("Access denied"), std::string::npos) << change.out;
  auto attach = lab.busctl("call " + kDest + " Attach ss vr1 router:xdp", "nobody");
  EXPECT_NE(attach.status, 0);
  EXPECT_EQ(lab.attached().size(), 6u);
  EXPECT_EQ(lab.busctl("call " + kDest + " Detach s vr1").status, 0) << "root may";
}
