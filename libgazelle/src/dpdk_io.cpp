// DPDK back end, built as libgazelle-dpdk.so and loaded only when the config asks for it:
// the EAL with the config's dpdk_args (plus --no-huge when the machine has no hugepages), the
// first ethdev port, one RX and one TX queue. On a node that is a NIC's PCI address; here it is
// a vdev: net_af_packet, net_af_xdp (with xdp_prog= our steering object), net_tap, virtio_user.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <net/if.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <vector>

#include "gazelle/gazelle_abi.h"
#include "link_info.h"
#include "packet_io.h"

namespace gazelle {
namespace {

constexpr uint16_t kRingSize = 1024;
constexpr unsigned kPoolSize = 8191;
constexpr unsigned kTxBatch = 64;

bool has_hugepages() {
  std::ifstream f("/proc/meminfo");
  std::string key;
  long value = 0;
  while (f >> key >> value) {
    if (key == "HugePages_Free:") return value > 0;
    f.ignore(256, '\n');
  }
  return false;
}

bool has_arg(const std::vector<std::string>& args, const std::string& prefix) {
  for (const auto& a : args)
    if (a.rfind(prefix, 0) == 0) return true;
  return false;
}

// net_af_xdp loads our steering object itself (xdp_prog=...); tell it host_addr afterwards
// through the gz_config map of the program now attached to the interface.
void configure_steering(const Config& cfg) {
  if (cfg.xdp_eth_name.empty()) return;
  int ifindex = static_cast<int>(if_nametoindex(cfg.xdp_eth_name.c_str()));
  uint32_t prog_id = 0;
  if (!ifindex || bpf_xdp_query_id(ifindex, 0, &prog_id) || !prog_id) return;
  int prog = bpf_prog_get_fd_by_id(prog_id);
  if (prog < 0) return;
  uint32_t ids[8] = {};
  bpf_prog_info info{};
  info.nr_map_ids = 8;
  info.map_ids = reinterpret_cast<uint64_t>(ids);
  uint32_t len = sizeof(info);
  if (bpf_obj_get_info_by_fd(prog, &info, &len) == 0) {
    for (uint32_t i = 0; i < info.nr_map_ids && i < 8; ++i) {
      int map = bpf_map_get_fd_by_id(ids[i]);
      if (map < 0) continue;
      bpf_map_info mi{};
      uint32_t mlen = sizeof(mi);
      if (bpf_obj_get_info_by_fd(map, &mi, &mlen) == 0 && strcmp(mi.name, "gz_config") == 0) {
        auto link = read_link_info(cfg.xdp_eth_name);
        gz_steer_config sc{cfg.host_addr, link && link->driver == "veth" ? GZ_CFG_COMPLETE_CSUM : 0u};
        uint32_t zero = 0;
        bpf_map_update_elem(map, &zero, &sc, 0);
      }
      close(map);
    }
  }
  close(prog);
}

class DpdkIo final : public PacketIo {
 public:
  static PacketIo* open(const Config& cfg, std::string* error);
  ~DpdkIo() override {
    for (unsigned i = 0; i < tx_n_; ++i) rte_pktmbuf_free(tx_[i]);
    rte_eth_dev_stop(port_);
    rte_eth_dev_close(port_);
  }

  const char* kind() const override { return "dpdk"; }
  std::string name() const override { return name_; }
  std::array<uint8_t, 6> mac() const override { return mac_; }
  uint16_t mtu() const override { return mtu_; }
  int wait_fd() const override { return -1; }
  uint64_t rx_drops() const override {
    rte_eth_stats st{};
    rte_eth_stats_get(port_, &st);
    return st.imissed + st.rx_nombuf;
  }

  unsigned receive(unsigned max, Sink sink, void* ctx) override {
    rte_mbuf* bufs[64];
    uint16_t n = rte_eth_rx_burst(port_, 0, bufs, static_cast<uint16_t>(std::min(max, 64u)));
    for (uint16_t i = 0; i < n; ++i) {
      rte_mbuf* m = bufs[i];
      if (m->nb_segs == 1) sink(ctx, rte_pktmbuf_mtod(m, const uint8_t*), m->pkt_len);
      rte_pktmbuf_free(m);
    }
    return n;
  }

  bool transmit(const uint8_t* frame, uint32_t len) override {
    if (tx_n_ == kTxBatch) flush();
    rte_mbuf* m = rte_pktmbuf_alloc(pool_);
    if (!m) return false;
    char* p = rte_pktmbuf_append(m, static_cast<uint16_t>(len));
    if (!p) {
      rte_pktmbuf_free(m);
      return false;
    }
    memcpy(p, frame, len);
    tx_[tx_n_++] = m;
    return true;
  }

  void flush() override {
    unsigned sent = 0;
    for (int tries = 0; sent < tx_n_ && tries < 8; ++tries)
      sent += rte_eth_tx_burst(port_, 0, tx_ + sent, static_cast<uint16_t>(tx_n_ - sent));
    for (unsigned i = sent; i < tx_n_; ++i) rte_pktmbuf_free(tx_[i]);
    tx_n_ = 0;
  }

 private:
  uint16_t port_ = 0;
  std::string name_;
  std::array<uint8_t, 6> mac_{};
  uint16_t mtu_ = 1500;
  rte_mempool* pool_ = nullptr;
  rte_mbuf* tx_[kTxBatch];
  unsigned tx_n_ = 0;
};

PacketIo* DpdkIo::open(const Config& cfg, std::string* error) {
  std::vector<std::string> args{"libgazelle"};
  args.insert(args.end(), cfg.dpdk_args.begin(), cfg.dpdk_args.end());
  // Without hugepages: --no-huge (which implies legacy memory, so not --in-memory) and no
  // shared config files; with them: --in-memory. Either way no two processes' files clash.
  bool no_huge = has_arg(args, "--no-huge") || !has_hugepages();
  if (no_huge && !has_arg(args, "--no-huge")) args.push_back("--no-huge");
  if (no_huge && !has_arg(args, "--no-shconf")) args.push_back("--no-shconf");
  if (!no_huge && !has_arg(args, "--in-memory") && !has_arg(args, "--file-prefix")) args.push_back("--in-memory");
  // Never probe PCI devices nobody named: on a VM that would be the node's own NIC.
  if (!has_arg(args, "-a") && !has_arg(args, "--allow") && !has_arg(args, "--no-pci")) args.push_back("--no-pci");
  if (!has_arg(args, "--no-telemetry")) args.push_back("--no-telemetry");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  if (rte_eal_init(static_cast<int>(args.size()), argv.data()) < 0) {
    *error = std::string("DPDK EAL init with dpdk_args failed: ") + rte_strerror(rte_errno);
    return nullptr;
  }
  auto io = std::make_unique<DpdkIo>();
  uint16_t port = RTE_MAX_ETHPORTS;
  uint16_t p;
  RTE_ETH_FOREACH_DEV(p) {
    port = p;
    break;
  }
  if (port == RTE_MAX_ETHPORTS) {
    *error = "DPDK: no ethdev port (dpdk_args needs a --vdev or a PCI device)";
    return nullptr;
  }
  io->port_ = port;
  char name[RTE_ETH_NAME_MAX_LEN] = "";
  rte_eth_dev_get_name_by_port(port, name);
  io->name_ = name;
  int socket = rte_eth_dev_socket_id(port);
  if (socket < 0) socket = 0;
  io->pool_ = rte_pktmbuf_pool_create("gazelle_pool", kPoolSize, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, socket);
  if (!io->pool_) {
    *error = std::string("DPDK: mbuf pool: ") + rte_strerror(rte_errno);
    return nullptr;
  }
  rte_eth_conf conf{};
  int rc = rte_eth_dev_configure(port, 1, 1, &conf);
  if (!rc) rc = rte_eth_rx_queue_setup(port, 0, kRingSize, socket, nullptr, io->pool_);
  if (!rc) rc = rte_eth_tx_queue_setup(port, 0, kRingSize, socket, nullptr);
  if (!rc) rc = rte_eth_dev_start(port);
  if (rc) {
    *error = "DPDK: set up port " + io->name_ + ": " + rte_strerror(-rc);
    return nullptr;
  }
  rte_ether_addr mac{};
  rte_eth_macaddr_get(port, &mac);
  memcpy(io->mac_.data(), cfg.devices_set ? cfg.devices.data() : mac.addr_bytes, 6);
  uint16_t mtu = 1500;
  if (rte_eth_dev_get_mtu(port, &mtu) == 0) io->mtu_ = mtu;
  configure_steering(cfg);
  return io.release();
}

}  // namespace
}  // namespace gazelle

extern "C" gazelle::PacketIo* gazelle_dpdk_open(const gazelle::Config& cfg, std::string* error) {
  return gazelle::DpdkIo::open(cfg, error);
}
