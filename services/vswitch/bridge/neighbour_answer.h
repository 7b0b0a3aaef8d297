// Answers for addresses the switch knows (the pods the agent registered: address -> MAC), so an
// ARP request or an IPv6 neighbour solicitation for them is not flooded to every port and VTEP:
// the ARP reply or neighbour advertisement the owner would send, made here and sent back to the
// asker. Probes for duplicate addresses (sender 0.0.0.0, source ::) and gratuitous ARP are
// left to flood: their answers belong to the owner.
#pragma once

#include <functional>
#include <optional>
#include <span>
#include <vector>

#include "fdb.h"
#include "netaccel/core/prefix.h"

namespace netaccel::vswitch {

using NeighbourLookup = std::function<std::optional<Mac>(const Prefix& host)>;

// The answer to `frame`, or nothing (not a request, an unknown address, a probe).
std::optional<std::vector<uint8_t>> answer_neighbour(std::span<const uint8_t> frame, const NeighbourLookup& lookup);

}  // namespace netaccel::vswitch
