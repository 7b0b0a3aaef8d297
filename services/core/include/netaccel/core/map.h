// Typed access to a BPF map by fd. The key/value types come from a family's *_abi.h.
#pragma once

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "netaccel/core/result.h"

namespace netaccel {

namespace detail {
// Writes keys[i] -> the values_per_key values at values[i * values_per_key] for every i. A
// whole ruleset is hundreds of thousands of entries: one syscall per batch, not per entry.
template <typename K, typename V>
Status update_batch(int fd, const std::string& name, std::span<const K> keys, std::span<const V> values,
                    size_t values_per_key) {
  if (values.size() != keys.size() * values_per_key) return errno_error(EINVAL, "update map " + name + ": keys and values differ in number");
  LIBBPF_OPTS(bpf_map_batch_opts, opts);
  for (size_t done = 0; done < keys.size();) {
    __u32 n = static_cast<__u32>(keys.size() - done);
    if (bpf_map_update_batch(fd, keys.data() + done, values.data() + done * values_per_key, &n, &opts) < 0)
      return errno_error(errno, "update map " + name);
    if (n == 0) return errno_error(EIO, "update map " + name + ": the kernel took no entry");
    done += n;
  }
  return {};
}
// Deletes every key; those already gone are skipped. Returns how many were deleted.
template <typename K>
size_t erase_batch(int fd, std::span<const K> keys) {
  LIBBPF_OPTS(bpf_map_batch_opts, opts);
  size_t deleted = 0;
  for (size_t done = 0; done < keys.size();) {
    __u32 n = static_cast<__u32>(keys.size() - done);
    int rc = bpf_map_delete_batch(fd, keys.data() + done, &n, &opts);
    done += n;
    deleted += n;
    if (rc < 0) {  // keys[done] failed: gone already (ENOENT), or the map has no batch delete
      if (errno != ENOENT && bpf_map_delete_elem(fd, keys.data() + done) == 0) ++deleted;
      ++done;
    }
  }
  return deleted;
}
}  // namespace detail

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
  Status update_batch(std::span<const K> keys, std::span<const V> values) const {
    return detail::update_batch(fd_, name_, keys, values, 1);
  }
  size_t erase_batch(std::span<const K> keys) const { return detail::erase_batch(fd_, keys); }
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
  // The same value on every CPU for every key (a reset of counters).
  Status update_batch_all(std::span<const K> keys, const V& value) const {
    const std::vector<V> vals(keys.size() * ncpus(), value);
    return detail::update_batch(fd_, name_, keys, std::span<const V>(vals), ncpus());
  }
  // Entries first .. first+count-1 of a per-CPU array, ncpus() values each (key-major), read
  // in batches. An array's batch token is the last index read.
  Result<std::vector<V>> lookup_range(K first, uint32_t count) const {
    static_assert(std::is_same_v<K, uint32_t>, "lookup_range reads arrays (u32 keys)");
    std::vector<K> keys(count);
    std::vector<V> per(static_cast<size_t>(count) * ncpus());
    LIBBPF_OPTS(bpf_map_batch_opts, opts);
    K token = first - 1, next = 0;
    for (uint32_t done = 0; done < count;) {
      __u32 n = count - done;
      void* in = first + done == 0 ? nullptr : &token;
      if (bpf_map_lookup_batch(fd_, in, &next, keys.data() + done, per.data() + static_cast<size_t>(done) * ncpus(), &n, &opts) < 0 &&
          errno != ENOENT)
        return errno_error(errno, "read map " + name_);
      if (n == 0) return errno_error(EIO, "read map " + name_ + ": the kernel gave no entry");
      done += n;
      token = next;
    }
    return per;
  }
  static int ncpus() {
    static const int n = libbpf_num_possible_cpus() > 0 ? libbpf_num_possible_cpus() : 1;
    return n;
  }

 private:
  int fd_ = -1;
  std::string name_;
};

}  // namespace netaccel
