// An application linked with -lgazelle (not preloaded): without a config the shim is
// transparent, every socket stays the kernel's and ordinary I/O works through it.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "gazelle/gazelle.h"

TEST(GazelleLinked, TransparentWithoutConfig) {
  EXPECT_STREQ(gazelle_version(), "0.1.0");
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  EXPECT_EQ(gazelle_is_user_fd(sv[0]), 0);
  ASSERT_EQ(write(sv[0], "abc", 3), 3);
  char buf[4] = {};
  ASSERT_EQ(read(sv[1], buf, 3), 3);
  EXPECT_STREQ(buf, "abc");
  int t = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(t, 0);
  EXPECT_EQ(gazelle_is_user_fd(t), 0);
  EXPECT_EQ(gazelle_stack_running(), 0);
  close(t);
  close(sv[0]);
  close(sv[1]);
}

int main(int argc, char** argv) {
  setenv("GAZELLE_CONF", "/nonexistent/lstack.conf", 1);  // read when the library first runs
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
