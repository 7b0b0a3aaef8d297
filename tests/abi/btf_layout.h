// Compares C++'s view of an *_abi.h with the BPF compiler's, as recorded in an object's BTF.
#pragma once

#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

namespace netaccel::test {

struct Member {
  std::string name;
  size_t offset;
};
struct StructLayout {
  std::string name;
  size_t size;
  std::vector<Member> members;
};

inline void expect_layout(btf* b, const StructLayout& s) {
  SCOPED_TRACE(s.name);
  int id = btf__find_by_name_kind(b, s.name.c_str(), BTF_KIND_STRUCT);
  ASSERT_GT(id, 0) << "struct missing from BTF";
  const btf_type* t = btf__type_by_id(b, id);
  EXPECT_EQ(static_cast<size_t>(t->size), s.size);
  ASSERT_EQ(btf_vlen(t), s.members.size()) << "member count";
  const btf_member* m = btf_members(t);
  for (size_t i = 0; i < s.members.size(); ++i) {
    EXPECT_EQ(btf__name_by_offset(b, m[i].name_off), s.members[i].name);
    EXPECT_EQ(btf_member_bit_offset(t, static_cast<uint32_t>(i)) / 8, s.members[i].offset) << s.members[i].name;
  }
}

inline std::map<std::string, long long> enum_values(btf* b) {
  std::map<std::string, long long> found;
  for (unsigned id = 1; id < btf__type_cnt(b); ++id) {
    const btf_type* t = btf__type_by_id(b, id);
    if (!btf_is_enum(t)) continue;
    const struct btf_enum* e = btf_enum(t);
    for (unsigned i = 0; i < btf_vlen(t); ++i) found[btf__name_by_offset(b, e[i].name_off)] = e[i].val;
  }
  return found;
}

// Every named map of the object has the given key and value sizes.
inline void expect_map_sizes(const char* object, const std::map<std::string, std::pair<size_t, size_t>>& expect) {
  bpf_object* obj = bpf_object__open_file(object, nullptr);
  ASSERT_NE(obj, nullptr) << object;
  size_t seen = 0;
  bpf_map* m;
  bpf_object__for_each_map(m, obj) {
    auto it = expect.find(bpf_map__name(m));
    if (it == expect.end()) continue;
    ++seen;
    EXPECT_EQ(bpf_map__key_size(m), it->second.first) << it->first;
    EXPECT_EQ(bpf_map__value_size(m), it->second.second) << it->first;
  }
  EXPECT_EQ(seen, expect.size());
  bpf_object__close(obj);
}

}  // namespace netaccel::test
