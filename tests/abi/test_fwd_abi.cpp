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

#include "btf_layout.h"
#include "fwd/fwd_abi.h"

namespace {

using namespace netaccel::test;

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
  for (const auto& s : layouts()) expect_layout(btf_, s);
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
  auto found = enum_values(btf_);
  for (const auto& [name, value] : expect) {
    ASSERT_TRUE(found.count(name)) << name << " missing from BTF";
    EXPECT_EQ(found[name], value) << name;
  }
  btf__free(btf_);
}

INSTANTIATE_TEST_SUITE_P(Objects, FwdAbi, ::testing::Values(FWD_BPF_OBJECT, FWD_ABI_BTF_OBJECT),
                         [](const auto& info) { return std::string(info.index == 0 ? "fwd" : "fwd_abi_btf"); });

TEST(FwdAbiMaps, KeyAndValueSizesMatch) {
  expect_map_sizes(FWD_BPF_OBJECT, {
      {"fwd_ifaces", {sizeof(__u32), sizeof(fwd_iface)}},
      {"fwd_fdb", {sizeof(fwd_fdb_key), sizeof(fwd_fdb_val)}},
      {"fwd_tx_ports", {sizeof(__u32), sizeof(__u32)}},
      {"fwd_stats", {sizeof(__u32), sizeof(fwd_stats)}},
  });
}

}  // namespace
