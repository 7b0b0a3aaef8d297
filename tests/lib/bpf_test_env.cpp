#include "bpf_test_env.h"

#include <net/if.h>
#include <sched.h>

#include <cerrno>
#include <cstring>

#include "harness.h"

namespace netaccel::test {

std::string enter_private_netns() {
  static std::string reason = [] () -> std::string {
    if (auto m = missing_privileges(); !m.empty()) return m;
    if (unshare(CLONE_NEWNET) != 0) return std::string("unshare(CLONE_NEWNET): ") + std::strerror(errno);
    return "";
  }();
  return reason;
}

int ifindex_of(const std::string& name) { return static_cast<int>(if_nametoindex(name.c_str())); }

}  // namespace netaccel::test
