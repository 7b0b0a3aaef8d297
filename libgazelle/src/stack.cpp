#include "stack.h"

#include <cstdio>
#include <cstring>

extern "C" {
#include "lwip/etharp.h"
#include "lwip/init.h"
#include "lwip/pbuf.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/stats.h"
#include "lwip/timeouts.h"
#include "netif/ethernet.h"
}

namespace gazelle {

namespace {
constexpr unsigned kRxBatch = 64;
}  // namespace

Stack::Stack(const Config& cfg, std::unique_ptr<PacketIo> io, StatsFile* stats)
    : cfg_(cfg), io_(std::move(io)), stats_(stats) {
  lwip_init();
  ip4_addr_t ip, mask, gw;
  ip.addr = cfg_.host_addr;
  mask.addr = cfg_.mask_addr;
  gw.addr = cfg_.gateway_addr;
  netif_add(&netif_, &ip, &mask, &gw, this, netif_init_cb, ethernet_input);
  if (!cfg_.rx_csum_check)
    NETIF_SET_CHECKSUM_CTRL(&netif_, NETIF_CHECKSUM_GEN_IP | NETIF_CHECKSUM_GEN_UDP | NETIF_CHECKSUM_GEN_TCP |
                                         NETIF_CHECKSUM_GEN_ICMP);
  netif_set_default(&netif_);
  netif_set_up(&netif_);  // announces host_addr with a gratuitous ARP
  netif_set_link_up(&netif_);
  io_->flush();
}

Stack::~Stack() {
  netif_set_down(&netif_);
  netif_remove(&netif_);
}

err_t Stack::netif_init_cb(netif* n) {
  auto* self = static_cast<Stack*>(n->state);
  n->name[0] = 'g';
  n->name[1] = 'z';
  n->output = etharp_output;
  n->linkoutput = link_output;
  n->mtu = self->io_->mtu();
  n->hwaddr_len = ETH_HWADDR_LEN;
  auto mac = self->io_->mac();
  memcpy(n->hwaddr, mac.data(), ETH_HWADDR_LEN);
  n->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET;
  return ERR_OK;
}

err_t Stack::link_output(netif* n, pbuf* p) {
  auto* self = static_cast<Stack*>(n->state);
  uint8_t frame[2048];
  if (p->tot_len > sizeof(frame)) return ERR_IF;
  const uint8_t* data = static_cast<const uint8_t*>(p->payload);
  if (p->len != p->tot_len) {  // chained: flatten (LWIP_NETIF_TX_SINGLE_PBUF makes this rare)
    pbuf_copy_partial(p, frame, p->tot_len, 0);
    data = frame;
  }
  if (!self->io_->transmit(data, p->tot_len)) {
    ++self->tx_drops_;
    return ERR_MEM;
  }
  ++self->tx_packets_;
  self->tx_bytes_ += p->tot_len;
  return ERR_OK;
}

void Stack::on_frame(void* ctx, const uint8_t* frame, uint32_t len) {
  auto* self = static_cast<Stack*>(ctx);
  if (len < 14) return;
  // A packet socket (DPDK af_packet) also sees frames from the kernel's side of the link:
  // keep only frames addressed to our MAC or to everyone.
  if (!(frame[0] & 1) && memcmp(frame, self->netif_.hwaddr, 6) != 0) return;
  if (memcmp(frame + 6, self->netif_.hwaddr, 6) == 0) return;  // our own frames, echoed
  ++self->rx_packets_;
  self->rx_bytes_ += len;
  if (frame[12] == 0x08 && frame[13] == 0x00 && len >= 18 && 14u + ((frame[16] << 8) | frame[17]) > len) {
    // Cut short by the back end: a packet socket (DPDK af_packet) hands over GRO/TSO
    // super-frames only up to its frame size.
    ++self->rx_nomem_;
    if (!self->warned_truncated_) {
      self->warned_truncated_ = true;
      fprintf(stderr, "libgazelle: received frames larger than the MTU arrive truncated; turn off GRO on %s "
                      "(and TSO/GSO on a veth peer)\n", self->io_->name().c_str());
    }
    return;
  }
  pbuf* p = pbuf_alloc(PBUF_RAW, static_cast<u16_t>(len), PBUF_POOL);
  if (!p) {
    ++self->rx_nomem_;
    return;
  }
  pbuf_take(p, frame, static_cast<u16_t>(len));
  if (self->netif_.input(p, &self->netif_) != ERR_OK) pbuf_free(p);
}

unsigned Stack::poll() {
  unsigned total = 0;
  for (int round = 0; round < 4; ++round) {  // bounded: an application call must return
    unsigned n = io_->receive(kRxBatch, on_frame, this);
    total += n;
    if (n < kRxBatch) break;
  }
  sys_check_timeouts();
  io_->flush();
  if (stats_) {
    stats_->data()->polls++;
    publish_stats();
  }
  return total;
}

int Stack::next_timer_ms() const {
  u32_t t = sys_timeouts_sleeptime();
  return t == SYS_TIMEOUTS_SLEEPTIME_INFINITE ? 1000 : static_cast<int>(t);
}

bool Stack::tcp_sending() const {
  for (const tcp_pcb* p = tcp_active_pcbs; p; p = p->next) {
    if (p->unsent || p->unacked) return true;
    // Our FIN is out but not yet acknowledged (FIN_WAIT_2 and TIME_WAIT are done sending).
    if (p->state == FIN_WAIT_1 || p->state == CLOSING || p->state == LAST_ACK) return true;
  }
  return false;
}

void Stack::publish_stats() {
  if (!stats_) return;
  gazelle_stats* s = stats_->data();
  s->rx_packets = rx_packets_;
  s->rx_bytes = rx_bytes_;
  s->tx_packets = tx_packets_;
  s->tx_bytes = tx_bytes_;
  s->rx_drops = rx_nomem_ + io_->rx_drops();
  s->tx_drops = tx_drops_;
  s->tcp_retransmits = lwip_stats.mib2.tcpretranssegs;
  s->ip_drops = lwip_stats.ip.drop + lwip_stats.etharp.drop;
  s->tcp_drops = lwip_stats.tcp.drop;
}

}  // namespace gazelle
