// Reads one iptables rule specification (what follows "-A CHAIN" in iptables-restore input or
// on the iptables command line) into a Rule. Every error names the option and what was wrong;
// the caller prefixes the line number.
#pragma once

#include <string>
#include <vector>

#include "netaccel/core/result.h"
#include "ruleset.h"

namespace netaccel::ipt {

// Shell-like words: double and single quotes, backslash escapes ("a \"b\"" -> a "b").
Result<std::vector<std::string>> split_words(const std::string& line);

// tokens: the rule's options, without "-A CHAIN". The table decides which targets exist.
// The family decides addresses, ICMP (-m icmp / -m icmp6) and REJECT's kinds.
Result<Rule> parse_rule(const std::vector<std::string>& tokens, TableId table, Family f);

// Parsing helpers shared with the command-line front end.
Result<Prefix> parse_prefix(const std::string& text, Family f = Family::v4);
Result<uint8_t> parse_protocol(const std::string& text);
std::string protocol_name(uint8_t proto);
// A rule number as -I/-R/-D take it: decimal digits only.
bool is_number(const std::string& s);

}  // namespace netaccel::ipt
