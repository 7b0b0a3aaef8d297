// The sd-bus side of every netaccel daemon: one well-known name, objects with vtables, named
// errors, and the "anyone may read, root or group netaccel may change" rule enforced in the
// daemon too (the D-Bus policy file is the first line, this is the second).
#pragma once

#include <systemd/sd-bus.h>

#include <memory>
#include <string>
#include <vector>

#include "netaccel/core/result.h"

namespace netaccel {

inline constexpr const char* kErrorPrefix = "org.openeuler.NetAccel1.Error.";
inline constexpr const char* kAdminGroup = "netaccel";

// The D-Bus error name for an Error: org.openeuler.NetAccel1.Error.{InvalidArgument,NotFound,
// AlreadyExists,NotSupported,Failed} or org.freedesktop.DBus.Error.AccessDenied.
std::string bus_error_name(const Error& e);
// Fills ret_error and returns the negative errno sd-bus handlers return.
int bus_fail(sd_bus_error* ret_error, const Error& e);

// Replies to a state-changing call: empty success, or the named error (logged once, here at
// the boundary, with `what` naming the call).
int bus_reply_status(sd_bus_message* m, sd_bus_error* ret_error, const Status& st, const std::string& what);

// Ends a reply built into an open top-level container: closes it, sends, frees. r is the
// status so far; returns the final one (handlers return it).
int bus_finish_container_reply(sd_bus_message* reply, int r);

// A failed call to another service, back in the error currency: netaccel's named errors
// return to their Errc, a service that is not on the bus (or did not answer) to EHOSTDOWN so
// callers can tell "not running" from "refused". `what` names the call.
Error bus_call_error(int r, const sd_bus_error* e, const std::string& what);
inline bool service_down(const Error& e) { return e.code == std::error_code(EHOSTDOWN, std::generic_category()); }

// A method call's reply and error, freed together: sd_bus_call fills both.
struct BusReply {
  sd_bus_error err = SD_BUS_ERROR_NULL;
  sd_bus_message* reply = nullptr;
  BusReply() = default;
  BusReply(const BusReply&) = delete;
  BusReply& operator=(const BusReply&) = delete;
  ~BusReply() {
    sd_bus_message_unref(reply);
    sd_bus_error_free(&err);
  }
};

// Root, or a member of kAdminGroup. Reads from the message's sender credentials.
Status authorize_change(sd_bus_message* m);

class BusService {
 public:
  // Connects to the system bus (DBUS_SYSTEM_BUS_ADDRESS overrides where that is), attaches to
  // the event loop. The name is requested by publish(), after objects are added.
  static Result<std::unique_ptr<BusService>> connect(sd_event* ev, std::string name);
  ~BusService();

  sd_bus* bus() const { return bus_; }
  Status add_object(const std::string& path, const std::string& iface, const sd_bus_vtable* vtable, void* userdata);
  Status publish();
  void properties_changed(const std::string& path, const std::string& iface, const std::vector<std::string>& props);

 private:
  BusService() = default;
  sd_bus* bus_ = nullptr;
  std::string name_;
  std::vector<sd_bus_slot*> slots_;
};

}  // namespace netaccel
