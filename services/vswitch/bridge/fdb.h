// A network's MAC table: behind which port (a local port, or a remote VTEP) each MAC is. Read
// by every lcore for every frame without a lock; written by one thread (the one that drains the
// lcores' learning rings and serves the bus). Open addressing, linear probing over a fixed
// power-of-two array of 64-bit words: a slot's key word is written once (an empty slot becomes
// a MAC's and stays that MAC's), its value word is replaced whole, so a reader sees a MAC as
// absent, at its old port or at its new one, never half of an entry. Aging and removal clear
// the value (the key stays, the slot is reused by that MAC only); when such slots fill the
// table, the writer builds a compacted copy for the caller to swap in after a grace period.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

namespace netaccel::vswitch {

using Mac = std::array<uint8_t, 6>;

// Where a MAC is: a local port, or a remote VTEP (index into the network's VTEP list).
struct FdbPort {
  enum Kind : uint8_t { local = 0, vtep = 1 } kind = local;
  uint16_t index = 0;
  bool operator==(const FdbPort&) const = default;
};

enum class Learned { added, moved, refreshed, static_kept, table_full };

class FdbTable {
 public:
  // `capacity`: slots, rounded up to a power of two; tables keep a quarter free so a probe
  // for an absent MAC ends soon.
  explicit FdbTable(size_t capacity);

  // Any lcore.
  std::optional<FdbPort> lookup(const Mac& mac) const;
  // The lcore that saw `mac` as a source on `port`: true when the table already says so (just
  // the timestamp moved); false when the writer must learn it (queue it to the writer).
  bool seen(const Mac& mac, FdbPort port, uint32_t now_s) const;

  // The writer thread only.
  Learned learn(const Mac& mac, FdbPort port, uint32_t now_s);
  bool add_static(const Mac& mac, FdbPort port);  // false: the table is full
  bool remove(const Mac& mac);
  // Clears every dynamic entry not seen for `aging_s`; how many it cleared.
  size_t age(uint32_t now_s, uint32_t aging_s);
  // A copy holding only the live entries, `capacity` slots (to swap in when cleared slots fill
  // the table, or to grow it); nullptr when the live entries do not fit.
  std::unique_ptr<FdbTable> compacted(size_t capacity) const;
  size_t live() const { return live_; }
  size_t used_slots() const { return used_; }  // live and cleared
  size_t capacity() const { return slots_.size(); }
  bool needs_compaction() const { return used_ >= limit_ && live_ < limit_; }

 private:
  struct Slot {
    std::atomic<uint64_t> key{0};    // 1 << 48 | MAC (0: empty)
    std::atomic<uint64_t> value{0};  // valid bit, static bit, kind, index (0: no entry)
    mutable std::atomic<uint32_t> last_seen{0};
  };
  size_t find(uint64_t key) const;  // its slot, or the empty slot where it would go
  Slot* slot_for_write(uint64_t key);  // nullptr: full

  std::vector<Slot> slots_;
  size_t mask_, limit_, live_ = 0, used_ = 0;
};

}  // namespace netaccel::vswitch
