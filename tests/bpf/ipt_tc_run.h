// The netaccel-iptables data path under BPF_PROG_RUN, for the tests that replay frame
// sequences (conntrack, IPv6): one instance loaded with a ruleset, frames run through it, rule
// counters read back.
#pragma once

#include <bpf/bpf.h>
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "compiler.h"
#include "iptables_skeleton.h"
#include "map_loader.h"
#include "restore.h"

namespace netaccel::test {

class IptDatapathUnderTest {
 public:
  // Loads the family's instance, the ruleset (live in slot 1) and this host's addresses (what
  // the daemon learns from getifaddrs). "" when done, else what failed.
  std::string start(ipt::Family f, const char* rules, const std::vector<std::string>& local_addrs) {
    auto skel = Skeleton<iptables>::open("iptables");
    if (!skel) return "open: " + skel.error().message;
    (*skel)->rodata->ipt_family = f == ipt::Family::v4 ? IPT_FAMILY_V4 : IPT_FAMILY_V6;
    if (auto st = skel->load(); !st) return "load: " + st.error().message;
    skel_ = std::make_unique<Skeleton<iptables>>(std::move(*skel));
    loader_ = std::make_unique<ipt::MapLoader>(ipt::classifier_maps(skel_->get()));
    auto rs = ipt::restore(ipt::empty_ruleset(f), rules, {});
    if (!rs) return "restore: " + rs.error().message;
    auto c = ipt::compile(*rs);
    if (!c) return "compile: " + c.error().message;
    if (!loader_->init_config_if_new() || !loader_->load(*c, 1) || !loader_->activate(1, *c)) return "loading the maps";
    for (const auto& text : local_addrs) {
      auto a = ipt::parse_addr(text, f, "local address");
      if (!a) return a.error().message;
      ipt_addr key = ipt::to_be(*a);
      ipt_local_addr v{1};
      if (bpf_map_update_elem(bpf_map__fd((*skel_)->maps.ipt_local_addrs), &key, &v, BPF_ANY)) return "ipt_local_addrs";
    }
    return "";
  }
  // Runs bytes through ipt_tc_ingress or ipt_tc_egress as arriving on / leaving ifindex 1 (lo
  // of the test's private namespace); returns the TC verdict, bytes becomes the frame as it left.
  int run(bool ingress, std::vector<uint8_t>& bytes) {
    std::vector<uint8_t> out(bytes.size() + 600);
    __sk_buff ctx{};
    ctx.ifindex = 1;
    LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = bytes.data(), .data_out = out.data(),
                .data_size_in = static_cast<uint32_t>(bytes.size()), .data_size_out = static_cast<uint32_t>(out.size()),
                .ctx_in = &ctx, .ctx_size_in = sizeof(ctx));
    auto* prog = ingress ? (*skel_)->progs.ipt_tc_ingress : (*skel_)->progs.ipt_tc_egress;
    EXPECT_EQ(bpf_prog_test_run_opts(bpf_program__fd(prog), &opts), 0) << strerror(errno);
    out.resize(opts.data_size_out);
    bytes = out;
    return static_cast<int>(opts.retval);
  }
  // Packets counted by a rule (id in compile order).
  uint64_t hits(uint32_t rule) {
    auto c = loader_->counter(1, rule);
    return c ? c->packets : 0;
  }

 private:
  std::unique_ptr<Skeleton<iptables>> skel_;
  std::unique_ptr<ipt::MapLoader> loader_;
};

}  // namespace netaccel::test
