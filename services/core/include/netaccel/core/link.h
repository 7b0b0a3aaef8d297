// A BPF link (XDP, TCX, cgroup, ...) owned by fd. Links outlive the daemon only when pinned:
// closing an unpinned link detaches its program; unpinning a pinned one and closing it does too.
#pragma once

#include <string>

#include "netaccel/core/result.h"
#include "netaccel/core/unique_fd.h"

namespace netaccel {

// Attach types libbpf 1.1's headers do not name yet (kernel 6.6+ TCX).
inline constexpr int kAttachTcxIngress = 46;
inline constexpr int kAttachTcxEgress = 47;
inline constexpr int kAttachXdp = 37;  // BPF_XDP

class Link {
 public:
  Link() = default;
  explicit Link(UniqueFd fd) : fd_(std::move(fd)) {}

  // attach_type: kAttachXdp, kAttachTcxIngress, ... ; for XDP flags select the mode.
  static Result<Link> create(int prog_fd, int ifindex, int attach_type, unsigned flags = 0);
  static Result<Link> open_pinned(const std::string& path);

  Status pin(const std::string& path) const;
  // Atomically replaces the program behind the link: no packet sees "no program".
  Status update_program(int prog_fd) const;
  // Returns the prog id currently attached through this link.
  Result<unsigned> program_id() const;

  int fd() const { return fd_.get(); }
  bool valid() const { return fd_.valid(); }

 private:
  UniqueFd fd_;
};

}  // namespace netaccel
