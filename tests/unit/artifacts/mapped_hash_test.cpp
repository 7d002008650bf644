// Hashing through mappings: the same digest as reading, and a file that is
// shorter than its mapping (what a truncation while mapped looks like) is
// MapStatus::shrank, and an error naming the sizes, not a SIGBUS crash.
#include "verifier/artifacts/mapped_hash.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "verifier/core/fd.hpp"
#include "verifier/core/temp_dir.hpp"

namespace dp::artifacts {
namespace {

namespace fs = std::filesystem;

std::string pattern(std::size_t size) {
  std::string bytes(size, '\0');
  for (std::size_t i = 0; i < size; i += 4093) bytes[i] = static_cast<char>(i / 4093);
  return bytes;
}

class MappedHash : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = TempDir::create("dp-mapped-");
    ASSERT_TRUE(dir) << dir.error().message;
    m_dir.emplace(std::move(*dir));
  }
  void TearDown() override {
    if (HasFailure()) m_dir->keep();
  }
  fs::path write(const std::string& bytes) {
    fs::path p = m_dir->path() / "file.bin";
    std::ofstream(p, std::ios::binary | std::ios::trunc) << bytes;
    return p;
  }
  std::optional<TempDir> m_dir;
};

TEST_F(MappedHash, SameDigestAsTheBytesAcrossWindows) {
  std::string bytes = pattern(2 * k_map_window + 12345);  // three windows, the last partial
  fs::path p = write(bytes);
  for (Algorithm algorithm : {Algorithm::xxh3_128, Algorithm::sha256}) {
    Fd fd(::open(p.c_str(), O_RDONLY | O_CLOEXEC));
    ASSERT_TRUE(fd.valid());
    Hasher mapped(algorithm), whole(algorithm);
    ASSERT_EQ(hash_mapped(fd.get(), bytes.size(), mapped), MapStatus::hashed);
    whole.update(bytes);
    EXPECT_EQ(mapped.finish_hex(), whole.finish_hex()) << algorithm_name(algorithm);
  }
  std::vector<unsigned char> buffer(128 * 1024);
  auto digest = hash_file(p, Algorithm::xxh3_128, buffer);  // takes the mapped path
  ASSERT_TRUE(digest) << digest.error().message;
  Hasher whole(Algorithm::xxh3_128);
  whole.update(bytes);
  EXPECT_EQ(digest->size, bytes.size());
  EXPECT_EQ(digest->hex, whole.finish_hex());
}

// The kernel's view of a file truncated after it was mapped: pages past the
// end raise SIGBUS. Here the mapping is simply longer than the file.
TEST_F(MappedHash, MappingPastTheEndIsShrankNotACrash) {
  fs::path p = write(pattern(3 * 1024 * 1024 + 100));
  Fd fd(::open(p.c_str(), O_RDONLY | O_CLOEXEC));
  ASSERT_TRUE(fd.valid());
  Hasher hasher(Algorithm::xxh3_128);
  EXPECT_EQ(hash_mapped(fd.get(), 8 * 1024 * 1024, hasher), MapStatus::shrank);
  // In the second window, and again: the guard is re-armed every time.
  Hasher again(Algorithm::sha256);
  EXPECT_EQ(hash_mapped(fd.get(), k_map_window + 4096, again), MapStatus::shrank);
  Hasher fits(Algorithm::xxh3_128);
  EXPECT_EQ(hash_mapped(fd.get(), 3 * 1024 * 1024 + 100, fits), MapStatus::hashed);
}

// A real truncation racing the hash, on another thread: whichever wins, the
// outcome is one of the two defined ones, never a crash.
TEST_F(MappedHash, TruncatedWhileHashedIsShrankOrComplete) {
  std::string bytes = pattern(4 * k_map_window);
  Hasher whole(Algorithm::xxh3_128);
  whole.update(bytes);
  std::string expected = whole.finish_hex();
  int shrank = 0;
  for (int round = 0; round < 4; ++round) {
    fs::path p = write(bytes);
    Fd fd(::open(p.c_str(), O_RDONLY | O_CLOEXEC));
    ASSERT_TRUE(fd.valid());
    std::atomic<bool> started{false};
    std::thread truncator([&] {
      while (!started.load()) std::this_thread::yield();
      fs::resize_file(p, 4096);
    });
    Hasher hasher(Algorithm::xxh3_128);
    started = true;
    MapStatus status = hash_mapped(fd.get(), bytes.size(), hasher);
    truncator.join();
    if (status == MapStatus::shrank)
      ++shrank;
    else
      EXPECT_EQ(hasher.finish_hex(), expected);
    EXPECT_NE(status, MapStatus::cannot_map);
  }
  RecordProperty("shrank_rounds", shrank);
}

// The manifest's size chooses the mapped path; the mapping ends where the
// file ends now, so a file truncated before it is opened reads as resized.
TEST_F(MappedHash, HashFileMapsTheSizeTheFileHasNow) {
  fs::path p = write(pattern(2 * 1024 * 1024));
  fs::resize_file(p, 1024 * 1024 + 1);
  std::vector<unsigned char> buffer(128 * 1024);
  auto digest = hash_file(p, Algorithm::xxh3_128, buffer, std::uint64_t{2 * 1024 * 1024});
  ASSERT_TRUE(digest) << digest.error().message;
  EXPECT_EQ(digest->size, 1024u * 1024 + 1);
  Hasher whole(Algorithm::xxh3_128);
  whole.update(pattern(2 * 1024 * 1024).substr(0, 1024 * 1024 + 1));
  EXPECT_EQ(digest->hex, whole.finish_hex());
}

TEST_F(MappedHash, OtherSigbusStillKills) {
  fs::path p = write(pattern(2 * 1024 * 1024));
  Fd fd(::open(p.c_str(), O_RDONLY | O_CLOEXEC));
  ASSERT_TRUE(fd.valid());
  Hasher hasher(Algorithm::xxh3_128);
  ASSERT_EQ(hash_mapped(fd.get(), 2 * 1024 * 1024, hasher), MapStatus::hashed);  // handler set
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(::raise(SIGBUS), ::testing::KilledBySignal(SIGBUS), "");
}

}  // namespace
}  // namespace dp::artifacts
