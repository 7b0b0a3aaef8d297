#include "sockmap_config.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <cstdio>
#include <fstream>

#include "netaccel/core/config_schema.h"

namespace netaccel::sockmap {

Result<SockmapConfig> parse_sockmap_config(const IniConfig& ini) {
  using C = SockmapConfig;
  static const auto schema =
      ConfigSchema<C>("sockmap")
          // empty: the cgroup v2 root, found at start
          .list("cgroups", &C::cgroups, [](const std::string& cg) { return !cg.empty() && cg[0] == '/'; }, "an absolute path")
          .custom("local_prefixes",
                  [](const IniConfig& ini, const std::string& s, const std::string& k, C& c) -> Status {
                    for (const auto& t : ini.get_list(s, k)) {
                      auto p = parse_prefix(t);
                      if (!p) return make_error(Errc::invalid_argument, ini.where(s, k) + ": " + p.error().message);
                      c.local_prefixes.push_back(*p);
                    }
                    return {};
                  })
          .flag("sidecar_mode", [](C& c) -> bool& { return c.sidecar.enabled; })
          .number<uint16_t>("sidecar_outbound_port", [](C& c) -> uint16_t& { return c.sidecar.outbound_port; }, 1, 65535)
          .number<uint16_t>("sidecar_inbound_port", [](C& c) -> uint16_t& { return c.sidecar.inbound_port; }, 1, 65535)
          .number<uint32_t>("proxy_uid", [](C& c) -> uint32_t& { return c.sidecar.proxy_uid; }, 0, 4294967294L)
          .custom("bulk_bypass",
                  [](const IniConfig& ini, const std::string& s, const std::string& k, C& c) -> Status {
                    std::string v = ini.get_string(s, k, "auto");
                    if (v == "auto") c.bulk.mode = BulkBypass::automatic;
                    else if (v == "on") c.bulk.mode = BulkBypass::on;
                    else if (v == "off") c.bulk.mode = BulkBypass::off;
                    else return make_error(Errc::invalid_argument, ini.where(s, k) + ": '" + v + "' is not auto, on or off");
                    return {};
                  })
          // 64 KiB .. 1 TiB: below one socket buffer every request/response would count as bulk
          .number<uint64_t>("bulk_bypass_bytes", [](C& c) -> uint64_t& { return c.bulk.bytes; }, 65536, 1L << 40)
          .path("pin_root", &C::pin_root);
  return schema.parse(ini);
}

uint64_t bulk_threshold(const BulkOptions& o, bool page_table_isolation) {
  bool on = o.mode == BulkBypass::on || (o.mode == BulkBypass::automatic && page_table_isolation);
  return on ? o.bytes : 0;
}

bool kernel_isolates_page_tables(const std::string& meltdown_file) {
  std::string line;
  std::getline(std::ifstream(meltdown_file), line);
  return line.find("PTI") != std::string::npos;
}

const std::array<const char*, SM_STAT__MAX>& stat_names() {
  static const std::array<const char*, SM_STAT__MAX> n = {
      "sockets_added", "sockets_removed", "skip_remote_peer", "add_failed",
      "msg_redirected", "bytes_redirected", "msg_fallback_no_peer", "sidecar_redirected", "orig_dst_answered", "sidecar_inbound",
      "sockets_to_bulk", "msg_bulk_passed"};
  return n;
}

}  // namespace netaccel::sockmap
