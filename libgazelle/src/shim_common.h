// Helpers shared by the POSIX shim's translation units.
#pragma once

#include <cerrno>
#include <memory>

#include "real_calls.h"
#include "runtime.h"

namespace gazelle::shim {

// Returns rc, or -1 with errno = -rc, as POSIX calls do.
inline long posix_result(long rc) {
  if (rc < 0) {
    errno = static_cast<int>(-rc);
    return -1;
  }
  return rc;
}

// True when fd is a user-stack socket this call must handle (not from inside libgazelle).
inline bool is_user(int fd) { return !Runtime::inside() && Runtime::kind(fd) == FdKind::user; }

// The socket behind fd with the lock held; nullptr (errno EBADF) in a forked child or if fd
// went away meanwhile.
std::shared_ptr<Sock> lookup(Runtime& rt, int fd);

// Waits (lock held by `l`) until s reports any of `events`, honouring the socket's timeout.
int wait_for(Locked& l, Sock& s, uint32_t events, int timeout_ms);

ssize_t user_recv(int fd, const iovec* iov, int iovcnt, int flags, sockaddr* from, socklen_t* fromlen,
                  int* msg_flags);
ssize_t user_send(int fd, const iovec* iov, int iovcnt, int flags, const sockaddr* to, socklen_t tolen);

}  // namespace gazelle::shim
