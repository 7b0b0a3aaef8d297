#include "log_reader.h"

#include <bpf/libbpf.h>
#include <net/if.h>

#include "netaccel/core/log.h"

namespace netaccel::ipt {

namespace {
std::string ifname(uint32_t idx) {
  char buf[IF_NAMESIZE] = "";
  return idx && if_indextoname(idx, buf) ? buf : "";
}

std::string proto_word(uint8_t p) {
  switch (p) {
    case 6: return "TCP";
    case 17: return "UDP";
    case 1: return "ICMP";
    case 58: return "ICMPv6";
    default: return std::to_string(p);
  }
}
}  // namespace

std::string log_line(const ipt_log_event& e, const std::string& prefix, Family f) {
  std::string line = prefix + "IN=" + ifname(e.in_ifindex) + " OUT=" + ifname(e.out_ifindex) + " SRC=" + format_addr(from_be(e.src), f) +
                     " DST=" + format_addr(from_be(e.dst), f) + " LEN=" + std::to_string(e.len) + " PROTO=" + proto_word(e.proto);
  if (e.proto == 6 || e.proto == 17) line += " SPT=" + std::to_string(e.sport) + " DPT=" + std::to_string(e.dport);
  return line;
}

Result<std::unique_ptr<LogReader>> LogReader::start(int map_fd, const IptablesService& svc, EventLoop& loop) {
  std::unique_ptr<LogReader> r(new LogReader(svc));
  r->rb_ = ring_buffer__new(map_fd, &LogReader::on_event, r.get(), nullptr);
  if (!r->rb_) return errno_error(errno, "LOG ring buffer");
  ring_buffer* rb = r->rb_;
  if (auto st = loop.watch_fd(ring_buffer__epoll_fd(rb), [rb] { ring_buffer__consume(rb); }); !st) return st.error();
  return r;
}

LogReader::~LogReader() { ring_buffer__free(rb_); }

int LogReader::on_event(void* ctx, void* data, size_t size) {
  if (size < sizeof(ipt_log_event)) return 0;
  auto* self = static_cast<LogReader*>(ctx);
  const auto& e = *static_cast<const ipt_log_event*>(data);
  auto target = self->svc_.log_target(e.rule);
  log::write(target ? target->level : 4, log_line(e, target ? target->prefix : std::string(), self->svc_.family()));
  return 0;
}

}  // namespace netaccel::ipt
