// AF_XDP back end: one XSK socket on one queue of the interface, our steering program attached
// through a bpf_link (so it goes away with the process: a killed application frees the
// interface for the next run), frames copied between the UMEM and lwIP's pbufs.
#include <linux/if_link.h>
#include <linux/if_xdp.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <xdp/xsk.h>

#include <cstring>
#include <vector>

#include "gazelle/gazelle_abi.h"
#include "link_info.h"
#include "netaccel/core/link.h"
#include "netaccel/core/skeleton.h"
#include "packet_io.h"
#include "steer_skeleton.h"

namespace gazelle {
namespace {

using netaccel::Errc;
using netaccel::Result;

constexpr uint32_t kFrameSize = XSK_UMEM__DEFAULT_FRAME_SIZE;  // 4096: one MTU frame per slot
constexpr uint32_t kNumFrames = 8192;
constexpr uint32_t kRingSize = 4096;

class AfXdpIo final : public PacketIo {
 public:
  ~AfXdpIo() override {
    // Steering off first, then the socket, then its UMEM.
    link_ = netaccel::Link();
    if (xsk_) xsk_socket__delete(xsk_);
    if (umem_) xsk_umem__delete(umem_);
    if (area_ != MAP_FAILED) munmap(area_, size_t{kNumFrames} * kFrameSize);
  }

  static Result<std::unique_ptr<PacketIo>> open(const Config& cfg);

  const char* kind() const override { return "af_xdp"; }
  std::string name() const override { return ifname_; }
  std::array<uint8_t, 6> mac() const override { return mac_; }
  uint16_t mtu() const override { return mtu_; }
  int wait_fd() const override { return xsk_socket__fd(xsk_); }
  uint64_t rx_drops() const override { return rx_drops_; }

  unsigned receive(unsigned max, Sink sink, void* ctx) override {
    uint32_t idx_rx = 0;
    unsigned n = xsk_ring_cons__peek(&rx_, max, &idx_rx);
    if (!n) {
      wake_fill_if_needed();
      return 0;
    }
    uint32_t idx_fq = 0;
    // Every consumed frame goes straight back to the fill ring: we copy, so we own no frame.
    while (xsk_ring_prod__reserve(&fq_, n, &idx_fq) != n) wake_fill_if_needed();
    for (unsigned i = 0; i < n; ++i) {
      const xdp_desc* d = xsk_ring_cons__rx_desc(&rx_, idx_rx + i);
      const uint8_t* frame = static_cast<const uint8_t*>(xsk_umem__get_data(area_, d->addr));
      sink(ctx, frame, d->len);
      *xsk_ring_prod__fill_addr(&fq_, idx_fq + i) = xsk_umem__extract_addr(d->addr);
    }
    xsk_ring_prod__submit(&fq_, n);
    xsk_ring_cons__release(&rx_, n);
    return n;
  }

  bool transmit(const uint8_t* frame, uint32_t len) override {
    if (len > kFrameSize) return false;
    if (free_frames_.empty()) reclaim();
    if (free_frames_.empty()) {
      kick();
      reclaim();
      if (free_frames_.empty()) return false;
    }
    uint32_t idx = 0;
    if (xsk_ring_prod__reserve(&tx_, 1, &idx) != 1) {
      kick();
      if (xsk_ring_prod__reserve(&tx_, 1, &idx) != 1) return false;
    }
    uint64_t addr = free_frames_.back();
    free_frames_.pop_back();
    memcpy(xsk_umem__get_data(area_, addr), frame, len);
    xdp_desc* d = xsk_ring_prod__tx_desc(&tx_, idx);
    d->addr = addr;
    d->len = len;
    xsk_ring_prod__submit(&tx_, 1);
    ++tx_pending_;
    return true;
  }

  void flush() override {
    if (tx_pending_) kick();
    reclaim();
  }

 private:
  void kick() {
    tx_pending_ = 0;
    // Copy mode (veth, most drivers without zero-copy) transmits inside this call.
    sendto(xsk_socket__fd(xsk_), nullptr, 0, MSG_DONTWAIT, nullptr, 0);
  }
  void reclaim() {
    uint32_t idx = 0;
    unsigned n = xsk_ring_cons__peek(&cq_, kRingSize, &idx);
    for (unsigned i = 0; i < n; ++i) free_frames_.push_back(*xsk_ring_cons__comp_addr(&cq_, idx + i));
    if (n) xsk_ring_cons__release(&cq_, n);
  }
  void wake_fill_if_needed() {
    if (xsk_ring_prod__needs_wakeup(&fq_))
      recvfrom(xsk_socket__fd(xsk_), nullptr, 0, MSG_DONTWAIT, nullptr, nullptr);
  }

  std::string ifname_;
  std::array<uint8_t, 6> mac_{};
  uint16_t mtu_ = 1500;
  void* area_ = MAP_FAILED;
  xsk_umem* umem_ = nullptr;
  xsk_socket* xsk_ = nullptr;
  xsk_ring_prod fq_{}, tx_{};
  xsk_ring_cons cq_{}, rx_{};
  std::vector<uint64_t> free_frames_;
  unsigned tx_pending_ = 0;
  uint64_t rx_drops_ = 0;
  netaccel::Skeleton<gazelle_steer> skel_;
  netaccel::Link link_;

  AfXdpIo(netaccel::Skeleton<gazelle_steer> skel) : skel_(std::move(skel)) {}
};

Result<std::unique_ptr<PacketIo>> AfXdpIo::open(const Config& cfg) {
  auto info = read_link_info(cfg.xdp_eth_name);
  if (!info) return info.error();
  auto skel = netaccel::Skeleton<gazelle_steer>::open("gazelle_steer");
  if (!skel) return skel.error();
  if (auto st = skel->load(); !st) return st.error();
  std::unique_ptr<AfXdpIo> io(new AfXdpIo(std::move(*skel)));
  io->ifname_ = cfg.xdp_eth_name;
  io->mac_ = cfg.devices_set ? cfg.devices : info->mac;
  io->mtu_ = info->mtu;

  const std::string where = "AF_XDP on " + cfg.xdp_eth_name + " queue " + std::to_string(cfg.xdp_queue_id);
  size_t size = size_t{kNumFrames} * kFrameSize;
  io->area_ = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (io->area_ == MAP_FAILED) return netaccel::errno_error(errno, where + ": UMEM");
  xsk_umem_config ucfg{kRingSize, kRingSize, kFrameSize, 0, 0};
  if (int err = xsk_umem__create(&io->umem_, io->area_, size, &io->fq_, &io->cq_, &ucfg))
    return netaccel::errno_error(err, where + ": create UMEM");

  // Steering first, so the socket's first frame is already ours and ARP for host_addr never
  // reaches the kernel (which would ignore it anyway: host_addr is not its address).
  int prog = bpf_program__fd(io->skel_->progs.gazelle_steer);
  auto link = netaccel::Link::create(prog, info->ifindex, netaccel::kAttachXdp, XDP_FLAGS_DRV_MODE);
  if (!link) link = netaccel::Link::create(prog, info->ifindex, netaccel::kAttachXdp, XDP_FLAGS_SKB_MODE);
  if (!link)
    return netaccel::Error{link.error().code, where + ": attach the steering XDP program (is another "
                                                       "libgazelle process or XDP program on this interface?)"};
  io->link_ = std::move(*link);

  xsk_socket_config scfg{};
  scfg.rx_size = kRingSize;
  scfg.tx_size = kRingSize;
  scfg.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD;
  scfg.bind_flags = XDP_USE_NEED_WAKEUP;
  if (int err = xsk_socket__create(&io->xsk_, cfg.xdp_eth_name.c_str(), cfg.xdp_queue_id, io->umem_, &io->rx_,
                                   &io->tx_, &scfg))
    return netaccel::errno_error(err, where + ": create socket");
  if (int err = xsk_socket__update_xskmap(io->xsk_, bpf_map__fd(io->skel_->maps.xsks_map)))
    return netaccel::errno_error(err, where + ": register socket in xsks_map");

  // Half the frames wait in the fill ring for RX, the other half are ours for TX.
  uint32_t idx = 0;
  if (xsk_ring_prod__reserve(&io->fq_, kRingSize, &idx) != kRingSize)
    return netaccel::make_error(Errc::unsupported, where + ": fill ring");
  for (uint32_t i = 0; i < kRingSize; ++i) *xsk_ring_prod__fill_addr(&io->fq_, idx + i) = uint64_t{i} * kFrameSize;
  xsk_ring_prod__submit(&io->fq_, kRingSize);
  for (uint32_t i = kRingSize; i < kNumFrames; ++i) io->free_frames_.push_back(uint64_t{i} * kFrameSize);

  gz_steer_config sc{};
  sc.host_addr = cfg.host_addr;
  // veth peers hand over CHECKSUM_PARTIAL frames; a NIC's frames carry full checksums.
  sc.flags = info->driver == "veth" ? GZ_CFG_COMPLETE_CSUM : 0;
  uint32_t zero = 0;
  if (int err = bpf_map__update_elem(io->skel_->maps.gz_config, &zero, sizeof(zero), &sc, sizeof(sc), 0))
    return netaccel::errno_error(err, where + ": steering config");
  return std::unique_ptr<PacketIo>(std::move(io));
}

}  // namespace

Result<std::unique_ptr<PacketIo>> open_af_xdp(const Config& cfg) { return AfXdpIo::open(cfg); }

}  // namespace gazelle
