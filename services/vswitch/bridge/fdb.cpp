#include "fdb.h"

namespace netaccel::vswitch {

namespace {

constexpr uint64_t kKeyUsed = 1ull << 48;
constexpr uint64_t kValid = 1ull << 63, kStatic = 1ull << 62;

uint64_t key_of(const Mac& m) {
  uint64_t k = 0;
  for (uint8_t b : m) k = k << 8 | b;
  return k | kKeyUsed;
}

uint64_t value_of(FdbPort p, bool is_static) {
  return kValid | (is_static ? kStatic : 0) | static_cast<uint64_t>(p.kind) << 16 | p.index;
}

FdbPort port_of(uint64_t v) { return {static_cast<FdbPort::Kind>(v >> 16 & 1), static_cast<uint16_t>(v & 0xffff)}; }

// The MAC's bits mixed (the low bits of locally administered MACs differ little).
size_t hash(uint64_t key) {
  key ^= key >> 29;
  key *= 0xbf58476d1ce4e5b9ull;
  key ^= key >> 32;
  return static_cast<size_t>(key);
}

Mac mac_of(uint64_t key) {
  Mac m;
  for (int i = 5; i >= 0; --i, key >>= 8) m[static_cast<size_t>(i)] = static_cast<uint8_t>(key);
  return m;
}

}  // namespace

FdbTable::FdbTable(size_t capacity) {
  size_t n = 16;
  while (n < capacity) n <<= 1;
  slots_ = std::vector<Slot>(n);
  mask_ = n - 1;
  limit_ = n - n / 4;
}

size_t FdbTable::find(uint64_t key) const {
  size_t i = hash(key) & mask_;
  for (;;) {  // ends: a quarter of the slots stays empty
    const uint64_t k = slots_[i].key.load(std::memory_order_acquire);
    if (k == key || k == 0) return i;
    i = (i + 1) & mask_;
  }
}

std::optional<FdbPort> FdbTable::lookup(const Mac& mac) const {
  const Slot& s = slots_[find(key_of(mac))];
  const uint64_t v = s.value.load(std::memory_order_acquire);
  if (!(v & kValid)) return std::nullopt;
  return port_of(v);
}

bool FdbTable::seen(const Mac& mac, FdbPort port, uint32_t now_s) const {
  const Slot& s = slots_[find(key_of(mac))];
  const uint64_t v = s.value.load(std::memory_order_acquire);
  if (!(v & kValid) || port_of(v) != port) return (v & kStatic) != 0;  // a static entry never moves
  // Relaxed: lcores race to write one second; any of their values will do for aging.
  if (s.last_seen.load(std::memory_order_relaxed) != now_s) s.last_seen.store(now_s, std::memory_order_relaxed);
  return true;
}

FdbTable::Slot* FdbTable::slot_for_write(uint64_t key) {
  Slot& s = slots_[find(key)];
  if (s.key.load(std::memory_order_relaxed) == key) return &s;
  if (used_ >= limit_) return nullptr;
  ++used_;
  s.key.store(key, std::memory_order_release);  // its value is still 0: absent until set
  return &s;
}

Learned FdbTable::learn(const Mac& mac, FdbPort port, uint32_t now_s) {
  Slot* s = slot_for_write(key_of(mac));
  if (!s) return Learned::table_full;
  const uint64_t v = s->value.load(std::memory_order_relaxed);
  if (v & kStatic) return Learned::static_kept;
  s->last_seen.store(now_s, std::memory_order_relaxed);
  if ((v & kValid) && port_of(v) == port) return Learned::refreshed;
  s->value.store(value_of(port, false), std::memory_order_release);
  if (!(v & kValid)) {
    ++live_;
    return Learned::added;
  }
  return Learned::moved;
}

bool FdbTable::add_static(const Mac& mac, FdbPort port) {
  Slot* s = slot_for_write(key_of(mac));
  if (!s) return false;
  if (!(s->value.load(std::memory_order_relaxed) & kValid)) ++live_;
  s->value.store(value_of(port, true), std::memory_order_release);
  return true;
}

bool FdbTable::remove(const Mac& mac) {
  Slot& s = slots_[find(key_of(mac))];
  if (!(s.value.load(std::memory_order_relaxed) & kValid)) return false;
  s.value.store(0, std::memory_order_release);
  --live_;
  return true;
}

size_t FdbTable::age(uint32_t now_s, uint32_t aging_s) {
  size_t cleared = 0;
  for (auto& s : slots_) {
    const uint64_t v = s.value.load(std::memory_order_relaxed);
    if (!(v & kValid) || (v & kStatic)) continue;
    if (now_s - s.last_seen.load(std::memory_order_relaxed) < aging_s) continue;
    s.value.store(0, std::memory_order_release);
    --live_;
    ++cleared;
  }
  return cleared;
}

std::unique_ptr<FdbTable> FdbTable::compacted(size_t capacity) const {
  auto t = std::make_unique<FdbTable>(capacity);
  if (live_ > t->limit_) return nullptr;
  for (const auto& s : slots_) {
    const uint64_t v = s.value.load(std::memory_order_relaxed);
    if (!(v & kValid)) continue;
    const Mac m = mac_of(s.key.load(std::memory_order_relaxed));
    if (v & kStatic) t->add_static(m, port_of(v));
    else t->learn(m, port_of(v), s.last_seen.load(std::memory_order_relaxed));
  }
  return t;
}

}  // namespace netaccel::vswitch
