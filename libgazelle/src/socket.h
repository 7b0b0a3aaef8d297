// A socket on the user stack: TCP or UDP over lwIP's raw API. All members are used with the
// runtime lock held. Calls return >= 0 or -errno, as the POSIX shim passes them on.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <cstdint>
#include <deque>
#include <memory>

extern "C" {
#include "lwip/ip_addr.h"
#include "lwip/pbuf.h"
#include "lwip/tcp.h"
#include "lwip/udp.h"
}

namespace gazelle {

// Readiness as epoll/poll bits (EPOLLIN, EPOLLOUT, EPOLLERR, EPOLLHUP, EPOLLRDHUP).
using Events = uint32_t;

class Sock {
 public:
  Sock(int type, bool nonblock) : type_(type), nonblock_(nonblock) {}
  ~Sock();
  Sock(const Sock&) = delete;
  Sock& operator=(const Sock&) = delete;

  int type() const { return type_; }
  bool nonblock() const { return nonblock_; }
  void set_nonblock(bool on) { nonblock_ = on; }
  bool listening() const { return listening_; }
  bool connecting() const { return connecting_; }
  // Bumped on every state change; edge-triggered epoll reports a socket again only then.
  uint64_t generation() const { return gen_; }
  Events ready() const;

  int bind(const sockaddr_in& addr);
  int listen(int backlog);
  // Takes one connection from the accept queue, or -EAGAIN.
  int accept(std::shared_ptr<Sock>* out);
  // Starts the connection; -EINPROGRESS while the handshake runs (blocking callers wait).
  int connect(const sockaddr_in& addr);
  // Result of a finished non-blocking connect (0 while still connecting).
  int connect_result() const;
  // MSG_PEEK and MSG_TRUNC are honoured; `from` is filled for UDP.
  ssize_t recv(const iovec* iov, int iovcnt, int flags, sockaddr_in* from, bool* truncated);
  ssize_t send(const iovec* iov, int iovcnt, const sockaddr_in* to);
  int shutdown(int how);
  // Closes the lwIP side: FIN, or RST when unread data is left or SO_LINGER 0 asks for it.
  void close();
  // Ends the connection with a RST now (process exit).
  void abort();

  int getsockname(sockaddr_in* out) const;
  int getpeername(sockaddr_in* out) const;
  int take_error();  // SO_ERROR: pending error, cleared
  size_t rx_available() const;
  int set_nodelay(bool on);
  bool nodelay() const;
  void set_keepalive(bool on);
  void set_reuseaddr(bool on) { reuseaddr_ = on; }
  void set_linger_abort(bool on) { linger_abort_ = on; }
  int tcp_state() const;

 private:
  static err_t on_accept(void* arg, tcp_pcb* newpcb, err_t err);
  static err_t on_recv(void* arg, tcp_pcb* pcb, pbuf* p, err_t err);
  static err_t on_sent(void* arg, tcp_pcb* pcb, u16_t len);
  static err_t on_connected(void* arg, tcp_pcb* pcb, err_t err);
  static void on_error(void* arg, err_t err);
  static void on_udp_recv(void* arg, udp_pcb* pcb, pbuf* p, const ip_addr_t* addr, u16_t port);

  int ensure_pcb();
  void attach_tcp(tcp_pcb* pcb);
  void detach_tcp();
  ssize_t recv_stream(const iovec* iov, int iovcnt, int flags);
  ssize_t recv_datagram(const iovec* iov, int iovcnt, int flags, sockaddr_in* from, bool* truncated);
  ssize_t send_stream(const iovec* iov, int iovcnt);
  ssize_t send_datagram(const iovec* iov, int iovcnt, const sockaddr_in* to);

  struct Datagram {
    pbuf* p;
    ip_addr_t addr;
    u16_t port;
  };

  int type_;
  bool nonblock_;
  tcp_pcb* pcb_ = nullptr;
  udp_pcb* upcb_ = nullptr;
  bool bound_ = false;
  sockaddr_in local_{};
  bool listening_ = false;
  bool connecting_ = false;
  bool connected_ = false;
  bool was_connected_ = false;
  bool rx_fin_ = false;
  bool shut_wr_ = false;
  bool shut_rd_ = false;
  bool reuseaddr_ = false;
  bool linger_abort_ = false;
  bool nodelay_inherit_ = false;  // TCP_NODELAY on a listener carries over to accepted sockets
  int error_ = 0;       // pending error for SO_ERROR
  int fatal_ = 0;       // the connection is gone: every later call reports this
  std::deque<pbuf*> rx_;  // TCP: received chains, oldest first
  size_t rx_bytes_ = 0;
  std::deque<std::shared_ptr<Sock>> accept_q_;
  std::deque<Datagram> dgrams_;
  sockaddr_in peer_{};  // connected UDP peer / TCP peer
  uint64_t gen_ = 0;
};

// tcp_conn_count: connections beyond it are refused (accept: RST; connect: ENOBUFS).
void set_connection_limit(uint64_t limit);

// Maps lwIP errors to errno for the caller.
int errno_from_lwip(err_t err);

}  // namespace gazelle
