#include "dataplanes_bus.h"

#include "fwd/dbus_api.h"
#include "netaccel/core/bus.h"
#include "policy/dbus_api.h"
#include "sockmap/dbus_api.h"

namespace netaccel::agent {

namespace {
constexpr uint64_t kTimeoutUs = 5'000'000;

// One method call with a bounded wait; the reply (when wanted) stays in c.
using Call = BusReply;

Status call(sd_bus* bus, const char* dest, const char* path, const char* iface, const char* method, Call& c,
            const std::string& what, const char* sig = "", const char* a = nullptr, const char* b = nullptr) {
  sd_bus_message* m = nullptr;
  int r = sd_bus_message_new_method_call(bus, &m, dest, path, iface, method);
  if (r >= 0 && a) r = b ? sd_bus_message_append(m, sig, a, b) : sd_bus_message_append(m, sig, a);
  if (r >= 0) r = sd_bus_call(bus, m, kTimeoutUs, &c.err, &c.reply);
  sd_bus_message_unref(m);
  if (r < 0) return bus_call_error(r, &c.err, what);
  return {};
}
}  // namespace

Status BusDataplanes::fwd_attach(const std::string& ifname, const std::string& mode) {
  Call c;
  return call(bus_, fwd::kBusName, fwd::kObjectPath, fwd::kInterface, "Attach", c, "netaccel-fwd Attach " + ifname, "ss",
              ifname.c_str(), mode.c_str());
}

Status BusDataplanes::fwd_detach(const std::string& ifname) {
  Call c;
  return call(bus_, fwd::kBusName, fwd::kObjectPath, fwd::kInterface, "Detach", c, "netaccel-fwd Detach " + ifname, "s", ifname.c_str());
}

Result<std::vector<FwdInterface>> BusDataplanes::fwd_interfaces() {
  Call c;
  if (auto st = call(bus_, fwd::kBusName, fwd::kObjectPath, fwd::kInterface, "ListInterfaces", c, "netaccel-fwd ListInterfaces"); !st)
    return st.error();
  std::vector<FwdInterface> out;
  int r = sd_bus_message_enter_container(c.reply, 'a', "(sisssb)");
  const char *name, *mode, *hook, *bridge;
  int ifindex, automatic;
  while (r >= 0 && (r = sd_bus_message_read(c.reply, "(sisssb)", &name, &ifindex, &mode, &hook, &bridge, &automatic)) > 0)
    out.push_back({name, mode});
  if (r < 0) return errno_error(r, "netaccel-fwd ListInterfaces: reply");
  return out;
}

Status BusDataplanes::sockmap_enable(const std::string& cgroup) {
  Call c;
  return call(bus_, sockmap::kBusName, sockmap::kObjectPath, sockmap::kInterface, "Enable", c, "netaccel-sockmap Enable " + cgroup, "s",
              cgroup.c_str());
}

Status BusDataplanes::sockmap_disable(const std::string& cgroup) {
  Call c;
  return call(bus_, sockmap::kBusName, sockmap::kObjectPath, sockmap::kInterface, "Disable", c, "netaccel-sockmap Disable " + cgroup,
              "s", cgroup.c_str());
}

Result<std::vector<std::string>> BusDataplanes::sockmap_cgroups() {
  Call c;
  if (auto st = call(bus_, sockmap::kBusName, sockmap::kObjectPath, sockmap::kInterface, "ListCgroups", c, "netaccel-sockmap ListCgroups");
      !st)
    return st.error();
  std::vector<std::string> out;
  int r = sd_bus_message_enter_container(c.reply, 'a', "s");
  const char* path;
  while (r >= 0 && (r = sd_bus_message_read(c.reply, "s", &path)) > 0) out.push_back(path);
  if (r < 0) return errno_error(r, "netaccel-sockmap ListCgroups: reply");
  return out;
}

Status BusDataplanes::policy_add_endpoint(const std::string& endpoint_json) {
  Call c;
  return call(bus_, policy::kBusName, policy::kObjectPath, policy::kInterface, "AddEndpoint", c, "netaccel-policy AddEndpoint", "s",
              endpoint_json.c_str());
}

}  // namespace netaccel::agent
