#include "bus_client.h"

#include <cstdio>
#include <cstring>
#include <functional>

#include "iptables/dbus_api.h"

namespace netaccel::ipt::cli {

namespace {

struct Bus {
  sd_bus* b = nullptr;
  ~Bus() { sd_bus_flush_close_unref(b); }
};

Error from_bus(const sd_bus_error& e, int r) {
  std::string name = e.name ? e.name : "";
  Errc code = name.find("InvalidArgument") != std::string::npos ? Errc::invalid_argument
              : name.find("AccessDenied") != std::string::npos  ? Errc::permission_denied
              : name.find("NotFound") != std::string::npos      ? Errc::not_found
                                                                 : Errc::unsupported;
  std::string msg = e.message ? e.message : strerror(-r);
  if (name.find("ServiceUnknown") != std::string::npos || name.find("NameHasNoOwner") != std::string::npos)
    msg = "netaccel-iptables is not running (systemctl start netaccel-iptables)";
  return make_error(code, msg);
}

Result<sd_bus_message*> call(Bus& bus, const char* path, const char* method, const std::function<int(sd_bus_message*)>& append) {
  if (int r = sd_bus_open_system(&bus.b); r < 0) return errno_error(r, "connect to the system bus");
  sd_bus_message* m = nullptr;
  int r = sd_bus_message_new_method_call(bus.b, &m, kBusName, path, kInterface, method);
  if (r >= 0) r = append(m);
  if (r < 0) {
    sd_bus_message_unref(m);
    return errno_error(r, std::string("build ") + method);
  }
  sd_bus_error err = SD_BUS_ERROR_NULL;
  sd_bus_message* reply = nullptr;
  r = sd_bus_call(bus.b, m, 120 * 1000000ull, &err, &reply);  // large restores take a while
  sd_bus_message_unref(m);
  if (r < 0) {
    Error e = from_bus(err, r);
    sd_bus_error_free(&err);
    return e;
  }
  return reply;
}

Result<std::string> string_reply(Result<sd_bus_message*> reply) {
  if (!reply) return reply.error();
  const char* s = nullptr;
  int r = sd_bus_message_read(*reply, "s", &s);
  std::string out = r >= 0 && s ? s : "";
  sd_bus_message_unref(*reply);
  if (r < 0) return errno_error(r, "read reply");
  return out;
}

}  // namespace

Status call_restore(const char* path, const std::string& text, uint32_t flags) {
  Bus bus;
  auto reply = call(bus, path, "Restore", [&](sd_bus_message* m) { return sd_bus_message_append(m, "su", text.c_str(), flags); });
  if (!reply) return reply.error();
  sd_bus_message_unref(*reply);
  return {};
}

Result<std::string> call_save(const char* path, const std::string& table, bool counters) {
  Bus bus;
  return string_reply(call(bus, path, "Save", [&](sd_bus_message* m) { return sd_bus_message_append(m, "sb", table.c_str(), counters); }));
}

Result<std::string> call_command(const char* path, const std::vector<std::string>& args) {
  Bus bus;
  std::vector<char*> v;
  std::vector<std::string> copy = args;
  for (auto& a : copy) v.push_back(a.data());
  v.push_back(nullptr);
  return string_reply(call(bus, path, "Command", [&](sd_bus_message* m) { return sd_bus_message_append_strv(m, v.data()); }));
}

int report(const char* prog, const Error& e) {
  fprintf(stderr, "%s: %s\n", prog, e.message.c_str());
  return e.code == make_error_code(Errc::invalid_argument) || e.code == make_error_code(Errc::parse_error) ? 2 : 1;
}

}  // namespace netaccel::ipt::cli
