// -j LOG: the data path's ring buffer of logged packets, read on the daemon's event loop and
// written to the journal as one line per packet in the kernel LOG target's words.
#pragma once

#include <memory>
#include <string>

#include "bpf/iptables/ipt_abi.h"
#include "iptables_service.h"
#include "netaccel/core/event_loop.h"
#include "netaccel/core/result.h"

struct ring_buffer;

namespace netaccel::ipt {

// "<prefix>IN=eth0 OUT= SRC=... DST=... LEN=60 PROTO=TCP SPT=1 DPT=80", as the kernel logs it.
std::string log_line(const ipt_log_event& e, const std::string& prefix, Family f);

class LogReader {
 public:
  // Reads the ring buffer map `map_fd` whenever it has events; `svc` names each rule's target.
  static Result<std::unique_ptr<LogReader>> start(int map_fd, const IptablesService& svc, EventLoop& loop);
  ~LogReader();
  LogReader(const LogReader&) = delete;
  LogReader& operator=(const LogReader&) = delete;

 private:
  explicit LogReader(const IptablesService& svc) : svc_(svc) {}
  static int on_event(void* ctx, void* data, size_t size);
  const IptablesService& svc_;
  ring_buffer* rb_ = nullptr;
};

}  // namespace netaccel::ipt
