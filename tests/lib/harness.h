// Helpers for tests that run real programs: commands with captured output, temporary names
// unique to this process, and skipping with a reason when a privilege is missing.
#pragma once

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
