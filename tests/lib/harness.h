// Helpers for tests that run real programs: commands with captured output, temporary names
// unique to this process, and skipping with a reason when a privilege is missing.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

namespace netaccel::test {

struct CmdResult {
  int status = -1;  // exit code, or -1 if it did not exit normally
  std::string out;  // stdout and stderr together
};

// Runs a shell command line; output captured.
CmdResult sh(const std::string& cmd);
// Same, but fails the current test (ADD_FAILURE) when it exits non-zero.
std::string sh_ok(const std::string& cmd);

// "na<pid>" style prefix: tests clean up by prefix, also after a crash of an earlier run.
std::string unique_prefix(const std::string& base);

// Reason to skip, or empty when we may load BPF and make namespaces.
std::string missing_privileges();

std::string source_dir();
std::string binary_dir();

}  // namespace netaccel::test

namespace netaccel::test {

// Polls pred every 50 ms until it holds or timeout_ms passes.
bool wait_until(const std::function<bool()>& pred, int timeout_ms);

// Removes namespaces "<base><pid>-*" left by test processes that no longer run.
void cleanup_stale_namespaces(const std::string& base);

// A child process started in a network namespace, stopped (by pid) when this goes away.
class Process {
 public:
  Process() = default;
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  ~Process() { stop(); }
  // argv[0] is the program path; env entries "K=V" are added; output goes to log_path.
  bool start(const std::vector<std::string>& argv, const std::vector<std::string>& env,
             const std::string& netns_path, const std::string& log_path);
  // SIGTERM, then SIGKILL after timeout; returns the exit status (or -1).
  int stop(int timeout_ms = 5000);
  bool running();
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
};

}  // namespace netaccel::test

// Skips the calling test (GTEST_SKIP returns from it) when privileges are missing.
#define NETACCEL_REQUIRE_ROOT()                                                              \
  do {                                                                                     \
    if (auto why = ::netaccel::test::missing_privileges(); !why.empty()) GTEST_SKIP() << why; \
  } while (0)
