#include "harness.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>

namespace netaccel::test {

CmdResult sh(const std::string& cmd) {
  CmdResult r;
  std::string full = "(" + cmd + ") 2>&1";
  FILE* p = popen(full.c_str(), "r");
  if (!p) return r;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  int st = pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

std::string sh_ok(const std::string& cmd) {
  auto r = sh(cmd);
  if (r.status != 0) ADD_FAILURE() << "command failed (" << r.status << "): " << cmd << "\n" << r.out;
  return r.out;
}

std::string unique_prefix(const std::string& base) { return base + std::to_string(getpid() % 100000); }

std::string missing_privileges() {
  if (geteuid() != 0) return "needs root (CAP_BPF, CAP_NET_ADMIN, CAP_SYS_ADMIN)";
  return "";
}

std::string source_dir() { return NETACCEL_SOURCE_DIR; }
std::string binary_dir() { return NETACCEL_BINARY_DIR; }

}  // namespace netaccel::test
