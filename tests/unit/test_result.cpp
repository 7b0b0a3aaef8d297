#include <gtest/gtest.h>

#include "netaccel/core/bus.h"
#include "netaccel/core/result.h"

using namespace netaccel;

TEST(Result, CarriesValueOrError) {
  Result<int> ok = 42;
  ASSERT_TRUE(ok);
  EXPECT_EQ(*ok, 42);
  Result<int> bad = make_error(Errc::not_found, "interface veth9");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Errc::not_found);
  EXPECT_EQ(bad.error().what(), "interface veth9: not found");
}

TEST(Result, ErrnoErrorsAreGeneric) {
  Error e = errno_error(-EPERM, "attach");
  EXPECT_EQ(e.code, std::errc::operation_not_permitted);
  EXPECT_NE(e.what().find("attach"), std::string::npos);
}

TEST(BusErrors, NamedAfterTheirCode) {
  EXPECT_EQ(bus_error_name(make_error(Errc::invalid_argument, "")), "org.openeuler.NetAccel1.Error.InvalidArgument");
  EXPECT_EQ(bus_error_name(make_error(Errc::parse_error, "")), "org.openeuler.NetAccel1.Error.InvalidArgument");
  EXPECT_EQ(bus_error_name(make_error(Errc::not_found, "")), "org.openeuler.NetAccel1.Error.NotFound");
  EXPECT_EQ(bus_error_name(make_error(Errc::already_exists, "")), "org.openeuler.NetAccel1.Error.AlreadyExists");
  EXPECT_EQ(bus_error_name(make_error(Errc::unsupported, "")), "org.openeuler.NetAccel1.Error.NotSupported");
  EXPECT_EQ(bus_error_name(make_error(Errc::permission_denied, "")), "org.freedesktop.DBus.Error.AccessDenied");
  EXPECT_EQ(bus_error_name(errno_error(EPERM, "")), "org.freedesktop.DBus.Error.AccessDenied");
  EXPECT_EQ(bus_error_name(errno_error(EIO, "")), "org.openeuler.NetAccel1.Error.Failed");
}
