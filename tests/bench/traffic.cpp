#include "traffic.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "benchgen.skel.h"
#include "netaccel/core/link.h"
#include "netaccel/core/map.h"
#include "netaccel/core/netns.h"
#include "netaccel/core/skeleton.h"
#include "netaccel/core/unique_fd.h"

template <>
struct netaccel::SkeletonTraits<struct benchgen> {
  static struct benchgen* open(const bpf_object_open_opts* o) { return benchgen__open_opts(o); }
  static int load(struct benchgen* s) { return benchgen__load(s); }
  static void destroy(struct benchgen* s) { benchgen__destroy(s); }
};

namespace netaccel::bench {
namespace {
using Clock = std::chrono::steady_clock;

Result<UniqueFd> open_ns(const std::string& name) {
  UniqueFd fd(open(name.empty() ? "/proc/thread-self/ns/net" : ("/run/netns/" + name).c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return errno_error(errno, "open netns " + name);
  return fd;
}

std::array<uint8_t, 6> parse_mac(const std::string& s) {
  std::array<uint8_t, 6> m{};
  unsigned v[6] = {};
  std::sscanf(s.c_str(), "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]);
  for (int i = 0; i < 6; ++i) m[i] = static_cast<uint8_t>(v[i]);
  return m;
}

uint16_t ip_checksum(const uint8_t* p, size_t len) {
  uint32_t s = 0;
  for (size_t i = 0; i < len; i += 2) s += static_cast<uint32_t>(p[i] << 8 | p[i + 1]);
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return static_cast<uint16_t>(~s);
}

// 64-byte Ethernet/IPv4/UDP frame (UDP checksum 0: "none", valid for IPv4).
std::array<uint8_t, 64> udp_frame(const std::string& dmac, const Pod& from, const Pod& to) {
  std::array<uint8_t, 64> f{};
  auto d = parse_mac(dmac), s = parse_mac(from.mac);
  std::copy(d.begin(), d.end(), f.begin());
  std::copy(s.begin(), s.end(), f.begin() + 6);
  f[12] = 0x08;
  uint8_t* ip = &f[14];
  ip[0] = 0x45;
  ip[3] = 50;  // total length 20 + 8 + 22
  ip[6] = 0x40;
  ip[8] = 64;
  ip[9] = 17;
  inet_pton(AF_INET, from.ip.c_str(), ip + 12);
  inet_pton(AF_INET, to.ip.c_str(), ip + 16);
  uint16_t c = ip_checksum(ip, 20);
  ip[10] = c >> 8;
  ip[11] = c & 0xff;
  uint8_t* udp = ip + 20;
  udp[0] = 0x30, udp[1] = 0x39, udp[2] = 0x00, udp[3] = 0x09;  // 12345 -> 9 (discard)
  udp[5] = 30;
  return f;
}

void pin_to_cpu(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}
}  // namespace

namespace {
// The frames the AF_PACKET generator cycles through: the template, or one per flow with the
// flow's source address, destination port and IPv4 checksum written in (as gen_xdp does).
std::vector<std::array<uint8_t, 64>> frames_for(const std::array<uint8_t, 64>& frame, const std::vector<gen_flow>& flows) {
  if (flows.empty()) return {frame};
  std::vector<std::array<uint8_t, 64>> out(flows.size(), frame);
  for (size_t i = 0; i < flows.size(); ++i) {
    uint8_t* f = out[i].data();
    std::memcpy(f + 26, &flows[i].saddr, 4);
    std::memcpy(f + 36, &flows[i].dport, 2);
    f[24] = f[25] = 0;
    uint16_t c = ip_checksum(f + 14, 20);
    f[24] = c >> 8;
    f[25] = c & 0xff;
  }
  return out;
}

// BPF_PROG_RUN with live frames: gen_xdp rewrites each frame and XDP_TXes it out of `ifindex`
// (the fastest generator; some kernels and sandboxes refuse live frames with EPERM).
Status send_live_frames(int prog_fd, int ifindex, const std::array<uint8_t, 64>& frame, double seconds, double& elapsed) {
  std::array<uint8_t, 64> data = frame;
  xdp_md ctx{};
  ctx.data_end = sizeof(data);
  ctx.ingress_ifindex = static_cast<uint32_t>(ifindex);
  // The receiving side's softirq runs inside this syscall (XDP_TX schedules the peer's NAPI on
  // this CPU), so a call lasts as long as the slowest hop needs for its frames: a router that
  // forwards 500 pps kept a fixed call of 65536 frames for two minutes, and the next
  // measurement queued behind it. Each call is sized from the last one's rate to take about
  // a quarter of the time asked, so the run ends within one call of it on fast and slow paths
  // alike. Calls are not shorter: each costs ~25 ms of setup on this kernel, frames or not.
  const double call_s = std::clamp(seconds / 4, 0.05, 0.5);
  constexpr int kMinRepeat = 64, kMaxRepeat = 1 << 20;
  int repeat = kMinRepeat * 4;
  auto start = Clock::now();
  do {
    LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = data.data(), .data_size_in = sizeof(data), .ctx_in = &ctx,
                .ctx_size_in = sizeof(ctx), .repeat = repeat, .flags = BPF_F_TEST_XDP_LIVE_FRAMES, .batch_size = 64);
    auto call = Clock::now();
    if (bpf_prog_test_run_opts(prog_fd, &opts) != 0) return errno_error(errno, "live frames");
    double took = std::chrono::duration<double>(Clock::now() - call).count();
    double want = took > 0 ? repeat * call_s / took : kMaxRepeat;
    repeat = static_cast<int>(std::clamp(want, static_cast<double>(kMinRepeat), std::min<double>(kMaxRepeat, repeat * 8.0)));
  } while (std::chrono::duration<double>(Clock::now() - start).count() < seconds);
  elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  return {};
}

// An AF_PACKET TX ring (TPACKET_V2) with PACKET_QDISC_BYPASS: frames are written into the
// mapped ring and one send() hands the kernel every ready slot, so a syscall carries up to
// kSlots frames and the qdisc layer is skipped. Works wherever raw sockets do.
Status send_packet_ring(int ifindex, const std::vector<std::array<uint8_t, 64>>& frames, double seconds, double& elapsed) {
  constexpr unsigned kFrameSize = 256, kBlockSize = 1 << 16, kBlocks = 16, kSlots = kBlockSize / kFrameSize * kBlocks;
  UniqueFd fd(socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0));  // protocol 0: receives nothing
  if (!fd.valid()) return errno_error(errno, "AF_PACKET socket");
  int v = TPACKET_V2, one = 1;
  if (setsockopt(fd.get(), SOL_PACKET, PACKET_VERSION, &v, sizeof(v)) ||
      setsockopt(fd.get(), SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one)))
    return errno_error(errno, "AF_PACKET options");
  tpacket_req req{kBlockSize, kBlocks, kFrameSize, kSlots};
  if (setsockopt(fd.get(), SOL_PACKET, PACKET_TX_RING, &req, sizeof(req))) return errno_error(errno, "PACKET_TX_RING");
  sockaddr_ll ll{};
  ll.sll_family = AF_PACKET;
  ll.sll_protocol = htons(ETH_P_IP);
  ll.sll_ifindex = ifindex;
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&ll), sizeof(ll))) return errno_error(errno, "bind AF_PACKET");
  const size_t ring_len = static_cast<size_t>(kBlockSize) * kBlocks;
  void* ring = mmap(nullptr, ring_len, PROT_READ | PROT_WRITE, MAP_SHARED, fd.get(), 0);
  if (ring == MAP_FAILED) return errno_error(errno, "mmap TX ring");
  auto* base = static_cast<uint8_t*>(ring);
  const size_t data_off = TPACKET_ALIGN(sizeof(tpacket2_hdr));
  size_t slot = 0, next_frame = 0;
  Status st;
  auto start = Clock::now();
  do {
    // Fill every slot the kernel has given back, then one send() for all of them.
    for (unsigned n = 0; n < kSlots; ++n) {
      auto* hdr = reinterpret_cast<tpacket2_hdr*>(base + slot * kFrameSize);
      if (__atomic_load_n(&hdr->tp_status, __ATOMIC_ACQUIRE) != TP_STATUS_AVAILABLE) break;
      std::memcpy(base + slot * kFrameSize + data_off, frames[next_frame].data(), 64);
      next_frame = (next_frame + 1) % frames.size();
      hdr->tp_len = 64;
      __atomic_store_n(&hdr->tp_status, TP_STATUS_SEND_REQUEST, __ATOMIC_RELEASE);
      slot = (slot + 1) % kSlots;
    }
    if (send(fd.get(), nullptr, 0, 0) < 0 && errno != ENOBUFS && errno != EAGAIN) {
      st = errno_error(errno, "AF_PACKET send");
      break;
    }
  } while (std::chrono::duration<double>(Clock::now() - start).count() < seconds);
  elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  munmap(ring, ring_len);
  return st;
}
}  // namespace

Result<PpsResult> udp64_pps(const Pod& from, const Pod& to, const std::string& l2_dst, double seconds,
                            const std::vector<gen_flow>& flows) {
  if (flows.size() > GEN_MAX_FLOWS) return make_error(Errc::invalid_argument, "more flows than the generator holds");
  auto skel = Skeleton<struct benchgen>::open("benchgen");
  if (!skel) return skel.error();
  (*skel)->rodata->gen_nflows = static_cast<uint32_t>(flows.size());
  if (auto st = skel->load(); !st) return st.error();
  Map<uint32_t, gen_flow> flow_map((*skel)->maps.gen_flows);
  for (uint32_t i = 0; i < flows.size(); ++i)
    if (auto st = flow_map.update(i, flows[i]); !st) return st.error();
  auto from_ns = open_ns(from.netns);
  auto to_ns = open_ns(to.netns);
  if (!from_ns) return from_ns.error();
  if (!to_ns) return to_ns.error();

  Map<uint32_t, std::array<uint8_t, 64>> tmpl((*skel)->maps.gen_frame);
  auto frame = udp_frame(l2_dst, from, to);
  if (auto st = tmpl.update(0, frame); !st) return st.error();

  // The receiver counts and drops at TC ingress: kernel-forwarded skbs, frames XDP-redirected
  // (after the peer's XDP_PASS) and bpf_redirect_peer'd skbs all pass there.
  Result<Link> counter = make_error(Errc::not_found, "counter");
  if (auto st = run_in_netns(to_ns->get(), [&]() -> Status {
        counter = Link::create(bpf_program__fd((*skel)->progs.count_tc), static_cast<int>(if_nametoindex("eth0")),
                               kAttachTcxIngress);
        return {};
      });
      !st)
    return st.error();
  if (!counter) return counter.error();

  PerCpuMap<uint32_t, uint64_t> rx((*skel)->maps.rx_count);
  (void)rx.update_all(0, 0);
  // Live frames where the kernel allows them (asked once per process), else the TX ring.
  static std::optional<std::string> live_refused;
  double elapsed = 0;
  Status run_status;
  std::string generator;
  pin_to_cpu(0);
  (void)run_in_netns(from_ns->get(), [&]() -> Status {
    int ifindex = static_cast<int>(if_nametoindex("eth0"));
    if (!live_refused) {
      run_status = send_live_frames(bpf_program__fd((*skel)->progs.gen_xdp), ifindex, frame, seconds, elapsed);
      if (run_status) {
        generator = kGeneratorLiveFrames;
        return {};
      }
      live_refused = run_status.error().what();  // "live frames: Operation not permitted"
      (void)rx.update_all(0, 0);
    }
    generator = std::string(kGeneratorPacketRing) + " (" + *live_refused + ")";
    run_status = send_packet_ring(ifindex, frames_for(frame, flows), seconds, elapsed);
    return {};
  });
  if (!run_status) return run_status.error();
  // Frames still queued land within a few milliseconds: wait until the count stops growing.
  uint64_t got = 0;
  for (int i = 0; i < 50; ++i) {
    uint64_t now = 0;
    if (auto v = rx.lookup(0))
      for (auto c : *v) now += c;
    if (i > 0 && now == got) break;
    got = now;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (got == 0) return make_error(Errc::not_found, "no frame reached the receiver (" + generator + ")");
  return PpsResult{got / elapsed, generator};
}

namespace {
bool read_exact(int fd, char* buf, size_t n) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = read(fd, buf + got, n - got);
    if (r <= 0) return false;
    got += static_cast<size_t>(r);
  }
  return true;
}

// Every blocking call of the timing loops gives up after this: a back end that drops the
// traffic ends the measurement with an error instead of hanging the benchmark.
constexpr int kIoTimeoutMs = 3000;

void set_io_timeouts(int fd) {
  timeval tv{kIoTimeoutMs / 1000, (kIoTimeoutMs % 1000) * 1000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));  // connect() honours it too
}

UniqueFd accept_within(int listener) {
  pollfd p{listener, POLLIN, 0};
  if (poll(&p, 1, kIoTimeoutMs) != 1) return UniqueFd();
  UniqueFd c(accept(listener, nullptr, nullptr));
  if (c.valid()) set_io_timeouts(c.get());
  return c;
}

// Listens in `server`'s namespace on port; returns the listening socket.
Result<UniqueFd> listen_in(const Pod& server, int port) {
  auto sns = open_ns(server.netns);
  if (!sns) return sns.error();
  UniqueFd listener;
  Status st = run_in_netns(sns->get(), [&]() -> Status {
    bool v6 = server.ip.find(':') != std::string::npos;
    listener.reset(socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    int one = 1;
    setsockopt(listener.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in6 a6{};
    sockaddr_in a4{};
    a6.sin6_family = AF_INET6;
    a6.sin6_port = htons(static_cast<uint16_t>(port));
    a4.sin_family = AF_INET;
    a4.sin_port = htons(static_cast<uint16_t>(port));
    sockaddr* a = v6 ? reinterpret_cast<sockaddr*>(&a6) : reinterpret_cast<sockaddr*>(&a4);
    if (bind(listener.get(), a, v6 ? sizeof(a6) : sizeof(a4)) || listen(listener.get(), 64))
      return errno_error(errno, "bind port " + std::to_string(port));
    return {};
  });
  if (!st) return st.error();
  return listener;
}

// A TCP connection to ip:port from the calling thread's namespace, TCP_NODELAY.
Result<UniqueFd> connect_here(const std::string& ip, int port) {
  bool v6 = ip.find(':') != std::string::npos;
  UniqueFd sock(socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  set_io_timeouts(sock.get());
  sockaddr_in6 a6{};
  sockaddr_in a4{};
  a6.sin6_family = AF_INET6;
  a6.sin6_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET6, ip.c_str(), &a6.sin6_addr);
  a4.sin_family = AF_INET;
  a4.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, ip.c_str(), &a4.sin_addr);
  sockaddr* a = v6 ? reinterpret_cast<sockaddr*>(&a6) : reinterpret_cast<sockaddr*>(&a4);
  if (connect(sock.get(), a, v6 ? sizeof(a6) : sizeof(a4))) return errno_error(errno, "connect " + ip);
  int one = 1;
  setsockopt(sock.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return sock;
}

Result<UniqueFd> connect_from(const Pod& client, const std::string& ip, int port) {
  auto cns = open_ns(client.netns);
  if (!cns) return cns.error();
  Result<UniqueFd> sock = make_error(Errc::not_found, "connect");
  Status st = run_in_netns(cns->get(), [&]() -> Status {
    sock = connect_here(ip, port);
    return {};
  });
  if (!st) return st.error();
  return sock;
}
}  // namespace

Result<Latency> tcp_rr(const Pod& client, const Pod& server, int count, int cpu, size_t size, int port, int listen_port) {
  auto listener = listen_in(server, listen_port ? listen_port : port);
  if (!listener) return listener.error();
  std::thread srv([&] {
    pin_to_cpu(cpu);
    UniqueFd c = accept_within(listener->get());
    int one = 1;
    setsockopt(c.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    std::vector<char> buf(size);
    while (read_exact(c.get(), buf.data(), size))
      if (write(c.get(), buf.data(), size) != static_cast<ssize_t>(size)) return;
  });
  auto sock = connect_from(client, server.ip, port);
  if (!sock) {
    shutdown(listener->get(), SHUT_RDWR);
    srv.join();
    return sock.error();
  }
  pin_to_cpu(cpu);
  std::vector<double> us;
  us.reserve(count);
  std::vector<char> buf(size, 1);
  for (int i = 0; i < count + 1000; ++i) {  // first 1000 warm up
    auto t0 = Clock::now();
    if (write(sock->get(), buf.data(), size) != static_cast<ssize_t>(size)) break;
    if (!read_exact(sock->get(), buf.data(), size)) break;
    if (i >= 1000) us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
  }
  sock->reset();
  srv.join();
  if (us.empty()) return make_error(Errc::not_found, "no round trips completed");
  std::sort(us.begin(), us.end());
  return Latency{us[us.size() / 2], us[us.size() * 99 / 100]};
}

Result<Latency> tcp_connect_rr(const Pod& client, const Pod& server, const std::string& addr, int port, int listen_port,
                               int count, size_t size) {
  auto listener = listen_in(server, listen_port);
  if (!listener) return listener.error();
  std::atomic<bool> done{false};
  std::thread srv([&] {
    pin_to_cpu(1);
    std::vector<char> buf(size);
    while (!done) {
      UniqueFd c = accept_within(listener->get());
      if (!c.valid()) continue;
      if (read_exact(c.get(), buf.data(), size)) (void)!write(c.get(), buf.data(), size);
    }
  });
  pin_to_cpu(0);
  std::vector<double> us;
  std::vector<char> buf(size, 1);
  std::string failure;
  auto cns = open_ns(client.netns);
  if (!cns) failure = cns.error().what();
  else
    (void)run_in_netns(cns->get(), [&]() -> Status {
      for (int i = 0; i < count + 50 && failure.empty(); ++i) {  // first 50 warm up
        auto t0 = Clock::now();
        auto sock = connect_here(addr, port);
        if (!sock) {
          failure = sock.error().what();
          break;
        }
        if (write(sock->get(), buf.data(), size) != static_cast<ssize_t>(size) || !read_exact(sock->get(), buf.data(), size))
          failure = "no answer from " + addr;
        else if (i >= 50)
          us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
      }
      return {};
    });
  done = true;
  shutdown(listener->get(), SHUT_RDWR);  // wakes the server's poll now, not after its timeout
  srv.join();
  if (!failure.empty()) return make_error(Errc::not_found, failure);
  std::sort(us.begin(), us.end());
  return Latency{us[us.size() / 2], us[us.size() * 99 / 100]};
}

Result<double> tcp_stream_inproc(const Pod& client, const Pod& server, double seconds, size_t write_size, int port) {
  auto listener = listen_in(server, port);
  if (!listener) return listener.error();
  uint64_t received = 0;
  std::thread srv([&] {
    pin_to_cpu(1);
    UniqueFd c = accept_within(listener->get());
    std::vector<char> buf(1 << 20);
    ssize_t n;
    while ((n = read(c.get(), buf.data(), buf.size())) > 0) received += static_cast<uint64_t>(n);
  });
  auto sock = connect_from(client, server.ip, port);
  if (!sock) {
    shutdown(listener->get(), SHUT_RDWR);
    srv.join();
    return sock.error();
  }
  pin_to_cpu(0);
  std::vector<char> buf(write_size, 7);
  auto start = Clock::now();
  while (std::chrono::duration<double>(Clock::now() - start).count() < seconds)
    if (write(sock->get(), buf.data(), buf.size()) <= 0) break;
  sock->reset();
  srv.join();
  double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  return received * 8 / elapsed / 1e9;
}

Result<double> tcp_stream_gbps(const Pod& client, const Pod& server, double seconds) {
  auto run = [](const std::string& cmd) {
    std::string out;
    FILE* p = popen((cmd + " 2>&1").c_str(), "r");
    if (!p) return out;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
    pclose(p);
    return out;
  };
  run("ip netns exec " + server.netns + " iperf3 -s -1 -D -p 5299 -A 1 --logfile /dev/null");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto out = run("ip netns exec " + client.netns + " timeout 30 iperf3 -J -p 5299 -A 0 -t " +
                 std::to_string(seconds) + " -c " + server.ip);
  run("ip netns exec " + server.netns + " pkill -f 'iperf3 -s -1 -D -p 5299'");
  auto j = nlohmann::json::parse(out, nullptr, false);
  if (j.is_discarded() || !j.contains("end")) return make_error(Errc::not_found, "iperf3: " + out.substr(0, 300));
  return j["end"]["sum_received"]["bits_per_second"].get<double>() / 1e9;
}

}  // namespace netaccel::bench
