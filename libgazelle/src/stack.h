// One lwIP instance on one PacketIo, run to completion: whoever holds the runtime lock calls
// poll(), which feeds received frames to lwIP, runs its timers and pushes frames out.
#pragma once

#include <memory>

#include "config.h"
#include "packet_io.h"
#include "stats.h"

extern "C" {
#include "lwip/netif.h"
}

namespace gazelle {

class Stack {
 public:
  Stack(const Config& cfg, std::unique_ptr<PacketIo> io, StatsFile* stats);
  ~Stack();
  Stack(const Stack&) = delete;
  Stack& operator=(const Stack&) = delete;

  // Returns the number of frames received.
  unsigned poll();
  // Milliseconds until lwIP's next timer is due (for sleeping callers).
  int next_timer_ms() const;
  int wait_fd() const { return io_->wait_fd(); }
  void flush() { io_->flush(); }
  PacketIo& io() { return *io_; }
  StatsFile* stats() { return stats_; }
  void publish_stats();
  // True while some TCP connection still holds data or a FIN the peer has not acknowledged,
  // including connections the application already closed (lwIP keeps sending those).
  bool tcp_sending() const;

 private:
  static err_t netif_init_cb(netif* n);
  static err_t link_output(netif* n, pbuf* p);
  static void on_frame(void* ctx, const uint8_t* frame, uint32_t len);

  Config cfg_;
  std::unique_ptr<PacketIo> io_;
  StatsFile* stats_;
  netif netif_{};
  bool warned_truncated_ = false;
  uint64_t rx_packets_ = 0, rx_bytes_ = 0, tx_packets_ = 0, tx_bytes_ = 0, rx_nomem_ = 0, tx_drops_ = 0;
};

}  // namespace gazelle
