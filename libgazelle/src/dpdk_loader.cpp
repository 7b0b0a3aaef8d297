#include <dlfcn.h>

#include "packet_io.h"

namespace gazelle {

netaccel::Result<std::unique_ptr<PacketIo>> open_dpdk(const Config& cfg) {
  // Next to libgazelle.so, or wherever the dynamic linker finds it.
  void* h = dlopen("libgazelle-dpdk.so", RTLD_NOW | RTLD_LOCAL);
  if (!h)
    return netaccel::make_error(netaccel::Errc::unsupported,
                                std::string("backend = dpdk needs libgazelle-dpdk.so: ") + dlerror());
  auto open = reinterpret_cast<OpenDpdkFn>(dlsym(h, kOpenDpdkSymbol));
  if (!open) return netaccel::make_error(netaccel::Errc::unsupported, "libgazelle-dpdk.so has no " + std::string(kOpenDpdkSymbol));
  std::string error;
  PacketIo* io = open(cfg, &error);
  if (!io) return netaccel::make_error(netaccel::Errc::unsupported, error);
  return std::unique_ptr<PacketIo>(io);
}

}  // namespace gazelle
