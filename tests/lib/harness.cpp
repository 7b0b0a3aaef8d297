#include "harness.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace netaccel::test {

namespace {
// iptables-legacy takes a host-wide lock (/run/xtables.lock) even for another namespace's
// tables, and gives up at once when it is held: two test processes (ctest -j2) restoring in
// their own namespaces would fail each other. The tables a test touches are its namespaces',
// so each test process takes a lock file of its own (inherited by everything sh() runs).
struct XtablesLock {
  std::string path = "/tmp/netaccel-test-xtables-" + std::to_string(getpid()) + ".lock";
  XtablesLock() { setenv("XTABLES_LOCKFILE", path.c_str(), 1); }
  ~XtablesLock() { unlink(path.c_str()); }
} xtables_lock;
}  // namespace

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

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>

#include <chrono>
#include <thread>

namespace netaccel::test {

bool wait_until(const std::function<bool()>& pred, int timeout_ms) {
  auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return pred();
}

void cleanup_stale_namespaces(const std::string& base) {
  DIR* d = opendir("/run/netns");
  if (!d) return;
  std::vector<std::string> stale;
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n.rfind(base, 0) != 0) continue;
    auto dash = n.find('-');
    if (dash == std::string::npos) continue;
    pid_t pid = static_cast<pid_t>(std::atoi(n.substr(base.size(), dash - base.size()).c_str()));
    if (pid > 0 && pid != getpid() % 100000 && kill(pid, 0) != 0) stale.push_back(n);
  }
  closedir(d);
  for (const auto& n : stale) sh("ip netns pids " + n + " | xargs -r kill -9; ip netns del " + n);
}

bool Process::start(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                    const std::string& netns_path, const std::string& log_path) {
  pid_ = fork();
  if (pid_ < 0) return false;
  if (pid_ == 0) {
    if (!netns_path.empty()) {
      int fd = open(netns_path.c_str(), O_RDONLY);
      if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) _exit(126);
    }
    int log = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (log >= 0) {
      dup2(log, 1);
      dup2(log, 2);
    }
    for (const auto& e : env) putenv(const_cast<char*>(e.c_str()));
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  return true;
}

bool Process::running() {
  if (pid_ <= 0) return false;
  if (waitpid(pid_, nullptr, WNOHANG) == 0) return true;
  pid_ = -1;  // exited and reaped
  return false;
}

int Process::stop(int timeout_ms) {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGTERM);
  int status = 0;
  bool done = wait_until([&] { return waitpid(pid_, &status, WNOHANG) == pid_; }, timeout_ms);
  if (!done) {
    kill(pid_, SIGKILL);
    waitpid(pid_, &status, 0);
  }
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace netaccel::test
