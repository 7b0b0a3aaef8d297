// SPDX-License-Identifier: GPL-2.0-only
/* Not loaded anywhere: puts every type of ipt_abi.h into BTF for tests/abi. */
#include "vmlinux.h"
#include "iptables/ipt_abi.h"

enum ipt_hook ipt_abi_hook;
enum ipt_verdict ipt_abi_verdict;
enum ipt_reject ipt_abi_reject;
enum ipt_test_cb ipt_abi_test_cb;
struct ipt_tuple ipt_abi_tuple;
struct ipt_chain ipt_abi_chain;
struct ipt_key ipt_abi_key;
struct ipt_bucket ipt_abi_bucket;
struct ipt_rule ipt_abi_rule;
struct ipt_iface ipt_abi_iface;
struct ipt_config ipt_abi_config;
struct ipt_counter ipt_abi_counter;
struct ipt_decision ipt_abi_decision;
struct ipt_ct_key ipt_abi_ct_key;
struct ipt_rewrite ipt_abi_rewrite;
struct ipt_ct_entry ipt_abi_ct_entry;
struct ipt_conn ipt_abi_conn;
struct ipt_local_addr ipt_abi_local_addr;
struct ipt_iface_addr ipt_abi_iface_addr;
struct ipt_log_event ipt_abi_log_event;
struct ipt_stats ipt_abi_stats;
