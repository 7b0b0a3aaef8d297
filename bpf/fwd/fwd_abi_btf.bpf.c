// SPDX-License-Identifier: GPL-2.0-only
/* Not loaded anywhere: puts every type of fwd_abi.h (enums included, which fwd.bpf.o only
 * uses as constants) into BTF so tests/abi can compare the BPF compiler's view with C++'s. */
#include "vmlinux.h"
#include "fwd/fwd_abi.h"

enum fwd_mode fwd_abi_mode;
enum fwd_hook fwd_abi_hook;
enum fwd_stat fwd_abi_stat;
struct fwd_iface fwd_abi_iface;
struct fwd_fdb_key fwd_abi_fdb_key;
struct fwd_fdb_val fwd_abi_fdb_val;
struct fwd_stats fwd_abi_stats;
