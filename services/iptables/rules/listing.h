// `iptables -L`: a table as iptables 1.8 lists it, column for column and word for word (its
// print_firewall and each extension's print function), so scripts that read the listing keep
// working. Without -n, names come from the same libc lookups iptables makes (hosts, networks,
// services, protocols), in the calling process's view of them.
#pragma once

#include <string>

#include "address.h"
#include "ruleset.h"

namespace netaccel::ipt {

struct ListOptions {
  bool verbose = false;       // -v: counters, interfaces
  bool numeric = false;       // -n: no name lookups
  bool exact = false;         // -x: counters without K/M/G
  bool line_numbers = false;  // --line-numbers
};

// One chain (or every chain when chain is empty) of t.
std::string list_table(const Table& t, Family f, const std::string& chain, const ListOptions& o);

}  // namespace netaccel::ipt
