// policy_abi.h as C++ sees it against policy_abi_btf.bpf.o (every struct and enum) and
// policy.bpf.o (the structs its maps are declared with, and every map's key/value size).
#include <bpf/libbpf.h>

#include <cstddef>

#include "btf_layout.h"
#include "policy/policy_abi.h"

using namespace netaccel::test;

namespace {

#define M(s, f) {#f, offsetof(s, f)}

// Types the data path's maps carry: in policy.bpf.o's BTF as well as in the ABI object.
const std::vector<StructLayout>& map_layouts() {
  static const std::vector<StructLayout> l = {
      {"pol_addr_key", sizeof(pol_addr_key), {M(pol_addr_key, prefixlen), M(pol_addr_key, addr)}},
      {"pol_addr_val", sizeof(pol_addr_val), {M(pol_addr_val, identity), M(pol_addr_val, endpoint)}},
      {"pol_cidr_val", sizeof(pol_cidr_val), {M(pol_cidr_val, identity)}},
      {"pol_endpoint", sizeof(pol_endpoint), {M(pol_endpoint, endpoint), M(pol_endpoint, identity)}},
      {"pol_ct_key", sizeof(pol_ct_key),
       {M(pol_ct_key, saddr), M(pol_ct_key, daddr), M(pol_ct_key, sport), M(pol_ct_key, dport), M(pol_ct_key, proto), M(pol_ct_key, pad)}},
      {"pol_ct_val", sizeof(pol_ct_val), {M(pol_ct_val, last_seen_ns)}},
      {"pol_version", sizeof(pol_version), {M(pol_version, slot)}},
      {"pol_stats", sizeof(pol_stats), {M(pol_stats, packets)}},
  };
  return l;
}

// Types only C++ and the program's code share (trie keys built on the stack, ring buffer
// records): the ABI object holds them.
const std::vector<StructLayout>& other_layouts() {
  static const std::vector<StructLayout> l = {
      {"pol_rule_key", sizeof(pol_rule_key),
       {M(pol_rule_key, prefixlen), M(pol_rule_key, identity), M(pol_rule_key, dir), M(pol_rule_key, proto), M(pol_rule_key, port)}},
      {"pol_rule_val", sizeof(pol_rule_val), {M(pol_rule_val, flags)}},
      {"pol_drop_event", sizeof(pol_drop_event),
       {M(pol_drop_event, ts_ns), M(pol_drop_event, endpoint), M(pol_drop_event, peer_identity), M(pol_drop_event, ifindex),
        M(pol_drop_event, dir), M(pol_drop_event, reason), M(pol_drop_event, proto), M(pol_drop_event, pad), M(pol_drop_event, sport),
        M(pol_drop_event, dport), M(pol_drop_event, saddr), M(pol_drop_event, daddr)}},
  };
  return l;
}

TEST(PolicyAbi, EveryStructMatchesTheAbiObject) {
  btf* b = btf__parse(POLICY_ABI_BTF_OBJECT, nullptr);
  ASSERT_NE(b, nullptr);
  for (const auto& s : map_layouts()) expect_layout(b, s);
  for (const auto& s : other_layouts()) expect_layout(b, s);
  btf__free(b);
}

TEST(PolicyAbi, MapTypesMatchTheProgram) {
  btf* b = btf__parse(POLICY_BPF_OBJECT, nullptr);
  ASSERT_NE(b, nullptr);
  for (const auto& s : map_layouts()) expect_layout(b, s);
  btf__free(b);
}

TEST(PolicyAbi, EnumsMatch) {
  btf* b = btf__parse(POLICY_ABI_BTF_OBJECT, nullptr);
  ASSERT_NE(b, nullptr);
  auto found = enum_values(b);
  EXPECT_EQ(found["POL_DIR_INGRESS"], POL_DIR_INGRESS);
  EXPECT_EQ(found["POL_DIR_EGRESS"], POL_DIR_EGRESS);
  EXPECT_EQ(found["POL_STAT_ALLOWED"], POL_STAT_ALLOWED);
  EXPECT_EQ(found["POL_STAT_ESTABLISHED"], POL_STAT_ESTABLISHED);
  EXPECT_EQ(found["POL_STAT_DENIED"], POL_STAT_DENIED);
  EXPECT_EQ(found["POL_STAT_UNRESTRICTED"], POL_STAT_UNRESTRICTED);
  EXPECT_EQ(found["POL_STAT_MAX"], POL_STAT_MAX);
  EXPECT_EQ(found["POL_DROP_POLICY"], POL_DROP_POLICY);
  EXPECT_EQ(found["POL_DROP_MALFORMED"], POL_DROP_MALFORMED);
  btf__free(b);
}

TEST(PolicyAbi, MapKeyAndValueSizesMatch) {
  std::map<std::string, std::pair<size_t, size_t>> want{
      {"pol_version", {sizeof(__u32), sizeof(pol_version)}},
      {"pol_conns", {sizeof(pol_ct_key), sizeof(pol_ct_val)}},
      {"pol_stats", {sizeof(__u32), sizeof(pol_stats)}},
  };
  for (const char* n : {"0", "1"}) {
    want[std::string("pol_ipcache_") + n] = {sizeof(pol_addr_key), sizeof(pol_addr_val)};
    want[std::string("pol_cidrs_") + n] = {sizeof(pol_addr_key), sizeof(pol_cidr_val)};
    want[std::string("pol_endpoints_") + n] = {sizeof(__u32), sizeof(pol_endpoint)};
    want[std::string("pol_policy_") + n] = {sizeof(__u32), sizeof(__u32)};
  }
  expect_map_sizes(POLICY_BPF_OBJECT, want);
}

// The template every endpoint's policy trie must match (the daemon creates them alike).
TEST(PolicyAbi, EndpointPolicyTemplateMatches) {
  bpf_object* obj = bpf_object__open_file(POLICY_BPF_OBJECT, nullptr);
  ASSERT_NE(obj, nullptr);
  for (const char* outer : {"pol_policy_0", "pol_policy_1"}) {
    bpf_map* m = bpf_object__find_map_by_name(obj, outer);
    ASSERT_NE(m, nullptr) << outer;
    bpf_map* inner = bpf_map__inner_map(m);
    ASSERT_NE(inner, nullptr) << outer;
    EXPECT_EQ(bpf_map__type(inner), BPF_MAP_TYPE_LPM_TRIE);
    EXPECT_EQ(bpf_map__key_size(inner), sizeof(pol_rule_key));
    EXPECT_EQ(bpf_map__value_size(inner), sizeof(pol_rule_val));
    EXPECT_EQ(bpf_map__max_entries(inner), static_cast<__u32>(POL_MAX_ENTRIES));
  }
  bpf_object__close(obj);
}

}  // namespace
