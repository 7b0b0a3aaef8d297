// RAII over a bpftool-generated skeleton. Each skeleton type provides a SkeletonTraits
// specialisation next to where it is used (the functions bpftool generates are per-name).
//
//   template <> struct netaccel::SkeletonTraits<fwd> {
//     static fwd* open(const bpf_object_open_opts* o) { return fwd__open_opts(o); }
//     static int load(fwd* s) { return fwd__load(s); }
//     static void destroy(fwd* s) { fwd__destroy(s); }
//   };
#pragma once

#include <bpf/libbpf.h>

#include <string>
#include <utility>

#include "netaccel/core/result.h"

namespace netaccel {

template <typename T>
struct SkeletonTraits;

template <typename T>
class Skeleton {
 public:
  using Traits = SkeletonTraits<T>;

  // Opens the embedded object; configure rodata and map pinning on get() before load().
  static Result<Skeleton> open(const std::string& what) {
    T* s = Traits::open(nullptr);
    if (!s) return errno_error(errno, "open BPF skeleton " + what);
    return Skeleton(s, what);
  }

  Status load() {
    int err = Traits::load(s_);
    if (err) return errno_error(err, "load BPF object " + what_ + " (see the verifier log above)");
    loaded_ = true;
    return {};
  }

  Skeleton(Skeleton&& o) noexcept
      : s_(std::exchange(o.s_, nullptr)), what_(std::move(o.what_)), loaded_(o.loaded_) {}
  Skeleton& operator=(Skeleton&& o) noexcept {
    if (this != &o) {
      reset();
      s_ = std::exchange(o.s_, nullptr);
      what_ = std::move(o.what_);
      loaded_ = o.loaded_;
    }
    return *this;
  }
  Skeleton(const Skeleton&) = delete;
  Skeleton& operator=(const Skeleton&) = delete;
  ~Skeleton() { reset(); }

  T* get() const { return s_; }
  T* operator->() const { return s_; }
  bool loaded() const { return loaded_; }

 private:
  Skeleton(T* s, std::string what) : s_(s), what_(std::move(what)) {}
  void reset() {
    if (s_) Traits::destroy(s_);
    s_ = nullptr;
  }
  T* s_ = nullptr;
  std::string what_;
  bool loaded_ = false;
};

}  // namespace netaccel
