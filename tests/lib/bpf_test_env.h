// For BPF_PROG_RUN tests: a private network namespace for this test process (devices, routes
// and neighbours the FIB lookups see), gone when the process exits.
#pragma once

#include <string>

namespace netaccel::test {

// unshare(CLONE_NEWNET) once per process; returns a skip reason or "".
std::string enter_private_netns();
int ifindex_of(const std::string& name);

}  // namespace netaccel::test
