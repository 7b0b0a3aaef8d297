#include "socket.h"

#include <sys/epoll.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "stats.h"

extern "C" {
#include "lwip/netif.h"
}

namespace gazelle {

namespace {

uint64_t g_connection_limit = UINT64_MAX;

// tcp_write and tcp_recved take 16-bit lengths.
constexpr size_t kMaxChunk = 0xffff;

void to_lwip(const sockaddr_in& a, ip_addr_t* ip) { ip_addr_set_ip4_u32(ip, a.sin_addr.s_addr); }

sockaddr_in from_lwip(const ip_addr_t* ip, u16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = ip_2_ip4(ip)->addr;
  a.sin_port = htons(port);
  return a;
}

size_t iov_total(const iovec* iov, int n) {
  size_t t = 0;
  for (int i = 0; i < n; ++i) t += iov[i].iov_len;
  return t;
}

// Copies len bytes starting at `off` of chain p into the iovec.
void copy_to_iov(pbuf* p, size_t off, size_t len, const iovec* iov, int iovcnt, size_t iov_off) {
  for (int i = 0; i < iovcnt && len; ++i) {
    if (iov_off >= iov[i].iov_len) {
      iov_off -= iov[i].iov_len;
      continue;
    }
    size_t n = std::min(len, iov[i].iov_len - iov_off);
    pbuf_copy_partial(p, static_cast<char*>(iov[i].iov_base) + iov_off, static_cast<u16_t>(n), static_cast<u16_t>(off));
    off += n;
    len -= n;
    iov_off = 0;
  }
}

}  // namespace

void set_connection_limit(uint64_t limit) { g_connection_limit = limit; }

int errno_from_lwip(err_t err) {
  switch (err) {
    case ERR_OK: return 0;
    case ERR_MEM: return ENOMEM;
    case ERR_BUF: return ENOBUFS;
    case ERR_TIMEOUT: return ETIMEDOUT;
    case ERR_RTE: return EHOSTUNREACH;
    case ERR_INPROGRESS: return EINPROGRESS;
    case ERR_VAL: return EINVAL;
    case ERR_WOULDBLOCK: return EWOULDBLOCK;
    case ERR_USE: return EADDRINUSE;
    case ERR_ALREADY: return EALREADY;
    case ERR_ISCONN: return EISCONN;
    case ERR_CONN: return ENOTCONN;
    case ERR_IF: return ENETDOWN;
    case ERR_ABRT: return ECONNABORTED;
    case ERR_RST: return ECONNRESET;
    case ERR_CLSD: return ENOTCONN;
    case ERR_ARG: return EINVAL;
    default: return EIO;
  }
}

Sock::~Sock() {
  for (pbuf* p : rx_) pbuf_free(p);
  for (auto& d : dgrams_) pbuf_free(d.p);
  for (auto& s : accept_q_) s->abort();
  if (pcb_) abort();
  if (upcb_) {
    udp_remove(upcb_);
    counters().udp_sockets--;
  }
}

Events Sock::ready() const {
  Events ev = 0;
  if (type_ == SOCK_DGRAM) {
    if (!dgrams_.empty()) ev |= EPOLLIN;
    return ev | EPOLLOUT;
  }
  if (listening_) return accept_q_.empty() ? 0u : static_cast<Events>(EPOLLIN);
  if (error_ || fatal_) ev |= EPOLLERR;
  if (rx_bytes_ || rx_fin_ || fatal_) ev |= EPOLLIN;
  if (rx_fin_) ev |= EPOLLRDHUP;
  if (fatal_ || (rx_fin_ && shut_wr_)) ev |= EPOLLHUP;
  if (fatal_ || (connected_ && (shut_wr_ || (pcb_ && tcp_sndbuf(pcb_) >= TCP_SNDLOWAT &&
                                                tcp_sndqueuelen(pcb_) < TCP_SND_QUEUELEN / 2))))
    ev |= EPOLLOUT;
  if (!connected_ && !connecting_ && !was_connected_ && !fatal_) ev |= EPOLLOUT | EPOLLHUP;  // never connected
  return ev;
}

int Sock::ensure_pcb() {
  if (type_ == SOCK_STREAM) {
    if (pcb_ || listening_) return 0;
    pcb_ = tcp_new_ip_type(IPADDR_TYPE_V4);
    if (!pcb_) return -ENOBUFS;
    attach_tcp(pcb_);
    return 0;
  }
  if (upcb_) return 0;
  upcb_ = udp_new_ip_type(IPADDR_TYPE_V4);
  if (!upcb_) return -ENOBUFS;
  udp_recv(upcb_, on_udp_recv, this);
  counters().udp_sockets++;
  return 0;
}

void Sock::attach_tcp(tcp_pcb* pcb) {
  pcb_ = pcb;
  tcp_arg(pcb, this);
  tcp_recv(pcb, on_recv);
  tcp_sent(pcb, on_sent);
  tcp_err(pcb, on_error);
}

void Sock::detach_tcp() {
  if (!pcb_) return;
  tcp_arg(pcb_, nullptr);
  if (!listening_) {
    tcp_recv(pcb_, nullptr);
    tcp_sent(pcb_, nullptr);
    tcp_err(pcb_, nullptr);
  } else {
    tcp_accept(pcb_, nullptr);
  }
  pcb_ = nullptr;
}

int Sock::bind(const sockaddr_in& addr) {
  if (bound_) return -EINVAL;
  if (int rc = ensure_pcb()) return rc;
  ip_addr_t ip;
  to_lwip(addr, &ip);
  err_t err;
  if (type_ == SOCK_STREAM) {
    if (reuseaddr_) ip_set_option(pcb_, SOF_REUSEADDR);
    err = tcp_bind(pcb_, &ip, ntohs(addr.sin_port));
  } else {
    err = udp_bind(upcb_, &ip, ntohs(addr.sin_port));
  }
  if (err != ERR_OK) return -errno_from_lwip(err);
  bound_ = true;
  local_ = addr;
  local_.sin_port = htons(type_ == SOCK_STREAM ? pcb_->local_port : upcb_->local_port);
  return 0;
}

int Sock::listen(int backlog) {
  if (type_ != SOCK_STREAM) return -EOPNOTSUPP;
  if (listening_) return 0;
  if (!bound_ || !pcb_) return -EDESTADDRREQ;
  (void)backlog;  // connections wait in accept_q_; lwIP's own backlog limit is off
  tcp_pcb* lpcb = tcp_listen_with_backlog(pcb_, TCP_DEFAULT_LISTEN_BACKLOG);
  if (!lpcb) return -ENOBUFS;
  pcb_ = lpcb;
  listening_ = true;
  tcp_arg(lpcb, this);
  tcp_accept(lpcb, on_accept);
  counters().tcp_listeners++;
  return 0;
}

err_t Sock::on_accept(void* arg, tcp_pcb* newpcb, err_t err) {
  auto* self = static_cast<Sock*>(arg);
  if (!self || err != ERR_OK || !newpcb) return ERR_VAL;
  if (counters().tcp_conns >= g_connection_limit) {
    tcp_abort(newpcb);
    return ERR_ABRT;
  }
  auto s = std::make_shared<Sock>(SOCK_STREAM, false);
  s->attach_tcp(newpcb);
  s->connected_ = s->was_connected_ = true;
  s->bound_ = true;
  s->local_ = from_lwip(&newpcb->local_ip, newpcb->local_port);
  s->peer_ = from_lwip(&newpcb->remote_ip, newpcb->remote_port);
  if (self->nodelay_inherit_) tcp_nagle_disable(newpcb);
  self->accept_q_.push_back(std::move(s));
  self->gen_++;
  counters().tcp_accepted++;
  counters().tcp_conns++;
  return ERR_OK;
}

int Sock::accept(std::shared_ptr<Sock>* out) {
  if (!listening_) return -EINVAL;
  if (accept_q_.empty()) return -EAGAIN;
  *out = std::move(accept_q_.front());
  accept_q_.pop_front();
  return 0;
}

int Sock::connect(const sockaddr_in& addr) {
  ip_addr_t ip;
  to_lwip(addr, &ip);
  if (type_ == SOCK_DGRAM) {
    if (int rc = ensure_pcb()) return rc;
    if (addr.sin_family == AF_UNSPEC) {
      udp_disconnect(upcb_);
      peer_ = {};
      return 0;
    }
    err_t err = udp_connect(upcb_, &ip, ntohs(addr.sin_port));
    if (err != ERR_OK) return -errno_from_lwip(err);
    peer_ = addr;
    local_ = from_lwip(&upcb_->local_ip, upcb_->local_port);
    if (local_.sin_addr.s_addr == INADDR_ANY && netif_default)  // as Linux: the route's source
      local_.sin_addr.s_addr = netif_ip4_addr(netif_default)->addr;
    bound_ = true;
    return 0;
  }
  if (listening_) return -EINVAL;
  if (connected_) return -EISCONN;
  if (connecting_) return -EALREADY;
  if (fatal_) return -fatal_;
  if (counters().tcp_conns >= g_connection_limit) return -ENOBUFS;
  if (int rc = ensure_pcb()) return rc;
  err_t err = tcp_connect(pcb_, &ip, ntohs(addr.sin_port), on_connected);
  if (err != ERR_OK) return -errno_from_lwip(err);
  connecting_ = true;
  peer_ = addr;
  bound_ = true;
  local_ = from_lwip(&pcb_->local_ip, pcb_->local_port);
  return -EINPROGRESS;
}

int Sock::connect_result() const {
  if (connected_) return 0;
  if (fatal_) return -fatal_;
  return connecting_ ? -EINPROGRESS : -ENOTCONN;
}

err_t Sock::on_connected(void* arg, tcp_pcb* pcb, err_t err) {
  auto* self = static_cast<Sock*>(arg);
  if (!self) return ERR_ABRT;
  (void)pcb;
  self->connecting_ = false;
  if (err != ERR_OK) {
    self->error_ = self->fatal_ = errno_from_lwip(err);
  } else {
    self->connected_ = self->was_connected_ = true;
    counters().tcp_connected++;
    counters().tcp_conns++;
  }
  self->gen_++;
  return ERR_OK;
}

err_t Sock::on_recv(void* arg, tcp_pcb* pcb, pbuf* p, err_t err) {
  auto* self = static_cast<Sock*>(arg);
  if (!self) {  // closed by the application: drop what still arrives
    if (p) {
      tcp_recved(pcb, p->tot_len);
      pbuf_free(p);
    }
    return ERR_OK;
  }
  if (!p) {
    self->rx_fin_ = true;
  } else if (err != ERR_OK || self->shut_rd_) {
    tcp_recved(pcb, p->tot_len);
    pbuf_free(p);
    return ERR_OK;
  } else {
    self->rx_bytes_ += p->tot_len;
    self->rx_.push_back(p);
  }
  self->gen_++;
  return ERR_OK;
}

err_t Sock::on_sent(void* arg, tcp_pcb*, u16_t) {
  if (auto* self = static_cast<Sock*>(arg)) self->gen_++;
  return ERR_OK;
}

void Sock::on_error(void* arg, err_t err) {
  auto* self = static_cast<Sock*>(arg);
  if (!self) return;
  self->pcb_ = nullptr;  // lwIP has freed it
  int e = errno_from_lwip(err);
  if (self->connecting_ && err == ERR_RST) e = ECONNREFUSED;
  if (err == ERR_RST) counters().tcp_resets_rx++;
  if (self->connected_) counters().tcp_conns--;
  self->connecting_ = self->connected_ = false;
  self->fatal_ = self->error_ = e;
  self->gen_++;
}

void Sock::on_udp_recv(void* arg, udp_pcb*, pbuf* p, const ip_addr_t* addr, u16_t port) {
  auto* self = static_cast<Sock*>(arg);
  constexpr size_t kMaxQueued = 4096;  // like a socket receive buffer: drop when full
  if (self->dgrams_.size() >= kMaxQueued) {
    pbuf_free(p);
    return;
  }
  Datagram d{p, *addr, port};
  self->dgrams_.push_back(d);
  self->gen_++;
}

ssize_t Sock::recv(const iovec* iov, int iovcnt, int flags, sockaddr_in* from, bool* truncated) {
  if (type_ == SOCK_DGRAM) return recv_datagram(iov, iovcnt, flags, from, truncated);
  if (from) *from = peer_;
  return recv_stream(iov, iovcnt, flags);
}

ssize_t Sock::recv_stream(const iovec* iov, int iovcnt, int flags) {
  if (listening_) return -ENOTCONN;
  size_t want = iov_total(iov, iovcnt);
  if (rx_bytes_ == 0) {
    if (error_ && fatal_) {  // report a reset once as the error, then as end of stream
      int e = error_;
      error_ = 0;
      return -e;
    }
    if (rx_fin_ || fatal_ || shut_rd_) return 0;
    if (!connected_ && !connecting_) return -ENOTCONN;
    return want ? -EAGAIN : 0;
  }
  size_t n = std::min(want, rx_bytes_);
  size_t done = 0;
  for (pbuf* p : rx_) {
    if (done == n) break;
    size_t take = std::min<size_t>(n - done, p->tot_len);
    copy_to_iov(p, 0, take, iov, iovcnt, done);
    done += take;
  }
  if (flags & MSG_PEEK) return static_cast<ssize_t>(n);
  size_t left = n;
  while (left) {
    pbuf* p = rx_.front();
    if (p->tot_len <= left) {
      left -= p->tot_len;
      rx_.pop_front();
      pbuf_free(p);
    } else {
      rx_.front() = pbuf_free_header(p, static_cast<u16_t>(left));
      left = 0;
    }
  }
  rx_bytes_ -= n;
  if (pcb_) {
    for (size_t acked = 0; acked < n; acked += kMaxChunk)
      tcp_recved(pcb_, static_cast<u16_t>(std::min(kMaxChunk, n - acked)));
  }
  gen_++;
  return static_cast<ssize_t>(n);
}

ssize_t Sock::recv_datagram(const iovec* iov, int iovcnt, int flags, sockaddr_in* from, bool* truncated) {
  if (dgrams_.empty()) return -EAGAIN;
  Datagram& d = dgrams_.front();
  size_t want = iov_total(iov, iovcnt);
  size_t n = std::min<size_t>(want, d.p->tot_len);
  copy_to_iov(d.p, 0, n, iov, iovcnt, 0);
  size_t full = d.p->tot_len;
  if (from) *from = from_lwip(&d.addr, d.port);
  if (truncated) *truncated = full > want;
  if (!(flags & MSG_PEEK)) {
    pbuf_free(d.p);
    dgrams_.pop_front();
  }
  return static_cast<ssize_t>((flags & MSG_TRUNC) ? full : n);
}

ssize_t Sock::send(const iovec* iov, int iovcnt, const sockaddr_in* to) {
  if (type_ == SOCK_DGRAM) return send_datagram(iov, iovcnt, to);
  return send_stream(iov, iovcnt);
}

ssize_t Sock::send_stream(const iovec* iov, int iovcnt) {
  if (fatal_) {
    error_ = 0;
    return -(fatal_ == ECONNREFUSED ? ECONNREFUSED : EPIPE);
  }
  if (shut_wr_) return -EPIPE;
  if (!connected_ || !pcb_) return connecting_ ? -EAGAIN : -ENOTCONN;
  size_t total = iov_total(iov, iovcnt);
  size_t sent = 0;
  for (int i = 0; i < iovcnt; ++i) {
    const char* base = static_cast<const char*>(iov[i].iov_base);
    size_t off = 0;
    while (off < iov[i].iov_len) {
      size_t room = std::min<size_t>(tcp_sndbuf(pcb_), kMaxChunk);
      if (room == 0 || tcp_sndqueuelen(pcb_) >= TCP_SND_QUEUELEN - 4) goto out;
      size_t n = std::min(room, iov[i].iov_len - off);
      u8_t wflags = TCP_WRITE_FLAG_COPY;
      if (sent + n < total) wflags |= TCP_WRITE_FLAG_MORE;
      err_t err = tcp_write(pcb_, base + off, static_cast<u16_t>(n), wflags);
      if (err == ERR_MEM) goto out;
      if (err != ERR_OK) return sent ? static_cast<ssize_t>(sent) : -errno_from_lwip(err);
      off += n;
      sent += n;
    }
  }
out:
  if (sent) tcp_output(pcb_);
  return sent ? static_cast<ssize_t>(sent) : (total ? -EAGAIN : 0);
}

ssize_t Sock::send_datagram(const iovec* iov, int iovcnt, const sockaddr_in* to) {
  if (int rc = ensure_pcb()) return rc;
  size_t total = iov_total(iov, iovcnt);
  if (total > 65507) return -EMSGSIZE;
  if (!to && peer_.sin_family != AF_INET) return -EDESTADDRREQ;
  pbuf* p = pbuf_alloc(PBUF_TRANSPORT, static_cast<u16_t>(total), PBUF_RAM);
  if (!p) return -ENOBUFS;
  size_t off = 0;
  for (int i = 0; i < iovcnt; ++i) {
    pbuf_take_at(p, iov[i].iov_base, static_cast<u16_t>(iov[i].iov_len), static_cast<u16_t>(off));
    off += iov[i].iov_len;
  }
  err_t err;
  if (to) {
    ip_addr_t ip;
    to_lwip(*to, &ip);
    err = udp_sendto(upcb_, p, &ip, ntohs(to->sin_port));
  } else {
    err = udp_send(upcb_, p);
  }
  pbuf_free(p);
  if (!bound_) {
    bound_ = true;
    local_ = from_lwip(&upcb_->local_ip, upcb_->local_port);
  }
  if (err != ERR_OK) return -errno_from_lwip(err);
  return static_cast<ssize_t>(total);
}

int Sock::shutdown(int how) {
  if (type_ != SOCK_STREAM) return 0;
  if (!connected_ && !fatal_) return -ENOTCONN;
  bool rd = how == SHUT_RD || how == SHUT_RDWR;
  bool wr = how == SHUT_WR || how == SHUT_RDWR;
  if (rd) shut_rd_ = true;
  if (wr && !shut_wr_ && pcb_) {
    err_t err = tcp_shutdown(pcb_, 0, 1);
    if (err != ERR_OK) return -errno_from_lwip(err);
    shut_wr_ = true;
  }
  gen_++;
  return 0;
}

void Sock::close() {
  if (type_ == SOCK_DGRAM) return;  // the destructor removes the UDP pcb
  for (auto& s : accept_q_) s->abort();
  accept_q_.clear();
  if (!pcb_) return;
  if (listening_) {
    counters().tcp_listeners--;
    tcp_pcb* p = pcb_;
    detach_tcp();
    tcp_close(p);
    return;
  }
  if (rx_bytes_ || linger_abort_) {  // as Linux: unread data means the peer gets a RST
    abort();
    return;
  }
  tcp_pcb* p = pcb_;
  bool counted = connected_ || connecting_;
  detach_tcp();
  if (counted && connected_) counters().tcp_conns--;
  connected_ = false;
  if (tcp_close(p) != ERR_OK) tcp_abort(p);
}

void Sock::abort() {
  if (!pcb_) return;
  tcp_pcb* p = pcb_;
  if (listening_) {
    counters().tcp_listeners--;
    detach_tcp();
    tcp_close(p);
    return;
  }
  if (connected_) counters().tcp_conns--;
  connected_ = false;
  detach_tcp();
  tcp_abort(p);
}

int Sock::getsockname(sockaddr_in* out) const {
  *out = local_;
  out->sin_family = AF_INET;
  return 0;
}

int Sock::getpeername(sockaddr_in* out) const {
  if (peer_.sin_family != AF_INET || (type_ == SOCK_STREAM && !connected_ && !was_connected_)) return -ENOTCONN;
  *out = peer_;
  return 0;
}

int Sock::take_error() {
  int e = error_;
  error_ = 0;
  return e;
}

size_t Sock::rx_available() const {
  if (type_ == SOCK_DGRAM) return dgrams_.empty() ? 0 : dgrams_.front().p->tot_len;
  return rx_bytes_;
}

int Sock::set_nodelay(bool on) {
  nodelay_inherit_ = on;
  if (!pcb_ || listening_) return 0;
  if (on) tcp_nagle_disable(pcb_);
  else tcp_nagle_enable(pcb_);
  return 0;
}

bool Sock::nodelay() const { return pcb_ && !listening_ ? tcp_nagle_disabled(pcb_) : nodelay_inherit_; }

void Sock::set_keepalive(bool on) {
  if (!pcb_) return;
  if (on) ip_set_option(pcb_, SOF_KEEPALIVE);
  else ip_reset_option(pcb_, SOF_KEEPALIVE);
}

int Sock::tcp_state() const { return pcb_ ? pcb_->state : CLOSED; }

}  // namespace gazelle
