// fwd_abi.h as C++ sees it must be what the BPF compiler made of it: every struct's size and
// member offsets and every enum value, read from BTF (fwd.bpf.o for the structs its maps use,
// fwd_abi_btf.bpf.o for all of them), and each map's key/value sizes. Unprivileged.
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <gtest/gtest.h>

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "fwd/fwd_abi.h"

namespace {

struct Member {
  std::string name;
  size_t offset;
};
struct StructLayout {
  std::string name;
  size_t size;
  std::vector<Member> members;
};

const std::vector<StructLayout>& layouts() {
  static const std::vector<StructLayout> l = {
      {"fwd_iface", sizeof(fwd_iface),
       {{"mode", offsetof(fwd_iface, mode)}, {"hook", offsetof(fwd_iface, hook)},
        {"bridge_ifindex", offsetof(fwd_iface, bridge_ifindex)}, {"mac", offsetof(fwd_iface, mac)},
        {"pad", offsetof(fwd_iface, pad)}}},
      {"fwd_fdb_key", sizeof(fwd_fdb_key),
       {{"bridge_ifindex", offsetof(fwd_fdb_key, bridge_ifindex)}, {"mac", offsetof(fwd_fdb_key, mac)},
        {"pad", offsetof(fwd_fdb_key, pad)}}},
      {"fwd_fdb_val", sizeof(fwd_fdb_val), {{"port_ifindex", offsetof(fwd_fdb_val, port_ifindex)}}},
      {"fwd_stats", sizeof(fwd_stats),
       {{"packets", offsetof(fwd_stats, packets)}, {"forwarded_bytes", offsetof(fwd_stats, forwarded_bytes)}}},
  };
  return l;
}

class FwdAbi : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override { btf_ = btf__parse(GetParam(), nullptr); }
  void TearDown() override { btf__free(btf_); }
  btf* btf_ = nullptr;
};

TEST_P(FwdAbi, StructsMatchBtf) {
  ASSERT_NE(btf_, nullptr) << "cannot parse BTF of " << GetParam();
  for (const auto& s : layouts()) {
    SCOPED_TRACE(s.name);
    int id = btf__find_by_name_kind(btf_, s.name.c_str(), BTF_KIND_STRUCT);
    ASSERT_GT(id, 0) << "struct missing from BTF";
    const btf_type* t = btf__type_by_id(btf_, id);
    EXPECT_EQ(static_cast<size_t>(t->size), s.size);
    ASSERT_EQ(btf_vlen(t), s.members.size()) << "member count";
    const btf_member* m = btf_members(t);
    for (size_t i = 0; i < s.members.size(); ++i) {
      EXPECT_EQ(btf__name_by_offset(btf_, m[i].name_off), s.members[i].name);
      EXPECT_EQ(btf_member_bit_offset(t, i) / 8, s.members[i].offset) << s.members[i].name;
    }
  }
}

TEST(FwdAbiEnums, EnumsMatchBtf) {
  btf* btf_ = btf__parse(FWD_ABI_BTF_OBJECT, nullptr);
  ASSERT_NE(btf_, nullptr);
  const std::map<std::string, long long> expect = {
      {"FWD_MODE_ROUTER", FWD_MODE_ROUTER}, {"FWD_MODE_BRIDGE", FWD_MODE_BRIDGE},
      {"FWD_HOOK_TC", FWD_HOOK_TC},         {"FWD_HOOK_XDP", FWD_HOOK_XDP},
      {"FWD_STAT_FORWARDED", FWD_STAT_FORWARDED}, {"FWD_STAT_DROPPED", FWD_STAT_DROPPED},
      {"FWD_STAT__MAX", FWD_STAT__MAX},
  };
  std::map<std::string, long long> found;
  for (unsigned id = 1; id < btf__type_cnt(btf_); ++id) {
    const btf_type* t = btf__type_by_id(btf_, id);
    if (!btf_is_enum(t)) continue;
    const struct btf_enum* e = btf_enum(t);
    for (unsigned i = 0; i < btf_vlen(t); ++i) found[btf__name_by_offset(btf_, e[i].name_off)] = e[i].val;
  }
  for (const auto& [name, value] : expect) {
    ASSERT_TRUE(found.count(name)) << name << " missing from BTF";
    EXPECT_EQ(found[name], value) << name;
  }
  btf__free(btf_);
}

INSTANTIATE_TEST_SUITE_P(Objects, FwdAbi, ::testing::Values(FWD_BPF_OBJECT, FWD_ABI_BTF_OBJECT),
                         [](const auto& info) { return std::string(info.index == 0 ? "fwd" : "fwd_abi_btf"); });

TEST(FwdAbiMaps, KeyAndValueSizesMatch) {
  bpf_object* obj = bpf_object__open_file(FWD_BPF_OBJECT, nullptr);
  ASSERT_NE(obj, nullptr);
  const std::map<std::string, std::pair<size_t, size_t>> expect = {
      {"fwd_ifaces", {sizeof(__u32), sizeof(fwd_iface)}},
      {"fwd_fdb", {sizeof(fwd_fdb_key), sizeof(fwd_fdb_val)}},
      {"fwd_tx_ports", {sizeof(__u32), sizeof(__u32)}},
      {"fwd_stats", {sizeof(__u32), sizeof(fwd_stats)}},
  };
  size_t seen = 0;
  bpf_map* m;
  bpf_object__for_each_map(m, obj) {
    auto it = expect.find(bpf_map__name(m));
    if (it == expect.end()) continue;
    ++seen;
    EXPECT_EQ(bpf_map__key_size(m), it->second.first) << it->first;
    EXPECT_EQ(bpf_map__value_size(m), it->second.second) << it->first;
  }
  EXPECT_EQ(seen, expect.size());
  bpf_object__close(obj);
}

}  // namespace
