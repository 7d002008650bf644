// LineBatcher: every line reaches the worker once, in order, across batch
// boundaries; an exception thrown while processing comes back from finish()
// on the producer's thread instead of terminating the process.
#include <gtest/gtest.h>

#include <chrono>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "checks/line_batcher.hpp"

namespace dp::checks {
namespace {

TEST(LineBatcherTest, EveryLineInOrderAcrossBatches) {
  std::vector<std::string> seen;
  {
    LineBatcher batcher([&](std::string_view line) { seen.emplace_back(line); }, 64);
    for (int i = 0; i < 10000; ++i) batcher.add(i % 7 == 0 ? "" : "line " + std::to_string(i));
    batcher.finish();
    ASSERT_EQ(seen.size(), 10000U);
  }
  for (int i = 0; i < 10000; ++i)
    ASSERT_EQ(seen[static_cast<std::size_t>(i)], i % 7 == 0 ? "" : "line " + std::to_string(i));
}

TEST(LineBatcherTest, DestructorProcessesWhatIsLeft) {
  std::size_t n = 0;
  {
    LineBatcher batcher([&](std::string_view) { ++n; }, 1 << 20);
    for (int i = 0; i < 100; ++i) batcher.add("k");
  }
  EXPECT_EQ(n, 100U);
}

TEST(LineBatcherTest, ExceptionComesBackFromFinishAndLaterLinesAreSkipped) {
  std::vector<std::string> seen;
  LineBatcher batcher(
      [&](std::string_view line) {
        if (line == "bad 50") throw std::runtime_error("cannot process " + std::string(line));
        seen.emplace_back(line);
      },
      32);
  // Many batches after the failing one: the producer must never block.
  for (int i = 0; i < 5000; ++i) batcher.add("bad " + std::to_string(i));
  try {
    batcher.finish();
    FAIL() << "finish() did not rethrow";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "cannot process bad 50");
  }
  ASSERT_EQ(seen.size(), 50U);
  EXPECT_EQ(seen.back(), "bad 49");
  batcher.finish();  // rethrows once only
}

TEST(LineBatcherTest, DestructorNeverThrows) {
  EXPECT_NO_THROW({
    LineBatcher batcher([](std::string_view) { throw std::runtime_error("x"); }, 16);
    batcher.add("a");
    batcher.add("b");
  });
}

TEST(LineBatcherTest, QueueRunsAheadOfABlockedWorkerUpToItsBound) {
  // The worker blocks on the first line (as blob_refs waits for its index):
  // the producer keeps handing off until the queue holds max_queued_bytes,
  // then waits; every line still arrives once, in order.
  std::mutex gate;
  gate.lock();
  std::vector<std::string> seen;
  bool first = true;
  LineBatcher batcher(
      [&](std::string_view line) {
        if (first) {
          std::lock_guard wait(gate);
          first = false;
        }
        seen.emplace_back(line);
      },
      1000, 10000);
  std::thread producer([&] {
    for (int i = 0; i < 20000; ++i) batcher.add("row " + std::to_string(i));
    batcher.finish();
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  std::size_t queued = batcher.peak_queued_bytes();
  EXPECT_GT(queued, 5000U);   // ran ahead by several batches
  EXPECT_LE(queued, 10000U);  // but no further than the bound
  gate.unlock();
  producer.join();
  ASSERT_EQ(seen.size(), 20000U);
  for (int i = 0; i < 20000; ++i)
    ASSERT_EQ(seen[static_cast<std::size_t>(i)], "row " + std::to_string(i));
  EXPECT_LE(batcher.peak_queued_bytes(), 10000U);
}

TEST(LineBatcherTest, WholeBatchesHoldEveryLineOnceInOrder) {
  std::string joined;
  std::size_t batches = 0;
  {
    LineBatcher batcher(
        LineBatcher::WholeBatches{},
        [&](std::string_view lines) {
          ASSERT_FALSE(lines.empty());
          ASSERT_EQ(lines.back(), '\n');
          joined.append(lines);
          ++batches;
        },
        64, 256);
    for (int i = 0; i < 3000; ++i) batcher.add(i % 5 == 0 ? "" : "k" + std::to_string(i));
    batcher.finish();
  }
  std::string expected;
  for (int i = 0; i < 3000; ++i) expected += (i % 5 == 0 ? "" : "k" + std::to_string(i)) + "\n";
  EXPECT_EQ(joined, expected);
  EXPECT_GT(batches, 100U);
}

}  // namespace
}  // namespace dp::checks
