// SPDX-License-Identifier: GPL-2.0-only
/* Not loaded anywhere: puts every type of sockmap_abi.h into BTF for tests/abi. */
#include "vmlinux.h"
#include "sockmap/sockmap_abi.h"

enum sm_stat sm_abi_stat;
struct sm_sock_key sm_abi_sock_key;
struct sm_prefix_key sm_abi_prefix_key;
struct sm_stats sm_abi_stats;
struct sm_cgroup sm_abi_cgroup;
struct sm_orig_dst sm_abi_orig_dst;
struct sm_orig_key sm_abi_orig_key;
struct sm_pod_key sm_abi_pod_key;
struct sm_pod sm_abi_pod;
struct sm_flow sm_abi_flow;
