// SPDX-License-Identifier: GPL-2.0-only
/* Not loaded anywhere: puts every type of policy_abi.h into BTF so tests/abi can compare the
 * BPF compiler's view with C++'s. */
#include "vmlinux.h"
#include "policy/policy_abi.h"

enum pol_dir pol_abi_dir;
enum pol_stat pol_abi_stat;
enum pol_drop_reason pol_abi_drop_reason;
struct pol_addr_key pol_abi_addr_key;
struct pol_addr_val pol_abi_addr_val;
struct pol_cidr_val pol_abi_cidr_val;
struct pol_rule_key pol_abi_rule_key;
struct pol_rule_val pol_abi_rule_val;
struct pol_endpoint pol_abi_endpoint;
struct pol_ct_key pol_abi_ct_key;
struct pol_ct_val pol_abi_ct_val;
struct pol_version pol_abi_version;
struct pol_stats pol_abi_stats;
struct pol_drop_event pol_abi_drop_event;
