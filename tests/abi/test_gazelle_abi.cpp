// gazelle_abi.h as C++ sees it against steer.bpf.o and gazelle_abi_btf.bpf.o.
#include <bpf/libbpf.h>

#include <cstddef>

#include "btf_layout.h"
#include "gazelle/gazelle_abi.h"

using namespace netaccel::test;

namespace {
const std::vector<StructLayout>& layouts() {
  static const std::vector<StructLayout> l = {
      {"gz_steer_config", sizeof(gz_steer_config),
       {{"host_addr", offsetof(gz_steer_config, host_addr)}, {"flags", offsetof(gz_steer_config, flags)}}},
      {"gz_stats", sizeof(gz_stats), {{"packets", offsetof(gz_stats, packets)}}},
  };
  return l;
}

class GazelleAbi : public ::testing::TestWithParam<const char*> {};

TEST_P(GazelleAbi, StructsMatchBtf) {
  btf* b = btf__parse(GetParam(), nullptr);
  ASSERT_NE(b, nullptr);
  for (const auto& s : layouts()) expect_layout(b, s);
  btf__free(b);
}

INSTANTIATE_TEST_SUITE_P(Objects, GazelleAbi, ::testing::Values(GAZELLE_STEER_OBJECT, GAZELLE_ABI_BTF_OBJECT),
                         [](const auto& info) { return std::string(info.index == 0 ? "steer" : "gazelle_abi_btf"); });

TEST(GazelleAbiEnums, StatSlotsMatch) {
  btf* b = btf__parse(GAZELLE_ABI_BTF_OBJECT, nullptr);
  ASSERT_NE(b, nullptr);
  auto found = enum_values(b);
  EXPECT_EQ(found["GZ_STAT_ARP_STEERED"], GZ_STAT_ARP_STEERED);
  EXPECT_EQ(found["GZ_STAT_IP_STEERED"], GZ_STAT_IP_STEERED);
  EXPECT_EQ(found["GZ_STAT_PASSED"], GZ_STAT_PASSED);
  EXPECT_EQ(found["GZ_STAT_NO_SOCKET"], GZ_STAT_NO_SOCKET);
  EXPECT_EQ(found["GZ_STAT_MAX"], GZ_STAT_MAX);
  btf__free(b);
}

TEST(GazelleAbiMaps, KeyAndValueSizesMatch) {
  // xsks_map is the name DPDK's net_af_xdp looks up in an xdp_prog= object.
  expect_map_sizes(GAZELLE_STEER_OBJECT, {{"xsks_map", {sizeof(__u32), sizeof(__u32)}},
                                          {"gz_config", {sizeof(__u32), sizeof(gz_steer_config)}},
                                          {"gz_stats", {sizeof(__u32), sizeof(gz_stats)}}});
}

}  // namespace
