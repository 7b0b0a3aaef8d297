// Typed access to a BPF map by fd. The key/value types come from a family's *_abi.h.
#pragma once

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <optional>
#include <string>
#include <vector>

#include "netaccel/core/result.h"

namespace netaccel {

template <typename K, typename V>
class Map {
 public:
  Map() = default;
  Map(int fd, std::string name) : fd_(fd), name_(std::move(name)) {}
  explicit Map(const bpf_map* m) : fd_(bpf_map__fd(m)), name_(bpf_map__name(m)) {}

  Status update(const K& key, const V& value, unsigned long long flags = BPF_ANY) const {
    if (int err = bpf_map_update_elem(fd_, &key, &value, flags))
      return errno_error(err, "update map " + name_);
    return {};
  }
  std::optional<V> lookup(const K& key) const {
    V v{};
    if (bpf_map_lookup_elem(fd_, &key, &v)) return std::nullopt;
    return v;
  }
  // Deleting an absent key is not an error: the caller wanted it gone.
  Status erase(const K& key) const {
    int err = bpf_map_delete_elem(fd_, &key);
    if (err && errno != ENOENT) return errno_error(err, "delete from map " + name_);
    return {};
  }
  std::vector<K> keys() const {
    std::vector<K> out;
    K cur{}, next{};
    const K* prev = nullptr;
    while (bpf_map_get_next_key(fd_, prev, &next) == 0) {
      out.push_back(next);
      cur = next;
      prev = &cur;
    }
    return out;
  }
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
  std::string name_;
};

// Per-CPU maps: one value per possible CPU on lookup; update writes the same value everywhere.
template <typename K, typename V>
class PerCpuMap {
 public:
  PerCpuMap() = default;
  explicit PerCpuMap(const bpf_map* m) : fd_(bpf_map__fd(m)), name_(bpf_map__name(m)) {}
  PerCpuMap(int fd, std::string name) : fd_(fd), name_(std::move(name)) {}

  std::optional<std::vector<V>> lookup(const K& key) const {
    std::vector<V> vals(ncpus());
    if (bpf_map_lookup_elem(fd_, &key, vals.data())) return std::nullopt;
    return vals;
  }
  Status update_all(const K& key, const V& value, unsigned long long flags = BPF_ANY) const {
    std::vector<V> vals(ncpus(), value);
    if (int err = bpf_map_update_elem(fd_, &key, vals.data(), flags))
      return errno_error(err, "update map " + name_);
    return {};
  }
  Status erase(const K& key) const {
    int err = bpf_map_delete_elem(fd_, &key);
    if (err && errno != ENOENT) return errno_error(err, "delete from map " + name_);
    return {};
  }
  static int ncpus() {
    static const int n = libbpf_num_possible_cpus();
    return n;
  }

 private:
  int fd_ = -1;
  std::string name_;
};

}  // namespace netaccel
