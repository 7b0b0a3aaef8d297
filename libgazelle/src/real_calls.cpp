#include "real_calls.h"

#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>

namespace gazelle {

namespace {

template <typename F>
void resolve(F& fn, const char* name) {
  fn = reinterpret_cast<F>(dlsym(RTLD_NEXT, name));
  if (!fn) {
    fprintf(stderr, "libgazelle: the C library has no %s\n", name);
    abort();
  }
}

RealCalls load() {
  RealCalls r{};
  resolve(r.socket, "socket");
  resolve(r.bind, "bind");
  resolve(r.listen, "listen");
  resolve(r.accept, "accept");
  resolve(r.accept4, "accept4");
  resolve(r.connect, "connect");
  resolve(r.read, "read");
  resolve(r.write, "write");
  resolve(r.readv, "readv");
  resolve(r.writev, "writev");
  resolve(r.recv, "recv");
  resolve(r.send, "send");
  resolve(r.recvfrom, "recvfrom");
  resolve(r.sendto, "sendto");
  resolve(r.recvmsg, "recvmsg");
  resolve(r.sendmsg, "sendmsg");
  resolve(r.sendfile, "sendfile");
  resolve(r.close, "close");
  resolve(r.shutdown, "shutdown");
  resolve(r.getsockopt, "getsockopt");
  resolve(r.setsockopt, "setsockopt");
  resolve(r.getsockname, "getsockname");
  resolve(r.getpeername, "getpeername");
  resolve(r.fcntl, "fcntl");
  resolve(r.ioctl, "ioctl");
  resolve(r.epoll_create, "epoll_create");
  resolve(r.epoll_create1, "epoll_create1");
  resolve(r.epoll_ctl, "epoll_ctl");
  resolve(r.epoll_wait, "epoll_wait");
  resolve(r.epoll_pwait, "epoll_pwait");
  resolve(r.poll, "poll");
  resolve(r.ppoll, "ppoll");
  resolve(r.select, "select");
  resolve(r.pselect, "pselect");
  resolve(r.dup, "dup");
  resolve(r.dup2, "dup2");
  resolve(r.dup3, "dup3");
  return r;
}

}  // namespace

const RealCalls& real() {
  static const RealCalls calls = load();
  return calls;
}

}  // namespace gazelle
