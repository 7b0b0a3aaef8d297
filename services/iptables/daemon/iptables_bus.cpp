#include "iptables_bus.h"

#include <chrono>
#include <cstring>

#ifndef NETACCEL_VERSION
#define NETACCEL_VERSION "0"
#endif

namespace netaccel::ipt {

namespace {

Result<std::optional<TableId>> table_arg(const char* name) {
  if (!name || !*name) return std::optional<TableId>{};
  if (std::strcmp(name, "filter") == 0) return std::optional<TableId>{TableId::filter};
  if (std::strcmp(name, "nat") == 0) return std::optional<TableId>{TableId::nat};
  return make_error(Errc::invalid_argument, std::string("table '") + name + "' is not supported (filter and nat are)");
}

int reply_string(sd_bus_message* m, const std::string& s) { return sd_bus_reply_method_return(m, "s", s.c_str()); }

uint32_t micros_since(std::chrono::steady_clock::time_point t0) {
  return static_cast<uint32_t>(std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0).count());
}

}  // namespace

int IptablesBus::restore(sd_bus_message* m, void* u, sd_bus_error* e) {
  auto* self = static_cast<IptablesBus*>(u);
  const char* text = nullptr;
  uint32_t flags = 0;
  if (int r = sd_bus_message_read(m, "su", &text, &flags); r < 0) return r;
  if (flags & ~(kRestoreNoflush | kRestoreCounters | kRestoreTest))
    return bus_fail(e, make_error(Errc::invalid_argument, "Restore: unknown flag bits " + std::to_string(flags)));
  // A test restore changes nothing: anyone may ask.
  if (!(flags & kRestoreTest))
    if (auto st = authorize_change(m); !st) return bus_fail(e, st.error());
  RestoreFlags f{(flags & kRestoreNoflush) != 0, (flags & kRestoreCounters) != 0, (flags & kRestoreTest) != 0};
  auto t0 = std::chrono::steady_clock::now();
  Status st = self->svc_.restore(text, f);
  self->last_change_us_ = micros_since(t0);
  return bus_reply_status(m, e, st, "Restore");
}

int IptablesBus::save(sd_bus_message* m, void* u, sd_bus_error* e) {
  auto* self = static_cast<IptablesBus*>(u);
  const char* table = nullptr;
  int counters = 0;
  if (int r = sd_bus_message_read(m, "sb", &table, &counters); r < 0) return r;
  auto t = table_arg(table);
  if (!t) return bus_fail(e, t.error());
  return reply_string(m, self->svc_.save(*t, counters));
}

int IptablesBus::command(sd_bus_message* m, void* u, sd_bus_error* e) {
  auto* self = static_cast<IptablesBus*>(u);
  char** strv = nullptr;
  if (int r = sd_bus_message_read_strv(m, &strv); r < 0) return r;
  std::vector<std::string> args;
  for (char** p = strv; p && *p; ++p) {
    args.emplace_back(*p);
    free(*p);
  }
  free(strv);
  if (!is_read_only(args))
    if (auto st = authorize_change(m); !st) return bus_fail(e, st.error());
  auto t0 = std::chrono::steady_clock::now();
  auto r = self->svc_.command(args);
  if (r && r->changed) self->last_change_us_ = micros_since(t0);
  if (!r) return bus_fail(e, r.error());
  return reply_string(m, r->output);
}

int IptablesBus::get_counters(sd_bus_message* m, void* u, sd_bus_error* e) {
  auto* self = static_cast<IptablesBus*>(u);
  const char* table = nullptr;
  if (int r = sd_bus_message_read(m, "s", &table); r < 0) return r;
  auto t = table_arg(table);
  if (!t) return bus_fail(e, t.error());
  Ruleset rs = self->svc_.current();
  sd_bus_message* reply = nullptr;
  int r = sd_bus_message_new_method_return(m, &reply);
  if (r >= 0) r = sd_bus_message_open_container(reply, 'a', "(ssutt)");
  for (TableId id : kTables) {
    if (*t && **t != id) continue;
    for (const auto& c : rs.table(id).chains) {
      if (c.builtin && r >= 0) r = sd_bus_message_append(reply, "(ssutt)", table_name(id), c.name.c_str(), 0u, c.packets, c.bytes);
      for (size_t i = 0; i < c.rules.size() && r >= 0; ++i)
        r = sd_bus_message_append(reply, "(ssutt)", table_name(id), c.name.c_str(), static_cast<uint32_t>(i + 1),
                                  c.rules[i].packets, c.rules[i].bytes);
    }
  }
  return bus_finish_container_reply(reply, r);
}

int IptablesBus::prop(sd_bus*, const char*, const char*, const char* name, sd_bus_message* reply, void* u, sd_bus_error*) {
  auto* self = static_cast<IptablesBus*>(u);
  if (std::strcmp(name, "Version") == 0) return sd_bus_message_append(reply, "s", NETACCEL_VERSION);
  if (std::strcmp(name, "RuleCount") == 0) return sd_bus_message_append(reply, "u", self->svc_.rule_count());
  if (std::strcmp(name, "ChainCount") == 0) return sd_bus_message_append(reply, "u", self->svc_.chain_count());
  if (std::strcmp(name, "Generation") == 0) return sd_bus_message_append(reply, "u", self->svc_.generation());
  if (std::strcmp(name, "LastChangeMicros") == 0) return sd_bus_message_append(reply, "u", self->last_change_us_);
  return -ENOENT;
}

Status IptablesBus::register_object() {
  static const sd_bus_vtable vtable[] = {
      SD_BUS_VTABLE_START(0),
      SD_BUS_METHOD_WITH_NAMES("Restore", "su", SD_BUS_PARAM(text) SD_BUS_PARAM(flags), "", , &IptablesBus::restore,
                               SD_BUS_VTABLE_UNPRIVILEGED),
      SD_BUS_METHOD_WITH_NAMES("Save", "sb", SD_BUS_PARAM(table) SD_BUS_PARAM(counters), "s", SD_BUS_PARAM(text),
                               &IptablesBus::save, SD_BUS_VTABLE_UNPRIVILEGED),
      SD_BUS_METHOD_WITH_NAMES("Command", "as", SD_BUS_PARAM(args), "s", SD_BUS_PARAM(output), &IptablesBus::command,
                               SD_BUS_VTABLE_UNPRIVILEGED),
      SD_BUS_METHOD_WITH_NAMES("GetCounters", "s", SD_BUS_PARAM(table), "a(ssutt)", SD_BUS_PARAM(counters),
                               &IptablesBus::get_counters, SD_BUS_VTABLE_UNPRIVILEGED),
      SD_BUS_PROPERTY("Version", "s", &IptablesBus::prop, 0, SD_BUS_VTABLE_PROPERTY_CONST),
      SD_BUS_PROPERTY("RuleCount", "u", &IptablesBus::prop, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
      SD_BUS_PROPERTY("ChainCount", "u", &IptablesBus::prop, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
      SD_BUS_PROPERTY("Generation", "u", &IptablesBus::prop, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
      SD_BUS_PROPERTY("LastChangeMicros", "u", &IptablesBus::prop, 0, 0),
      SD_BUS_VTABLE_END};
  if (auto st = bus_.add_object(path_, kInterface, vtable, this); !st) return st;
  svc_.on_changed([this] { bus_.properties_changed(path_, kInterface, {"RuleCount", "ChainCount", "Generation"}); });
  return {};
}

}  // namespace netaccel::ipt
