#include "netaccel/core/bus.h"

#include <grp.h>

#include <algorithm>

#include "netaccel/core/log.h"

namespace netaccel {

std::string bus_error_name(const Error& e) {
  if (e.code.category() == netaccel_category()) {
    switch (static_cast<Errc>(e.code.value())) {
      case Errc::invalid_argument:
      case Errc::parse_error: return std::string(kErrorPrefix) + "InvalidArgument";
      case Errc::not_found: return std::string(kErrorPrefix) + "NotFound";
      case Errc::already_exists: return std::string(kErrorPrefix) + "AlreadyExists";
      case Errc::unsupported: return std::string(kErrorPrefix) + "NotSupported";
      case Errc::permission_denied: return SD_BUS_ERROR_ACCESS_DENIED;
    }
  }
  if (e.code == std::errc::operation_not_permitted || e.code == std::errc::permission_denied)
    return SD_BUS_ERROR_ACCESS_DENIED;
  return std::string(kErrorPrefix) + "Failed";
}

Error bus_call_error(int r, const sd_bus_error* e, const std::string& what) {
  if (!sd_bus_error_is_set(e)) return errno_error(r, what);
  static const struct {
    const char* suffix;
    Errc code;
  } named[] = {{"InvalidArgument", Errc::invalid_argument}, {"NotFound", Errc::not_found},
               {"AlreadyExists", Errc::already_exists}, {"NotSupported", Errc::unsupported}};
  const std::string name = e->name;
  const std::string msg = what + ": " + (e->message ? e->message : name);
  for (const auto& n : named)
    if (name == std::string(kErrorPrefix) + n.suffix) return make_error(n.code, msg);
  for (const char* down : {SD_BUS_ERROR_SERVICE_UNKNOWN, SD_BUS_ERROR_NAME_HAS_NO_OWNER, SD_BUS_ERROR_NO_REPLY, SD_BUS_ERROR_TIMEOUT,
                           SD_BUS_ERROR_DISCONNECTED})
    if (name == down) return errno_error(EHOSTDOWN, msg);
  if (name == SD_BUS_ERROR_ACCESS_DENIED) return make_error(Errc::permission_denied, msg);
  return errno_error(r, msg);
}

int bus_fail(sd_bus_error* ret_error, const Error& e) {
  std::string name = bus_error_name(e);
  sd_bus_error_set(ret_error, name.c_str(), e.what().c_str());
  return e.code.category() == std::generic_category() ? -e.code.value() : -EINVAL;
}

int bus_reply_status(sd_bus_message* m, sd_bus_error* ret_error, const Status& st, const std::string& what) {
  if (!st) {
    log::notice(what + " refused: " + st.error().what());
    return bus_fail(ret_error, st.error());
  }
  return sd_bus_reply_method_return(m, "");
}

Status authorize_change(sd_bus_message* m) {
  sd_bus_creds* creds = nullptr;
  int r = sd_bus_query_sender_creds(m, SD_BUS_CREDS_EUID | SD_BUS_CREDS_EGID | SD_BUS_CREDS_SUPPLEMENTARY_GIDS | SD_BUS_CREDS_AUGMENT, &creds);
  if (r < 0) return make_error(Errc::permission_denied, "cannot read caller credentials");
  uid_t uid = 0;
  bool allowed = sd_bus_creds_get_euid(creds, &uid) >= 0 && uid == 0;
  if (!allowed) {
    if (const group* g = getgrnam(kAdminGroup)) {
      gid_t egid = 0;
      if (sd_bus_creds_get_egid(creds, &egid) >= 0 && egid == g->gr_gid) allowed = true;
      const gid_t* gids = nullptr;
      int n = sd_bus_creds_get_supplementary_gids(creds, &gids);
      for (int i = 0; i < n && !allowed; ++i) allowed = gids[i] == g->gr_gid;
    }
  }
  sd_bus_creds_unref(creds);
  if (!allowed) return make_error(Errc::permission_denied, std::string("changing state needs root or group ") + kAdminGroup);
  return {};
}

Result<std::unique_ptr<BusService>> BusService::connect(sd_event* ev, std::string name) {
  std::unique_ptr<BusService> s(new BusService());
  s->name_ = std::move(name);
  int r = sd_bus_open_system(&s->bus_);
  if (r < 0) return errno_error(r, "connect to the system bus");
  r = sd_bus_attach_event(s->bus_, ev, SD_EVENT_PRIORITY_NORMAL);
  if (r < 0) return errno_error(r, "attach bus to event loop");
  return s;
}

BusService::~BusService() {
  for (auto* slot : slots_) sd_bus_slot_unref(slot);
  if (bus_) sd_bus_flush_close_unref(bus_);
}

Status BusService::add_object(const std::string& path, const std::string& iface, const sd_bus_vtable* vtable, void* userdata) {
  sd_bus_slot* slot = nullptr;
  int r = sd_bus_add_object_vtable(bus_, &slot, path.c_str(), iface.c_str(), vtable, userdata);
  if (r < 0) return errno_error(r, "register " + iface + " at " + path);
  slots_.push_back(slot);
  return {};
}

Status BusService::publish() {
  int r = sd_bus_request_name(bus_, name_.c_str(), 0);
  if (r < 0) return errno_error(r, "own bus name " + name_ + " (is the D-Bus policy installed?)");
  return {};
}

void BusService::properties_changed(const std::string& path, const std::string& iface, const std::vector<std::string>& props) {
  std::vector<char*> names;
  for (const auto& p : props) names.push_back(const_cast<char*>(p.c_str()));
  names.push_back(nullptr);
  int r = sd_bus_emit_properties_changed_strv(bus_, path.c_str(), iface.c_str(), names.data());
  if (r < 0) log::warn("emit PropertiesChanged on " + path + ": " + std::to_string(r));
}

int bus_finish_container_reply(sd_bus_message* reply, int r) {
  if (r >= 0) r = sd_bus_message_close_container(reply);
  if (r >= 0) r = sd_bus_send(nullptr, reply, nullptr);
  sd_bus_message_unref(reply);
  return r;
}

}  // namespace netaccel
