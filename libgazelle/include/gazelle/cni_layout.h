// Where the netaccel CNI plugin leaves a pod's lstack.conf and where libgazelle looks for it:
// <dir>/<container id>/lstack.conf, and <dir>/by-netns/<netns inode> a relative link to that
// directory. A runtime mounts <dir> into every pod at the same path; a process finds its own
// file by the inode of its network namespace, which the host and the pod see alike.
#pragma once

namespace gazelle {
inline constexpr const char* kCniConfDir = "/run/netaccel/gazelle";
inline constexpr const char* kCniByNetns = "by-netns";
}  // namespace gazelle
