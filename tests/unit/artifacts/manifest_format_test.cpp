// The manifest text format: ordering, escaping and the reader's refusals.
#include "verifier/artifacts/manifest_format.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <optional>

#include "verifier/core/temp_dir.hpp"

namespace dp::artifacts {
namespace {

TEST(PathLess, SlashSortsFirst) {
  EXPECT_TRUE(path_less("a/x", "a-b"));
  EXPECT_FALSE(path_less("a-b", "a/x"));
  EXPECT_TRUE(path_less("a", "a/x"));
  EXPECT_TRUE(path_less("a/z", "ab"));
  EXPECT_FALSE(path_less("a", "a"));
  EXPECT_TRUE(path_less("Z", "a"));
  EXPECT_TRUE(path_less("a", "\xc3\xa9"));  // bytes compare unsigned
}

TEST(EntryLine, EscapesBackslashAndNewline) {
  ManifestEntry e{"d/x\\y\nz", EntryType::file, 12, std::string(32, 'a')};
  EXPECT_EQ(entry_line(e), "f " + std::string(32, 'a') + " 12 d/x\\\\y\\nz\n");
  e.type = EntryType::symlink;
  EXPECT_EQ(entry_line(e).substr(0, 2), "l ");
}

class Reader : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = TempDir::create("dp-manifest-format-");
    ASSERT_TRUE(dir);
    m_dir.emplace(std::move(*dir));
  }
  // The error message from reading a manifest with this body, or "" if it reads.
  std::string read_error(const std::string& body) {
    auto file = m_dir->path() / "m";
    std::ofstream(file, std::ios::binary) << header_line(Algorithm::xxh3_128) << body;
    auto reader = ManifestReader::open(file);
    if (!reader) return reader.error().message;
    for (;;) {
      auto next = reader->next();
      if (!next) return next.error().message;
      if (!*next) return "";
    }
  }
  std::optional<TempDir> m_dir;
};

TEST_F(Reader, RefusesMalformedLines) {
  std::string d(32, '0');
  EXPECT_EQ(read_error("f " + d + " 1 a\nf " + d + " 2 b\n"), "");
  EXPECT_NE(read_error("x " + d + " 1 a\n").find(":2: expected"), std::string::npos);
  EXPECT_NE(read_error("f abc 1 a\n").find(":2: digest is not xxh3-128 hex"), std::string::npos);
  EXPECT_NE(read_error("f " + d + " 1x a\n").find("size is not a number"), std::string::npos);
  EXPECT_NE(read_error("f " + d + " 1 /etc/passwd\n").find("clean relative"), std::string::npos);
  EXPECT_NE(read_error("f " + d + " 1 ../up\n").find("clean relative"), std::string::npos);
  EXPECT_NE(read_error("f " + d + " 1 b\nf " + d + " 1 a\n").find(":3: a: out of order"),
            std::string::npos);
  EXPECT_NE(read_error("f " + d + " 1 a\nf " + d + " 1 a\n").find("duplicate"), std::string::npos);
  EXPECT_NE(read_error("# self-digest " + d + "\nf " + d + " 1 a\n").find("after the self-digest"),
            std::string::npos);
}

}  // namespace
}  // namespace dp::artifacts
