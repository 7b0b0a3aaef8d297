#include "netaccel/core/log.h"

#include <systemd/sd-journal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

namespace netaccel::log {
namespace {
std::string g_ident = "netaccel";

bool use_journal() {
  // Under systemd stderr is already a journal stream; outside it, a terminal or a test wants
  // to read stderr. NETACCEL_LOG=stderr forces stderr.
  static const bool j = [] {
    const char* force = std::getenv("NETACCEL_LOG");
    if (force && std::string(force) == "stderr") return false;
    return std::getenv("JOURNAL_STREAM") != nullptr && access("/run/systemd/journal/socket", W_OK) == 0;
  }();
  return j;
}
}  // namespace

void set_identifier(const std::string& id) { g_ident = id; }

void write(int priority, const std::string& msg) {
  if (use_journal()) {
    sd_journal_send("MESSAGE=%s", msg.c_str(), "PRIORITY=%d", priority, "SYSLOG_IDENTIFIER=%s",
                    g_ident.c_str(), nullptr);
    return;
  }
  static const char* names[] = {"emerg", "alert", "crit", "error", "warning", "notice", "info", "debug"};
  std::fprintf(stderr, "%s[%d] %s: %s\n", g_ident.c_str(), getpid(), names[priority & 7], msg.c_str());
}

}  // namespace netaccel::log
