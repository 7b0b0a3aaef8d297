// sockmap_abi.h as C++ sees it against sockmap.bpf.o and sockmap_abi_btf.bpf.o.
#include <bpf/libbpf.h>

#include <cstddef>

#include "btf_layout.h"
#include "sockmap/sockmap_abi.h"

using namespace netaccel::test;

namespace {
const std::vector<StructLayout>& layouts() {
  static const std::vector<StructLayout> l = {
      {"sm_sock_key", sizeof(sm_sock_key),
       {{"netns_cookie", offsetof(sm_sock_key, netns_cookie)}, {"family", offsetof(sm_sock_key, family)},
        {"local_port", offsetof(sm_sock_key, local_port)}, {"remote_port", offsetof(sm_sock_key, remote_port)},
        {"pad", offsetof(sm_sock_key, pad)}, {"local_ip", offsetof(sm_sock_key, local_ip)},
        {"remote_ip", offsetof(sm_sock_key, remote_ip)}}},
      {"sm_prefix_key", sizeof(sm_prefix_key),
       {{"prefixlen", offsetof(sm_prefix_key, prefixlen)}, {"family", offsetof(sm_prefix_key, family)},
        {"addr", offsetof(sm_prefix_key, addr)}}},
      {"sm_stats", sizeof(sm_stats), {{"v", offsetof(sm_stats, v)}}},
      {"sm_cgroup", sizeof(sm_cgroup), {{"path", offsetof(sm_cgroup, path)}}},
      {"sm_orig_dst", sizeof(sm_orig_dst),
       {{"family", offsetof(sm_orig_dst, family)}, {"ip", offsetof(sm_orig_dst, ip)}, {"port", offsetof(sm_orig_dst, port)},
        {"pad", offsetof(sm_orig_dst, pad)}}},
      {"sm_orig_key", sizeof(sm_orig_key),
       {{"netns_cookie", offsetof(sm_orig_key, netns_cookie)}, {"family", offsetof(sm_orig_key, family)},
        {"ip", offsetof(sm_orig_key, ip)}, {"port", offsetof(sm_orig_key, port)}, {"pad", offsetof(sm_orig_key, pad)}}},
      {"sm_pod_key", sizeof(sm_pod_key), {{"family", offsetof(sm_pod_key, family)}, {"ip", offsetof(sm_pod_key, ip)}}},
      {"sm_pod", sizeof(sm_pod), {{"netns_cookie", offsetof(sm_pod, netns_cookie)}}},
      {"sm_flow", sizeof(sm_flow),
       {{"unanswered", offsetof(sm_flow, unanswered)}, {"bulk", offsetof(sm_flow, bulk)}, {"pad", offsetof(sm_flow, pad)}}},
  };
  return l;
}

class SockmapAbi : public ::testing::TestWithParam<const char*> {};

TEST_P(SockmapAbi, StructsMatchBtf) {
  btf* b = btf__parse(GetParam(), nullptr);
  ASSERT_NE(b, nullptr);
  for (const auto& s : layouts()) expect_layout(b, s);
  btf__free(b);
}

INSTANTIATE_TEST_SUITE_P(Objects, SockmapAbi, ::testing::Values(SOCKMAP_BPF_OBJECT, SOCKMAP_ABI_BTF_OBJECT),
                         [](const auto& info) { return std::string(info.index == 0 ? "sockmap" : "sockmap_abi_btf"); });

TEST(SockmapAbiEnums, StatSlotsMatch) {
  btf* b = btf__parse(SOCKMAP_ABI_BTF_OBJECT, nullptr);
  ASSERT_NE(b, nullptr);
  auto found = enum_values(b);
  EXPECT_EQ(found["SM_STAT_SOCKETS_ADDED"], SM_STAT_SOCKETS_ADDED);
  EXPECT_EQ(found["SM_STAT_MSG_REDIRECTED"], SM_STAT_MSG_REDIRECTED);
  EXPECT_EQ(found["SM_STAT_ORIG_DST_ANSWERED"], SM_STAT_ORIG_DST_ANSWERED);
  EXPECT_EQ(found["SM_STAT_MSG_BULK_PASSED"], SM_STAT_MSG_BULK_PASSED);
  EXPECT_EQ(found["SM_STAT__MAX"], SM_STAT__MAX);
  btf__free(b);
}

TEST(SockmapAbiMaps, KeyAndValueSizesMatch) {
  expect_map_sizes(SOCKMAP_BPF_OBJECT, {
      {"sm_sockets", {sizeof(sm_sock_key), sizeof(__u64)}},
      {"sm_local_prefixes", {sizeof(sm_prefix_key), sizeof(__u32)}},
      {"sm_stats", {sizeof(__u32), sizeof(sm_stats)}},
      {"sm_cgroups", {sizeof(__u64), sizeof(sm_cgroup)}},
      {"sm_orig_by_cookie", {sizeof(__u64), sizeof(sm_orig_dst)}},
      {"sm_orig_by_tuple", {sizeof(sm_orig_key), sizeof(sm_orig_dst)}},
      {"sm_sidecar_pods", {sizeof(sm_pod_key), sizeof(sm_pod)}},
      {"sm_flows", {sizeof(sm_sock_key), sizeof(sm_flow)}},
  });
}
}  // namespace
