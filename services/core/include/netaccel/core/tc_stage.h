// The order of netaccel's programs on one TCX hook, built once here for every service: a
// pod's host veth may carry the service load balancer, the policy and the forwarder, and
// each must run in that order whoever attached first (policy before fwd's redirect, the LB's
// translation before policy). A stage returns TCX_NEXT to hand the packet on; a stage that is
// not attached costs nothing. Programs are told apart by their names' prefix ("lb_", "pol_",
// "fwd_"); programs that are not netaccel's keep their places.
#pragma once

#include <string>
#include <vector>

#include "netaccel/core/link.h"
#include "netaccel/core/result.h"

namespace netaccel {

enum class TcStage { lb = 10, policy = 20, fwd = 30 };
const char* stage_name(TcStage s);

// The stage a program belongs to, from its name; 0 when it is not netaccel's.
int stage_rank_of(const std::string& prog_name);

struct TcxProgram {
  unsigned id = 0;
  std::string name;
};
// The programs on ifindex's TCX ingress or egress, in the order they run.
Result<std::vector<TcxProgram>> tcx_programs(int ifindex, bool ingress);

// Attaches prog_fd to ifindex's TCX hook as `stage`: before the first netaccel program of a
// later stage, else after every other program.
Result<Link> attach_tc_stage(int prog_fd, int ifindex, bool ingress, TcStage stage);

}  // namespace netaccel
