#include "verifier/core/temp_dir.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>

namespace dp {
namespace {

namespace fs = std::filesystem;

// Sets or unsets an environment variable for one scope.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : m_name(name) {
    if (const char* old = std::getenv(name)) m_old = old;
    if (value)
      ::setenv(name, value, 1);
    else
      ::unsetenv(name);
  }
  ~ScopedEnv() {
    if (m_old)
      ::setenv(m_name.c_str(), m_old->c_str(), 1);
    else
      ::unsetenv(m_name.c_str());
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  std::string m_name;
  std::optional<std::string> m_old;
};

TempDir make(const std::string& prefix = "dp-tempdir-test-") {
  auto d = TempDir::create(prefix);
  if (!d) throw std::runtime_error("TempDir::create: " + d.error().message);
  return std::move(*d);
}

void touch(const fs::path& p, const std::string& content = "x") { std::ofstream(p) << content; }

TEST(TempDir, CreatedPrivateUnderTheTempRoot) {
  TempDir d = make("dp-tempdir-test-");
  ASSERT_FALSE(d.path().empty());
  EXPECT_TRUE(fs::is_directory(d.path()));
  EXPECT_EQ(d.path().parent_path(), temp_root());
  const std::string name = d.path().filename().string();
  EXPECT_EQ(name.rfind("dp-tempdir-test-", 0), 0u) << name;
  EXPECT_EQ(name.size(), std::string("dp-tempdir-test-").size() + 6);
  struct stat st {};
  ASSERT_EQ(::stat(d.path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700u);
  EXPECT_EQ(st.st_uid, ::geteuid());
  EXPECT_FALSE(d.kept());
}

TEST(TempDir, EachOneIsNew) {
  TempDir a = make();
  TempDir b = make();
  EXPECT_NE(a.path(), b.path());
}

TEST(TempDir, RemovedWithItsContentOnDestruction) {
  fs::path p;
  {
    TempDir d = make();
    p = d.path();
    fs::create_directories(p / "data" / "base");
    touch(p / "data" / "base" / "1234");
    touch(p / "server.log");
    fs::create_symlink("/etc", p / "link-out");  // removed, not followed
    ASSERT_TRUE(fs::exists(p / "data" / "base" / "1234"));
  }
  EXPECT_FALSE(fs::exists(p));
  EXPECT_TRUE(fs::exists("/etc"));
}

TEST(TempDir, KeepLeavesItInPlace) {
  fs::path p;
  {
    TempDir d = make();
    p = d.path();
    touch(p / "postmaster.pid");
    d.keep();
    EXPECT_TRUE(d.kept());
  }
  EXPECT_TRUE(fs::is_directory(p));
  EXPECT_TRUE(fs::exists(p / "postmaster.pid"));
  std::error_code ec;
  fs::remove_all(p, ec);
  EXPECT_FALSE(ec) << ec.message();
}

TEST(TempDir, MoveTransfersOwnership) {
  fs::path p;
  {
    TempDir a = make();
    p = a.path();
    {
      TempDir b(std::move(a));
      EXPECT_EQ(b.path(), p);
      EXPECT_TRUE(a.path().empty());  // NOLINT(bugprone-use-after-move): moved-from is empty
    }
    // b is gone: the directory with it.
    EXPECT_FALSE(fs::exists(p));
  }
}

TEST(TempDir, MoveAssignmentRemovesTheOldDirectory) {
  TempDir a = make();
  TempDir b = make();
  const fs::path old_a = a.path();
  const fs::path pb = b.path();
  a = std::move(b);
  EXPECT_FALSE(fs::exists(old_a));
  EXPECT_EQ(a.path(), pb);
  EXPECT_TRUE(fs::is_directory(pb));
}

TEST(TempDir, HonoursTmpdir) {
  TempDir root = make("dp-tempdir-root-");
  {
    ScopedEnv env("TMPDIR", root.path().c_str());
    EXPECT_EQ(temp_root(), root.path());
    TempDir inner = make();
    EXPECT_EQ(inner.path().parent_path(), root.path());
  }
  {
    ScopedEnv env("TMPDIR", "");
    EXPECT_EQ(temp_root(), fs::path("/tmp"));
  }
  {
    ScopedEnv env("TMPDIR", nullptr);
    EXPECT_EQ(temp_root(), fs::path("/tmp"));
  }
}

TEST(TempDir, CreateFailsInAMissingRoot) {
  ScopedEnv env("TMPDIR", "/nonexistent-dp-root");
  auto d = TempDir::create("x-");
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code, Errc::io);
  EXPECT_EQ(d.error().message,
            "cannot create a temporary directory /nonexistent-dp-root/x-XXXXXX: No such file or "
            "directory");
}

TEST(TempDir, ChownToOurselves) {
  TempDir d = make();
  touch(d.path() / "f");
  Credentials me{"me", ::geteuid(), ::getegid()};
  auto r = d.chown_to(me);
  ASSERT_TRUE(r) << r.error().message;
  struct stat st {};
  ASSERT_EQ(::stat((d.path() / "f").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, me.uid);
  EXPECT_EQ(st.st_gid, me.gid);
}

}  // namespace
}  // namespace dp
