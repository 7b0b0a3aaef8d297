#include <dlfcn.h>

#include <string>

#include "packet_io.h"

namespace gazelle {

namespace {
// libgazelle-dpdk.so sits next to libgazelle.so (build tree and %{_libdir} alike).
std::string plugin_path() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&open_dpdk), &info) && info.dli_fname) {
    std::string self = info.dli_fname;
    auto slash = self.rfind('/');
    if (slash != std::string::npos) return self.substr(0, slash + 1) + "libgazelle-dpdk.so";
  }
  return "libgazelle-dpdk.so";
}
}  // namespace

netaccel::Result<std::unique_ptr<PacketIo>> open_dpdk(const Config& cfg) {
  std::string path = plugin_path();
  void* h = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!h) h = dlopen("libgazelle-dpdk.so", RTLD_NOW | RTLD_LOCAL);
  if (!h)
    return netaccel::make_error(netaccel::Errc::unsupported,
                                std::string("backend = dpdk needs libgazelle-dpdk.so (package libgazelle-dpdk): ") + dlerror());
  auto open = reinterpret_cast<OpenDpdkFn>(dlsym(h, kOpenDpdkSymbol));
  if (!open) return netaccel::make_error(netaccel::Errc::unsupported, path + " has no " + std::string(kOpenDpdkSymbol));
  std::string error;
  PacketIo* io = open(cfg, &error);
  if (!io) return netaccel::make_error(netaccel::Errc::unsupported, error);
  return std::unique_ptr<PacketIo>(io);
}

}  // namespace gazelle
