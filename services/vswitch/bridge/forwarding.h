// One network's forwarding decision for one frame: a learning bridge whose ports are the
// network's local ports and its remote VTEPs. The source is learned (through the writer's
// queue when the table must change); a known unicast destination gets its one port; broadcast,
// multicast and unknown unicast are flooded. Split horizon: a frame that came from a VTEP is
// flooded to local ports only, since its sender replicated it to every VTEP already (head-end
// replication). A frame is never sent back where it came from.
#pragma once

#include <vector>

#include "fdb.h"

namespace netaccel::vswitch {

struct Network {
  std::vector<uint16_t> local_ports;  // port indexes of this network on this switch
  uint16_t vteps = 0;                 // remote VTEPs 0 .. vteps-1
  FdbTable* fdb = nullptr;
};

// What the lcore asks the writer to learn.
struct LearnRequest {
  Mac mac;
  FdbPort port;
};

enum class Verdict { unicast, flood, filtered, dropped_bad_source };

struct Decision {
  Verdict verdict = Verdict::flood;
  std::vector<FdbPort> out;
};

Decision forward(const Network& net, FdbPort in, const Mac& src, const Mac& dst, uint32_t now_s, std::vector<LearnRequest>& learn);

}  // namespace netaccel::vswitch
