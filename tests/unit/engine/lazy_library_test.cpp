// Client libraries loaded on first use (lazy_library.hpp): first use from
// several threads at once, and a library that cannot be loaded being an
// error value rather than the end of the process.
#include <gtest/gtest.h>

#include <barrier>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "verifier/engine/engine.hpp"
#if DP_LAZY_DB_LIBS
#include "verifier/engine/lazy_library.hpp"
#endif

namespace dp::engine {
namespace {

constexpr int k_threads = 8;

// Runs `body(i)` on k_threads threads released at the same moment.
template <typename F>
void all_at_once(F body) {
  std::barrier start(k_threads);
  std::vector<std::thread> threads;
  for (int i = 0; i < k_threads; ++i)
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      body(i);
    });
  for (auto& t : threads) t.join();
}

// First in this binary, so the two threads are the process's first use of
// libsqlite3: both open the database and count the same rows.
TEST(LazyLibrary, SqliteEngineFromTwoThreadsAtFirstUse) {
  ConnectOptions options;
  options.kind = EngineKind::sqlite;
  options.database = std::string(DP_SHARED_DIR) + "/datasets/chinook/Chinook_Sqlite.sqlite";
  std::barrier start(2);
  std::uint64_t counts[2] = {0, 0};
  std::string errors[2];
  std::vector<std::thread> threads;
  for (int i = 0; i < 2; ++i)
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      auto engine = connect(options);
      if (!engine) {
        errors[i] = engine.error().message;
        return;
      }
      auto n = query_count(**engine, "SELECT count(*) FROM Track");
      if (n)
        counts[i] = *n;
      else
        errors[i] = n.error().message;
    });
  for (auto& t : threads) t.join();
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(errors[i], "") << i;
    EXPECT_EQ(counts[i], 3503u) << i;
  }
  EXPECT_TRUE(client_library_ready(EngineKind::sqlite));
}

#if DP_LAZY_DB_LIBS
// A fresh Library per test, so each sees a true first use.
TEST(LazyLibrary, ConcurrentFirstLoadGivesOneAddress) {
  lazy::Library library("libsqlite3.so.0", "SQLite library", "libsqlite3-0",
                        "DP_TEST_UNSET_SONAME");
  std::vector<void*> got(k_threads, nullptr);
  all_at_once([&](int i) {
    if (library.ensure_loaded())
      got[static_cast<std::size_t>(i)] = library.symbol("sqlite3_libversion_number");
  });
  ASSERT_NE(got[0], nullptr);
  for (void* p : got) EXPECT_EQ(p, got[0]);
  auto version = reinterpret_cast<int (*)()>(got[0])();
  EXPECT_GE(version, 3'000'000);
}

TEST(LazyLibrary, MissingLibraryIsAnErrorForEveryCaller) {
  lazy::Library library("libdp-no-such.so.1", "Test library", "dp-no-such", "DP_TEST_UNSET_SONAME");
  std::vector<std::string> messages(k_threads);
  std::vector<Errc> codes(k_threads, Errc::internal);
  all_at_once([&](int i) {
    auto ok = library.ensure_loaded();
    if (!ok) {
      messages[static_cast<std::size_t>(i)] = ok.error().message;
      codes[static_cast<std::size_t>(i)] = ok.error().code;
    }
  });
  const std::string prefix = "cannot load libdp-no-such.so.1 (Test library): ";
  const std::string hint = "; hint: apt-get install dp-no-such";
  for (int i = 0; i < k_threads; ++i) {
    const auto& m = messages[static_cast<std::size_t>(i)];
    EXPECT_EQ(codes[static_cast<std::size_t>(i)], Errc::unsupported);
    EXPECT_EQ(m.rfind(prefix, 0), 0u) << m;
    EXPECT_NE(m.find("libdp-no-such.so.1: cannot open shared object file"), std::string::npos) << m;
    EXPECT_EQ(m.substr(m.size() - std::min(m.size(), hint.size())), hint) << m;
  }
}

// The test-only override makes an installed library unloadable.
TEST(LazyLibrary, TestOverrideReplacesTheSoname) {
  ASSERT_EQ(::setenv("DP_TEST_LAZY_OVERRIDE_SONAME", "libdp-overridden.so.0", 1), 0);
  lazy::Library library("libsqlite3.so.0", "SQLite library", "libsqlite3-0",
                        "DP_TEST_LAZY_OVERRIDE_SONAME");
  auto ok = library.ensure_loaded();
  ::unsetenv("DP_TEST_LAZY_OVERRIDE_SONAME");
  ASSERT_FALSE(ok);
  EXPECT_EQ(ok.error().message.rfind("cannot load libdp-overridden.so.0 (SQLite library): ", 0), 0u)
      << ok.error().message;
  // The outcome of the first load stands.
  EXPECT_FALSE(library.ensure_loaded());
}
#endif

}  // namespace
}  // namespace dp::engine
