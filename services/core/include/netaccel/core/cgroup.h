// Where cgroup v2 is mounted and which cgroup a pod's processes live in: the agent finds a
// pod's cgroup from its network namespace (runtimes do not pass it to CNI), sockmap attaches
// to the directory.
#pragma once

#include <cstdint>
#include <string>

#include "netaccel/core/result.h"

namespace netaccel {

// /sys/fs/cgroup on a unified host, /sys/fs/cgroup/unified on a hybrid one.
std::string cgroup2_root();

// The inode of the network namespace at `path` (all namespaces share nsfs's device). A path
// names a namespace only while it lives: containerd passes /proc/PID/ns/net, which names
// another process's namespace once the pid is reused, so callers keep the inode to compare.
Result<uint64_t> netns_inode(const std::string& path);

// The cgroup v2 directory (absolute, under `root`) of the lowest-numbered process whose
// network namespace has inode `netns`: the pod's first process, normally its init.
// NotFound while no process has joined the namespace yet (CNI ADD runs before the container
// starts), or while that process is still in the root cgroup (not placed by the runtime yet).
Result<std::string> cgroup_of_netns(uint64_t netns, const std::string& root);

// Whether `path` is `dir` or below it ("/a/b" is within "/a", "/ab" is not).
bool path_within(const std::string& dir, const std::string& path);

}  // namespace netaccel
