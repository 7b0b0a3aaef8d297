// ipt_abi.h as C++ sees it against the classifier's object and ipt_abi_btf.bpf.o.
#include <bpf/libbpf.h>

#include <cstddef>

#include "btf_layout.h"
#include "iptables/ipt_abi.h"

using namespace netaccel::test;

namespace {
// Every member, in order: a field added on one side only fails here.
#define MEMBER(T, f) \
  { #f, offsetof(T, f) }

const std::vector<StructLayout>& layouts() {
  static const std::vector<StructLayout> l = {
      {"ipt_addr", sizeof(ipt_addr), {MEMBER(ipt_addr, w)}},
      {"ipt_tuple", sizeof(ipt_tuple), {MEMBER(ipt_tuple, src_len), MEMBER(ipt_tuple, dst_len), MEMBER(ipt_tuple, use), MEMBER(ipt_tuple, pad)}},
      {"ipt_chain", sizeof(ipt_chain), {MEMBER(ipt_chain, ntuples), MEMBER(ipt_chain, policy), MEMBER(ipt_chain, tuples)}},
      {"ipt_key", sizeof(ipt_key), {MEMBER(ipt_key, chain), MEMBER(ipt_key, tuple), MEMBER(ipt_key, src), MEMBER(ipt_key, dst), MEMBER(ipt_key, sport), MEMBER(ipt_key, dport), MEMBER(ipt_key, in_if), MEMBER(ipt_key, out_if), MEMBER(ipt_key, proto), MEMBER(ipt_key, pad)}},
      {"ipt_bucket", sizeof(ipt_bucket), {MEMBER(ipt_bucket, first)}},
      {"ipt_rule", sizeof(ipt_rule), {MEMBER(ipt_rule, pos), MEMBER(ipt_rule, next), MEMBER(ipt_rule, chain), MEMBER(ipt_rule, check), MEMBER(ipt_rule, verdict), MEMBER(ipt_rule, arg), MEMBER(ipt_rule, src_addr), MEMBER(ipt_rule, src_mask), MEMBER(ipt_rule, dst_addr), MEMBER(ipt_rule, dst_mask), MEMBER(ipt_rule, sport_lo), MEMBER(ipt_rule, sport_hi), MEMBER(ipt_rule, dport_lo), MEMBER(ipt_rule, dport_hi), MEMBER(ipt_rule, in_pattern), MEMBER(ipt_rule, out_pattern), MEMBER(ipt_rule, proto), MEMBER(ipt_rule, tcp_mask), MEMBER(ipt_rule, tcp_comp), MEMBER(ipt_rule, ctstates), MEMBER(ipt_rule, mp_dir), MEMBER(ipt_rule, mp_count), MEMBER(ipt_rule, icmp_type), MEMBER(ipt_rule, icmp_code), MEMBER(ipt_rule, icmp_any_code), MEMBER(ipt_rule, pad), MEMBER(ipt_rule, mp), MEMBER(ipt_rule, mark_value), MEMBER(ipt_rule, mark_mask), MEMBER(ipt_rule, set_mark_value), MEMBER(ipt_rule, set_mark_mask), MEMBER(ipt_rule, probability), MEMBER(ipt_rule, nth_every), MEMBER(ipt_rule, nth_packet), MEMBER(ipt_rule, nat_addr_lo), MEMBER(ipt_rule, nat_addr_hi), MEMBER(ipt_rule, nat_port_lo), MEMBER(ipt_rule, nat_port_hi), MEMBER(ipt_rule, nat_flags)}},
      {"ipt_port_range", sizeof(ipt_port_range), {MEMBER(ipt_port_range, lo), MEMBER(ipt_port_range, hi)}},
      {"ipt_iface", sizeof(ipt_iface), {MEMBER(ipt_iface, exact_id), MEMBER(ipt_iface, pad), MEMBER(ipt_iface, patterns)}},
      {"ipt_config", sizeof(ipt_config), {MEMBER(ipt_config, active), MEMBER(ipt_config, generation), MEMBER(ipt_config, hook_chain)}},
      {"ipt_counter", sizeof(ipt_counter), {MEMBER(ipt_counter, packets), MEMBER(ipt_counter, bytes)}},
      {"ipt_decision", sizeof(ipt_decision), {MEMBER(ipt_decision, verdict), MEMBER(ipt_decision, by), MEMBER(ipt_decision, mark), MEMBER(ipt_decision, steps), MEMBER(ipt_decision, flags), MEMBER(ipt_decision, npath), MEMBER(ipt_decision, path)}},
  };
  return l;
}

// The structs of connection tracking, NAT, host state, LOG and statistics: C++ reads and
// writes them (conntrack sweep, host state, LOG reader, stats), the data path's object has them.
const std::vector<StructLayout>& datapath_layouts() {
  static const std::vector<StructLayout> l = {
      {"ipt_ct_key", sizeof(ipt_ct_key), {MEMBER(ipt_ct_key, src), MEMBER(ipt_ct_key, dst), MEMBER(ipt_ct_key, sport), MEMBER(ipt_ct_key, dport), MEMBER(ipt_ct_key, proto), MEMBER(ipt_ct_key, pad)}},
      {"ipt_rewrite", sizeof(ipt_rewrite), {MEMBER(ipt_rewrite, src), MEMBER(ipt_rewrite, dst), MEMBER(ipt_rewrite, sport), MEMBER(ipt_rewrite, dport)}},
      {"ipt_ct_entry", sizeof(ipt_ct_entry), {MEMBER(ipt_ct_entry, conn), MEMBER(ipt_ct_entry, dir), MEMBER(ipt_ct_entry, flags), MEMBER(ipt_ct_entry, pad), MEMBER(ipt_ct_entry, ingress), MEMBER(ipt_ct_entry, ingress_late), MEMBER(ipt_ct_entry, egress)}},
      {"ipt_conn", sizeof(ipt_conn), {MEMBER(ipt_conn, last_seen_ns), MEMBER(ipt_conn, flags), MEMBER(ipt_conn, pad), MEMBER(ipt_conn, cache_gen), MEMBER(ipt_conn, cache_hook), MEMBER(ipt_conn, cache_state), MEMBER(ipt_conn, cache_verdict), MEMBER(ipt_conn, cache_mark), MEMBER(ipt_conn, cache_npath), MEMBER(ipt_conn, cache_path), MEMBER(ipt_conn, reply_key)}},
      {"ipt_local_addr", sizeof(ipt_local_addr), {MEMBER(ipt_local_addr, ifindex)}},
      {"ipt_iface_addr", sizeof(ipt_iface_addr), {MEMBER(ipt_iface_addr, addr)}},
      {"ipt_log_event", sizeof(ipt_log_event), {MEMBER(ipt_log_event, rule), MEMBER(ipt_log_event, hook), MEMBER(ipt_log_event, src), MEMBER(ipt_log_event, dst), MEMBER(ipt_log_event, sport), MEMBER(ipt_log_event, dport), MEMBER(ipt_log_event, proto), MEMBER(ipt_log_event, pad), MEMBER(ipt_log_event, in_ifindex), MEMBER(ipt_log_event, out_ifindex), MEMBER(ipt_log_event, len)}},
      {"ipt_stats", sizeof(ipt_stats), {MEMBER(ipt_stats, v)}},
  };
  return l;
}

class IptablesAbi : public ::testing::TestWithParam<const char*> {};

TEST_P(IptablesAbi, StructsMatchBtf) {
  btf* b = btf__parse(GetParam(), nullptr);
  ASSERT_NE(b, nullptr);
  for (const auto& s : layouts()) expect_layout(b, s);
  btf__free(b);
}

TEST(IptablesDatapathAbi, StructsMatchBtf) {
  btf* b = btf__parse(IPT_ABI_BTF_OBJECT, nullptr);
  ASSERT_NE(b, nullptr);
  for (const auto& s : datapath_layouts()) expect_layout(b, s);
  btf__free(b);
}

INSTANTIATE_TEST_SUITE_P(Objects, IptablesAbi, ::testing::Values(IPT_CLASSIFY_OBJECT, IPT_ABI_BTF_OBJECT),
                         [](const auto& info) { return std::string(info.index == 0 ? "classifier" : "ipt_abi_btf"); });

TEST(IptablesAbiEnums, VerdictsAndHooksMatch) {
  btf* b = btf__parse(IPT_ABI_BTF_OBJECT, nullptr);
  ASSERT_NE(b, nullptr);
  auto found = enum_values(b);
  EXPECT_EQ(found["IPT_V_JUMP"], IPT_V_JUMP);
  EXPECT_EQ(found["IPT_V_MARK"], IPT_V_MARK);
  EXPECT_EQ(found["IPT_HOOK_POSTROUTING"], IPT_HOOK_POSTROUTING);
  EXPECT_EQ(found["IPT_REJ_TCP_RESET"], IPT_REJ_TCP_RESET);
  EXPECT_EQ(found["IPT_TCB_RANDOM31"], IPT_TCB_RANDOM31);
  btf__free(b);
}

TEST(IptablesAbiMaps, KeyAndValueSizesMatch) {
  expect_map_sizes(IPT_CLASSIFY_OBJECT, {{"ipt_config", {4, sizeof(ipt_config)}},
                                         {"ipt_chains", {4, sizeof(ipt_chain)}},
                                         {"ipt_rules", {4, sizeof(ipt_rule)}},
                                         {"ipt_buckets", {sizeof(ipt_key), sizeof(ipt_bucket)}},
                                         {"ipt_ifaces", {4, sizeof(ipt_iface)}},
                                         {"ipt_counters", {4, sizeof(ipt_counter)}}});
}

// Every map of the data path's object (iptables.bpf.o) against the ABI's key and value types.
TEST(IptablesAbiMaps, DatapathMapSizesMatch) {
  expect_map_sizes(IPT_DATAPATH_OBJECT, {{"ipt_config", {4, sizeof(ipt_config)}},
                                         {"ipt_chains", {4, sizeof(ipt_chain)}},
                                         {"ipt_rules", {4, sizeof(ipt_rule)}},
                                         {"ipt_buckets", {sizeof(ipt_key), sizeof(ipt_bucket)}},
                                         {"ipt_ifaces", {4, sizeof(ipt_iface)}},
                                         {"ipt_counters", {4, sizeof(ipt_counter)}},
                                         {"ipt_nth", {4, 4}},
                                         {"ipt_ct", {sizeof(ipt_ct_key), sizeof(ipt_ct_entry)}},
                                         {"ipt_conns", {8, sizeof(ipt_conn)}},
                                         {"ipt_local_addrs", {sizeof(ipt_addr), sizeof(ipt_local_addr)}},
                                         {"ipt_iface_addrs", {4, sizeof(ipt_iface_addr)}},
                                         {"ipt_stats", {4, sizeof(ipt_stats)}}});
}

}  // namespace
