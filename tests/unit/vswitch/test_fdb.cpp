// The learning bridge's MAC table: learning, moves, static entries, aging, a full table and
// its compaction, and readers on other threads that only ever see whole entries.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "fdb.h"

using namespace netaccel::vswitch;

namespace {

Mac mac(uint32_t n) { return {0x02, 0, static_cast<uint8_t>(n >> 24), static_cast<uint8_t>(n >> 16), static_cast<uint8_t>(n >> 8), static_cast<uint8_t>(n)}; }
const FdbPort p1{FdbPort::local, 1}, p2{FdbPort::local, 2}, vtep3{FdbPort::vtep, 3};

TEST(Fdb, LearnsMovesAndKeepsStaticEntries) {
  FdbTable t(64);
  EXPECT_FALSE(t.lookup(mac(1)));
  EXPECT_EQ(t.learn(mac(1), p1, 10), Learned::added);
  EXPECT_EQ(t.lookup(mac(1)), p1);
  EXPECT_EQ(t.learn(mac(1), p1, 11), Learned::refreshed);
  EXPECT_EQ(t.learn(mac(1), vtep3, 12), Learned::moved);
  EXPECT_EQ(t.lookup(mac(1)), vtep3);
  ASSERT_TRUE(t.add_static(mac(2), p2));
  EXPECT_EQ(t.learn(mac(2), p1, 13), Learned::static_kept) << "a static entry is not learned over";
  EXPECT_EQ(t.lookup(mac(2)), p2);
  EXPECT_EQ(t.live(), 2u);
  EXPECT_TRUE(t.remove(mac(1)));
  EXPECT_FALSE(t.remove(mac(1)));
  EXPECT_FALSE(t.lookup(mac(1)));
  EXPECT_EQ(t.learn(mac(1), p2, 14), Learned::added) << "a removed MAC is learned again in its slot";
  EXPECT_EQ(t.used_slots(), 2u);
}

TEST(Fdb, LcoresOnlyQueueWhatChanged) {
  FdbTable t(64);
  EXPECT_FALSE(t.seen(mac(1), p1, 5)) << "unknown: the writer must learn it";
  t.learn(mac(1), p1, 5);
  EXPECT_TRUE(t.seen(mac(1), p1, 6)) << "known at this port: only its time moves";
  EXPECT_FALSE(t.seen(mac(1), p2, 6)) << "it moved: the writer must learn it";
  t.add_static(mac(2), p2);
  EXPECT_TRUE(t.seen(mac(2), p1, 6)) << "a static entry never moves: nothing to queue";
}

TEST(Fdb, AgesWhatWasNotSeen) {
  FdbTable t(64);
  t.learn(mac(1), p1, 0);
  t.learn(mac(2), p1, 0);
  t.add_static(mac(3), p2);
  EXPECT_TRUE(t.seen(mac(2), p1, 200));  // mac 2 sends again at 200 s
  EXPECT_EQ(t.age(299, 300), 0u);
  EXPECT_EQ(t.age(300, 300), 1u) << "mac 1, silent for 300 s";
  EXPECT_FALSE(t.lookup(mac(1)));
  EXPECT_EQ(t.lookup(mac(2)), p1);
  EXPECT_EQ(t.age(10000, 300), 1u) << "mac 2 in its turn; the static one stays";
  EXPECT_EQ(t.lookup(mac(3)), p2);
  EXPECT_EQ(t.live(), 1u);
}

TEST(Fdb, AFullTableSaysSoAndCompacts) {
  FdbTable t(16);  // 12 usable slots
  for (uint32_t i = 0; i < 12; ++i) ASSERT_EQ(t.learn(mac(i), p1, 0), Learned::added) << i;
  EXPECT_EQ(t.learn(mac(100), p1, 0), Learned::table_full);
  EXPECT_FALSE(t.lookup(mac(100))) << "a probe for an absent MAC ends";
  EXPECT_EQ(t.age(1000, 300), 12u);
  EXPECT_EQ(t.learn(mac(100), p1, 1000), Learned::table_full) << "aged slots belong to their MACs";
  EXPECT_TRUE(t.needs_compaction());
  t.learn(mac(5), p2, 1000);  // one comes back before the swap
  auto c = t.compacted(16);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->live(), 1u);
  EXPECT_EQ(c->lookup(mac(5)), p2);
  EXPECT_EQ(c->learn(mac(100), p1, 1000), Learned::added);
  FdbTable big(64);
  for (uint32_t i = 0; i < 40; ++i) big.learn(mac(i), p1, 0);
  EXPECT_FALSE(big.compacted(16)) << "40 live entries do not fit 12 slots";
  auto grown = big.compacted(128);
  ASSERT_TRUE(grown);
  for (uint32_t i = 0; i < 40; ++i) EXPECT_EQ(grown->lookup(mac(i)), p1) << i;
}

// Readers never see half an entry: while the writer moves one MAC between two ports and fills
// the table with others, a reader finds that MAC at one of the two ports (never elsewhere,
// never absent: it is learned before the reader starts) and every static MAC where it is.
TEST(Fdb, ReadersSeeWholeEntriesWhileTheWriterWrites) {
  FdbTable t(1 << 16);
  t.learn(mac(7), p1, 0);
  for (uint32_t i = 1000; i < 1100; ++i) t.add_static(mac(i), vtep3);
  std::atomic<bool> done{false};
  std::atomic<uint64_t> wrong{0}, reads{0};
  std::thread reader([&] {
    while (!done.load()) {
      auto p = t.lookup(mac(7));
      if (!p || (*p != p1 && *p != p2)) ++wrong;
      for (uint32_t i = 1000; i < 1100; i += 7)
        if (t.lookup(mac(i)) != vtep3) ++wrong;
      ++reads;
    }
  });
  for (uint32_t round = 0; round < 20000; ++round) {
    t.learn(mac(7), round % 2 ? p2 : p1, round);
    t.learn(mac(100000 + round), p1, round);
  }
  // The reader ran alongside: at least some reads overlapped the writes (counted, not timed).
  while (reads.load() < 1000) std::this_thread::yield();
  done = true;
  reader.join();
  EXPECT_EQ(wrong.load(), 0u);
}

}  // namespace
