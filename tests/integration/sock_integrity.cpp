// Byte-exactness over TCP for the sockmap tests. The server echoes every byte back; the client
// sends messages of random sizes (1 B .. max) with write, writev, send(MSG_MORE) and sendfile,
// checks the echo byte for byte, then half-closes and expects the server's EOF. client-reset
// aborts a connection mid-stream with RST.
//   sock_integrity server ADDR PORT [--slow-reader MS]
//   sock_integrity client ADDR PORT COUNT MAX_SIZE SEED
//   sock_integrity client-reset ADDR PORT
//   sock_integrity proxy ADDR PORT        (transparent proxy using SO_ORIGINAL_DST)
// Exit 0 on success; a message on stderr and exit 1 on any difference.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace {
int fail(const char* what) {
  std::fprintf(stderr, "sock_integrity: %s: %s\n", what, std::strerror(errno));
  return 1;
}

sockaddr_storage make_addr(const char* ip, int port, socklen_t* len) {
  sockaddr_storage ss{};
  if (std::strchr(ip, ':')) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(static_cast<uint16_t>(port));
    inet_pton(AF_INET6, ip, &a->sin6_addr);
    *len = sizeof(*a);
  } else {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    a->sin_family = AF_INET;
    a->sin_port = htons(static_cast<uint16_t>(port));
    inet_pton(AF_INET, ip, &a->sin_addr);
    *len = sizeof(*a);
  }
  return ss;
}

// read() on a blocking socket. An accelerated socket (sockmap, sk_msg redirect) can return
// EAGAIN without a timeout set: the kernel's tcp_bpf receive path gives up when a wake-up finds
// neither queued data nor (yet) the peer's FIN, typically around a shutdown. Such a read is
// simply issued again, as EAGAIN says; only a bounded number of times, so a socket that really
// never delivers still fails the test.
ssize_t read_blocking(int fd, char* buf, size_t n) {
  for (int spurious = 0;; ++spurious) {
    ssize_t r = read(fd, buf, n);
    if (r >= 0 || (errno != EAGAIN && errno != EINTR) || spurious == 1000) return r;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

bool read_exact(int fd, char* buf, size_t n) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = read_blocking(fd, buf + got, n - got);
    if (r <= 0) return false;
    got += static_cast<size_t>(r);
  }
  return true;
}

// mode 0: write; 1: writev in two pieces; 2: send with MSG_MORE for all but the last byte;
// 3: sendfile from a memfd holding the bytes.
bool write_all(int fd, const char* buf, size_t n, int mode) {
  if (mode == 3) {
    int mfd = memfd_create("sock_integrity", MFD_CLOEXEC);
    if (mfd < 0 || write(mfd, buf, n) != static_cast<ssize_t>(n)) return false;
    off_t off = 0;
    while (static_cast<size_t>(off) < n)
      if (sendfile(fd, mfd, &off, n - static_cast<size_t>(off)) <= 0) {
        close(mfd);
        return false;
      }
    close(mfd);
    return true;
  }
  size_t done = 0;
  while (done < n) {
    ssize_t w;
    size_t left = n - done;
    if (mode == 1 && left > 1) {
      iovec iov[2] = {{const_cast<char*>(buf + done), left / 2}, {const_cast<char*>(buf + done + left / 2), left - left / 2}};
      w = writev(fd, iov, 2);
    } else if (mode == 2 && left > 1) {
      w = send(fd, buf + done, left - 1, MSG_MORE);
    } else {
      w = write(fd, buf + done, left);
    }
    if (w <= 0) return false;
    done += static_cast<size_t>(w);
  }
  return true;
}

// A listening TCP socket on ip:port, or -1.
int listen_on(const char* ip, int port, int* family = nullptr) {
  socklen_t len;
  auto addr = make_addr(ip, port, &len);
  if (family) *family = addr.ss_family;
  int l = socket(addr.ss_family, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (bind(l, reinterpret_cast<sockaddr*>(&addr), len) || listen(l, 16)) return -1;
  return l;
}

int server(const char* ip, int port, int slow_ms) {
  int l = listen_on(ip, port);
  if (l < 0) return fail("bind/listen");
  std::printf("listening\n");
  std::fflush(stdout);
  while (true) {
    int c = accept(l, nullptr, nullptr);
    if (c < 0) return fail("accept");
    std::thread([c, slow_ms] {
      if (slow_ms) std::this_thread::sleep_for(std::chrono::milliseconds(slow_ms));  // peer not reading
      std::vector<char> buf(1 << 16);
      while (true) {
        ssize_t n = read_blocking(c, buf.data(), buf.size());
        if (n <= 0) break;
        if (!write_all(c, buf.data(), static_cast<size_t>(n), 0)) break;
      }
      shutdown(c, SHUT_WR);
      close(c);
    }).detach();
  }
}

int client(const char* ip, int port, int count, size_t max_size, unsigned seed) {
  socklen_t len;
  auto addr = make_addr(ip, port, &len);
  int s = socket(addr.ss_family, SOCK_STREAM, 0);
  if (connect(s, reinterpret_cast<sockaddr*>(&addr), len)) return fail("connect");
  std::mt19937 rng(seed);
  std::vector<char> out, in;
  uint64_t total = 0;
  for (int i = 0; i < count; ++i) {
    // Mostly small, sometimes large: log-uniform sizes 1 .. max_size.
    double e = std::uniform_real_distribution<double>(0, std::log2(static_cast<double>(max_size)))(rng);
    size_t n = std::max<size_t>(1, static_cast<size_t>(std::pow(2.0, e)));
    out.resize(n);
    for (auto& ch : out) ch = static_cast<char>(rng());
    // The echo of a large message comes back while we are still sending it: read concurrently.
    in.assign(n, 0);
    bool read_ok = true;
    std::thread reader([&] { read_ok = read_exact(s, in.data(), n); });
    bool write_ok = write_all(s, out.data(), n, i % 4);
    reader.join();
    if (!write_ok || !read_ok) return fail(("message " + std::to_string(i) + " of " + std::to_string(n) + " bytes").c_str());
    if (std::memcmp(in.data(), out.data(), n) != 0) {
      std::fprintf(stderr, "sock_integrity: message %d (%zu bytes) came back different\n", i, n);
      return 1;
    }
    total += n;
  }
  shutdown(s, SHUT_WR);
  char c;
  if (ssize_t r = read_blocking(s, &c, 1); r != 0) {
    // Which of data, a reset or another error came instead: a rare CI failure did not say.
    std::fprintf(stderr, "sock_integrity: expected EOF after half-close, read returned %zd (%s)\n", r,
                 r < 0 ? std::strerror(errno) : "data");
    return 1;
  }
  std::printf("ok %d messages %llu bytes\n", count, static_cast<unsigned long long>(total));
  return 0;
}
// A minimal transparent proxy for the IPv6 sidecar test (HAProxy reads only the IPv4 original
// destination): accepts, asks getsockopt(SO_ORIGINAL_DST / IP6T_SO_ORIGINAL_DST), connects
// there and relays both ways.
void relay(int from, int to) {
  std::vector<char> buf(1 << 16);
  ssize_t n;
  while ((n = read_blocking(from, buf.data(), buf.size())) > 0)
    if (!write_all(to, buf.data(), static_cast<size_t>(n), 0)) break;
  shutdown(to, SHUT_WR);
}

int proxy(const char* ip, int port) {
  int family = AF_INET;
  int l = listen_on(ip, port, &family);
  if (l < 0) return fail("proxy bind/listen");
  while (true) {
    int c = accept(l, nullptr, nullptr);
    if (c < 0) return fail("accept");
    sockaddr_storage orig{};
    socklen_t olen = sizeof(orig);
    bool v6 = family == AF_INET6;
    if (getsockopt(c, v6 ? SOL_IPV6 : SOL_IP, 80 /* SO_ORIGINAL_DST */, &orig, &olen) != 0) {
      std::fprintf(stderr, "sock_integrity proxy: no original destination: %s\n", std::strerror(errno));
      close(c);
      continue;
    }
    int u = socket(orig.ss_family, SOCK_STREAM, 0);
    if (connect(u, reinterpret_cast<sockaddr*>(&orig), olen) != 0) {
      close(c);
      close(u);
      continue;
    }
    std::thread([c, u] {
      std::thread back(relay, u, c);
      relay(c, u);
      back.join();
      close(c);
      close(u);
    }).detach();
  }
}

// Sends part of a large message, then aborts the connection with RST (SO_LINGER 0).
int client_reset(const char* ip, int port) {
  socklen_t len;
  auto addr = make_addr(ip, port, &len);
  int s = socket(addr.ss_family, SOCK_STREAM, 0);
  if (connect(s, reinterpret_cast<sockaddr*>(&addr), len)) return fail("connect");
  std::vector<char> out(256 * 1024, 'x');
  if (!write_all(s, out.data(), out.size() / 2, 0)) return fail("write before reset");
  linger lg{1, 0};
  setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
  close(s);
  std::printf("reset sent\n");
  return 0;
}
}  // namespace

int main(int argc, char** argv) {
  if (argc >= 4 && std::string(argv[1]) == "server")
    return server(argv[2], std::atoi(argv[3]), argc >= 6 ? std::atoi(argv[5]) : 0);
  if (argc >= 4 && std::string(argv[1]) == "client-reset") return client_reset(argv[2], std::atoi(argv[3]));
  if (argc >= 4 && std::string(argv[1]) == "proxy") return proxy(argv[2], std::atoi(argv[3]));
  if (argc >= 7 && std::string(argv[1]) == "client")
    return client(argv[2], std::atoi(argv[3]), std::atoi(argv[4]), std::strtoul(argv[5], nullptr, 10),
                  static_cast<unsigned>(std::atoi(argv[6])));
  std::fprintf(stderr, "usage: sock_integrity server ADDR PORT [--slow-reader MS] | client ADDR PORT COUNT MAX SEED\n");
  return 2;
}
