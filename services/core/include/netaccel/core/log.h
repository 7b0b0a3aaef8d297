// Logging: to journald with structured fields when it is there, else to stderr.
// Errors are logged once, at the boundary that decides what to do about them.
#pragma once

#include <syslog.h>

#include <string>

namespace netaccel::log {

void set_identifier(const std::string& id);
void write(int priority, const std::string& msg);
inline void info(const std::string& m) { write(LOG_INFO, m); }
inline void notice(const std::string& m) { write(LOG_NOTICE, m); }
inline void warn(const std::string& m) { write(LOG_WARNING, m); }
inline void error(const std::string& m) { write(LOG_ERR, m); }
inline void debug(const std::string& m) { write(LOG_DEBUG, m); }

}  // namespace netaccel::log
