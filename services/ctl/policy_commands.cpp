#include "policy_commands.h"

#include <csignal>
#include <cstdio>
#include <cstring>
#include <vector>

#include "netaccel/core/bus.h"
#include "policy/dbus_api.h"

namespace netaccel::ctl {

namespace pol = netaccel::policy;

namespace {

using Reply = BusReply;

int fail(int r, const sd_bus_error& e, const char* what) {
  std::fprintf(stderr, "netaccelctl policy %s: %s (%s)\n", what, sd_bus_error_is_set(&e) ? e.message : strerror(-r),
               sd_bus_error_is_set(&e) ? e.name : "bus");
  return 1;
}

int call(sd_bus* bus, const char* method, Reply& r, const char* arg = nullptr) {
  return arg ? sd_bus_call_method(bus, pol::kBusName, pol::kObjectPath, pol::kInterface, method, &r.err, &r.reply, "s", arg)
             : sd_bus_call_method(bus, pol::kBusName, pol::kObjectPath, pol::kInterface, method, &r.err, &r.reply, "");
}

}  // namespace

int policy_endpoints(sd_bus* bus) {
  Reply r;
  if (int rc = call(bus, "ListEndpoints", r); rc < 0) return fail(rc, r.err, "endpoints");
  std::printf("%-24s %-16s %9s  %-8s %-8s %s\n", "POD", "HOST VETH", "IDENTITY", "INGRESS", "EGRESS", "LABELS");
  const char *pod, *veth, *what;
  uint32_t id;
  int in, out;
  int rc = sd_bus_message_enter_container(r.reply, 'a', "(ssusbb)");
  while (rc >= 0 && (rc = sd_bus_message_read(r.reply, "(ssusbb)", &pod, &veth, &id, &what, &in, &out)) > 0)
    std::printf("%-24s %-16s %9u  %-8s %-8s %s\n", pod, veth, id, in ? "isolated" : "open", out ? "isolated" : "open", what);
  return rc < 0 ? fail(rc, r.err, "endpoints") : 0;
}

int policy_identities(sd_bus* bus) {
  Reply r;
  if (int rc = call(bus, "ListIdentities", r); rc < 0) return fail(rc, r.err, "identities");
  std::printf("%10s  %s\n", "IDENTITY", "WHAT");
  uint32_t id;
  const char* what;
  int rc = sd_bus_message_enter_container(r.reply, 'a', "(us)");
  while (rc >= 0 && (rc = sd_bus_message_read(r.reply, "(us)", &id, &what)) > 0) std::printf("%10u  %s\n", id, what);
  return rc < 0 ? fail(rc, r.err, "identities") : 0;
}

int policy_get(sd_bus* bus, const std::string& pod) {
  Reply r;
  if (int rc = call(bus, "GetEndpointPolicy", r, pod.c_str()); rc < 0) return fail(rc, r.err, "get");
  const char* text = nullptr;
  if (int rc = sd_bus_message_read(r.reply, "s", &text); rc < 0) return fail(rc, r.err, "get");
  std::fputs(text, stdout);
  return 0;
}

int policy_stats(sd_bus* bus) {
  Reply r;
  if (int rc = call(bus, "GetStats", r); rc < 0) return fail(rc, r.err, "stats");
  std::printf("%-24s %-8s %12s %12s %12s %12s\n", "POD", "DIR", "ALLOWED", "ESTABLISHED", "DENIED", "UNRESTRICTED");
  const char *pod, *dir;
  uint64_t a, e, d, u;
  int rc = sd_bus_message_enter_container(r.reply, 'a', "(sstttt)");
  while (rc >= 0 && (rc = sd_bus_message_read(r.reply, "(sstttt)", &pod, &dir, &a, &e, &d, &u)) > 0)
    std::printf("%-24s %-8s %12llu %12llu %12llu %12llu\n", pod, dir, static_cast<unsigned long long>(a), static_cast<unsigned long long>(e),
                static_cast<unsigned long long>(d), static_cast<unsigned long long>(u));
  return rc < 0 ? fail(rc, r.err, "stats") : 0;
}

namespace {
volatile std::sig_atomic_t g_stop = 0;
struct Monitor {
  unsigned count, seen = 0;
};
int on_dropped(sd_bus_message* m, void* u, sd_bus_error*) {
  auto* mon = static_cast<Monitor*>(u);
  const char *pod, *dir, *peer, *src, *dst, *proto;
  uint16_t port;
  if (sd_bus_message_read(m, "ssssssq", &pod, &dir, &peer, &src, &dst, &proto, &port) < 0) return 0;
  std::string policies;
  if (sd_bus_message_enter_container(m, 'a', "s") >= 0) {
    const char* p;
    while (sd_bus_message_read(m, "s", &p) > 0) policies += (policies.empty() ? "" : ",") + std::string(p);
  }
  std::printf("xx drop (policy denied) %s %s: %s -> %s %s/%u from %s, isolated by %s\n", pod, dir, src, dst, proto, port, peer,
              policies.empty() ? "-" : policies.c_str());
  std::fflush(stdout);
  ++mon->seen;
  return 0;
}
}  // namespace

int policy_monitor(sd_bus* bus, unsigned count) {
  Monitor mon{count};
  std::string rule = std::string("type='signal',sender='") + pol::kBusName + "',interface='" + pol::kInterface + "',member='Dropped'";
  sd_bus_slot* slot = nullptr;
  if (int r = sd_bus_add_match(bus, &slot, rule.c_str(), on_dropped, &mon); r < 0) {
    std::fprintf(stderr, "netaccelctl policy monitor: %s\n", strerror(-r));
    return 1;
  }
  std::signal(SIGINT, [](int) { g_stop = 1; });
  std::signal(SIGTERM, [](int) { g_stop = 1; });
  std::fprintf(stderr, "listening for drops (Ctrl-C to stop)\n");
  while (!g_stop && (count == 0 || mon.seen < count)) {
    int r = sd_bus_process(bus, nullptr);
    if (r < 0) break;
    if (r == 0) sd_bus_wait(bus, 500000);
  }
  sd_bus_slot_unref(slot);
  return 0;
}

}  // namespace netaccel::ctl
