// The one interface libgazelle's stack sees of its link: AF_XDP on an interface queue, or a
// DPDK ethdev. Frames are copied in and out; the back end owns its buffers.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>

#include "config.h"
#include "netaccel/core/result.h"

namespace gazelle {

struct gazelle_stats_view;

class PacketIo {
 public:
  using Sink = void (*)(void* ctx, const uint8_t* frame, uint32_t len);

  virtual ~PacketIo() = default;
  virtual const char* kind() const = 0;
  virtual std::string name() const = 0;
  virtual std::array<uint8_t, 6> mac() const = 0;
  virtual uint16_t mtu() const = 0;
  // Hands up to `max` received frames to sink; returns how many.
  virtual unsigned receive(unsigned max, Sink sink, void* ctx) = 0;
  // Queues one frame for transmission (copied); false if no room (counted as a drop).
  virtual bool transmit(const uint8_t* frame, uint32_t len) = 0;
  // Pushes queued frames out and reclaims completed ones.
  virtual void flush() = 0;
  // An fd that polls readable when frames wait, so an idle application can sleep in the
  // kernel; -1 when the back end can only be busy-polled (DPDK).
  virtual int wait_fd() const = 0;
  // Link-level drop counters for stats.
  virtual uint64_t rx_drops() const { return 0; }
};

netaccel::Result<std::unique_ptr<PacketIo>> open_af_xdp(const Config& cfg);
// Loads libgazelle-dpdk.so on demand so applications on the AF_XDP back end never map DPDK.
netaccel::Result<std::unique_ptr<PacketIo>> open_dpdk(const Config& cfg);

// Entry point libgazelle-dpdk.so exports (C linkage for dlsym; the types are ours, built together).
using OpenDpdkFn = PacketIo* (*)(const Config& cfg, std::string* error);
inline constexpr const char* kOpenDpdkSymbol = "gazelle_dpdk_open";

}  // namespace gazelle
