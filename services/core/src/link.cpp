#include "netaccel/core/link.h"

#include <bpf/bpf.h>
#include <linux/bpf.h>

namespace netaccel {

Result<Link> Link::create(int prog_fd, int ifindex, int attach_type, unsigned flags) {
  LIBBPF_OPTS(bpf_link_create_opts, opts, .flags = flags);
  int fd = bpf_link_create(prog_fd, ifindex, static_cast<bpf_attach_type>(attach_type), &opts);
  if (fd < 0) return errno_error(fd, "create BPF link on ifindex " + std::to_string(ifindex));
  return Link(UniqueFd(fd));
}

Result<Link> Link::open_pinned(const std::string& path) {
  int fd = bpf_obj_get(path.c_str());
  if (fd < 0) return errno_error(fd, "open pinned link " + path);
  return Link(UniqueFd(fd));
}

Status Link::pin(const std::string& path) const {
  int err = bpf_obj_pin(fd_.get(), path.c_str());
  if (err) return errno_error(err, "pin link at " + path);
  return {};
}

Status Link::update_program(int prog_fd) const {
  int err = bpf_link_update(fd_.get(), prog_fd, nullptr);
  if (err) return errno_error(err, "replace program of link");
  return {};
}

Result<unsigned> Link::program_id() const {
  bpf_link_info info{};
  __u32 len = sizeof(info);
  int err = bpf_obj_get_info_by_fd(fd_.get(), &info, &len);
  if (err) return errno_error(err, "query link info");
  return static_cast<unsigned>(info.prog_id);
}

}  // namespace netaccel
