// bench_abi.h (the benchmark traffic generator) as C++ sees it against benchgen.bpf.o.
#include <bpf/libbpf.h>

#include <cstddef>

#include "bench/bench_abi.h"
#include "btf_layout.h"

using namespace netaccel::test;

namespace {

TEST(BenchAbi, StructsMatchBtf) {
  for (const char* obj : {BENCHGEN_OBJECT, BENCH_ABI_BTF_OBJECT}) {
    btf* b = btf__parse(obj, nullptr);
    ASSERT_NE(b, nullptr) << obj;
    expect_layout(b, {"gen_template", sizeof(gen_template), {{"bytes", offsetof(gen_template, bytes)}}});
    expect_layout(b, {"gen_flow", sizeof(gen_flow),
                      {{"saddr", offsetof(gen_flow, saddr)}, {"dport", offsetof(gen_flow, dport)}, {"pad", offsetof(gen_flow, pad)}}});
    btf__free(b);
  }
}

TEST(BenchAbi, MapSizesMatch) {
  expect_map_sizes(BENCHGEN_OBJECT, {{"gen_frame", {sizeof(__u32), sizeof(gen_template)}},
                                     {"gen_flows", {sizeof(__u32), sizeof(gen_flow)}},
                                     {"gen_next_flow", {sizeof(__u32), sizeof(__u32)}}});
}

}  // namespace
