#include "verifier/core/text.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "verifier/core/temp_dir.hpp"

namespace dp {
namespace {

using Strings = std::vector<std::string>;

TEST(Trim, StripsSpacesTabsAndLineEnds) {
  EXPECT_EQ(trim("  a b \t\r\n"), "a b");
  EXPECT_EQ(trim("\n\tx"), "x");
  EXPECT_EQ(trim("x"), "x");
  EXPECT_EQ(trim(""), "");
  EXPECT_EQ(trim(" \t\r\n "), "");
  EXPECT_EQ(trim("a\n\nb"), "a\n\nb");  // inner whitespace stays
}

TEST(Split, KeepsEmptyFields) {
  EXPECT_EQ(split("public.orders", '.'), (Strings{"public", "orders"}));
  EXPECT_EQ(split("a.b.c", '.'), (Strings{"a", "b", "c"}));
  EXPECT_EQ(split("orders", '.'), (Strings{"orders"}));
  EXPECT_EQ(split("", '.'), (Strings{""}));
  EXPECT_EQ(split("a.", '.'), (Strings{"a", ""}));
  EXPECT_EQ(split(".a", '.'), (Strings{"", "a"}));
  EXPECT_EQ(split("a..b", '.'), (Strings{"a", "", "b"}));
  EXPECT_EQ(split("x:y", ':'), (Strings{"x", "y"}));
}

TEST(SplitLines, ViewsWithoutNewlines) {
  using Views = std::vector<std::string_view>;
  EXPECT_EQ(split_lines("a\nb\n"), (Views{"a", "b"}));
  EXPECT_EQ(split_lines("a\nb"), (Views{"a", "b"}));  // a last line without '\n' counts
  EXPECT_EQ(split_lines("a\n\nb\n"), (Views{"a", "", "b"}));
  EXPECT_EQ(split_lines("\n"), (Views{""}));
  EXPECT_TRUE(split_lines("").empty());
}

TEST(TailLines, KeepsTheLastLines) {
  const std::string log = "line 1\nline 2\nline 3\nline 4\n";
  EXPECT_EQ(tail_lines(log, 2), "line 3\nline 4");
  EXPECT_EQ(tail_lines(log, 1), "line 4");
  EXPECT_EQ(tail_lines(log, 4), "line 1\nline 2\nline 3\nline 4");
  EXPECT_EQ(tail_lines(log, 10), "line 1\nline 2\nline 3\nline 4");
}

TEST(TailLines, TrimsSurroundingBlankLines) {
  EXPECT_EQ(tail_lines("\n\nfirst\nlast\n\n\n", 1), "last");
  EXPECT_EQ(tail_lines("  only line  ", 3), "only line");
  EXPECT_EQ(tail_lines("", 3), "");
  EXPECT_EQ(tail_lines("\n\n", 3), "");
}

TEST(TailLines, CountsEmptyLinesInside) {
  EXPECT_EQ(tail_lines("a\n\nb", 2), "\nb");
  EXPECT_EQ(tail_lines("a\n\nb", 3), "a\n\nb");
}

TEST(TailLines, CrLfLines) { EXPECT_EQ(tail_lines("a\r\nb\r\nc\r\n", 2), "b\r\nc"); }

TEST(TailLines, CapsBytesKeepingTheEnd) {
  EXPECT_EQ(tail_lines("abcdef\nghij", 5, 3), "hij");
  EXPECT_EQ(tail_lines("abcdef\nghij", 5, 6), "f\nghij");
  std::string big(20'000, 'x');
  EXPECT_EQ(tail_lines(big + "\nend", 5).size(), 8192u);  // the default cap
  EXPECT_EQ(tail_lines(big + "\nend", 5).substr(8189), "end");
}

TEST(TailLines, ZeroLinesIsEmpty) { EXPECT_EQ(tail_lines("a\nb\nc", 0), ""); }

class FileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto d = TempDir::create("dp-text-test-");
    ASSERT_TRUE(d) << d.error().message;
    dir.emplace(std::move(*d));
  }
  std::filesystem::path file(const char* name) const { return dir->path() / name; }
  std::optional<TempDir> dir;
};

TEST_F(FileTest, WriteThenReadHead) {
  ASSERT_TRUE(write_file(file("a.txt"), "hello world"));
  auto whole = read_file_head(file("a.txt"), 100);
  ASSERT_TRUE(whole) << whole.error().message;
  EXPECT_EQ(*whole, "hello world");
  auto head = read_file_head(file("a.txt"), 5);
  ASSERT_TRUE(head);
  EXPECT_EQ(*head, "hello");
  auto none = read_file_head(file("a.txt"), 0);
  ASSERT_TRUE(none);
  EXPECT_EQ(*none, "");
}

TEST_F(FileTest, ReadHeadKeepsBinaryBytes) {
  const std::string bytes("PGDMP\0\x01\xff", 8);
  ASSERT_TRUE(write_file(file("dump"), bytes));
  auto head = read_file_head(file("dump"), 8);
  ASSERT_TRUE(head);
  EXPECT_EQ(*head, bytes);
  EXPECT_EQ(head->size(), 8u);
}

TEST_F(FileTest, ReadHeadOfMissingFileIsAnIoError) {
  auto head = read_file_head(file("missing"), 10);
  ASSERT_FALSE(head);
  EXPECT_EQ(head.error().code, Errc::io);
  EXPECT_EQ(head.error().message, "cannot read " + file("missing").string());
}

TEST_F(FileTest, ReadTail) {
  ASSERT_TRUE(write_file(file("log"), "0123456789"));
  EXPECT_EQ(read_file_tail(file("log"), 4), "6789");
  EXPECT_EQ(read_file_tail(file("log"), 10), "0123456789");
  EXPECT_EQ(read_file_tail(file("log"), 1000), "0123456789");
  EXPECT_EQ(read_file_tail(file("log"), 0), "");
}

TEST_F(FileTest, ReadTailOfMissingFileIsEmpty) {
  EXPECT_EQ(read_file_tail(file("missing"), 100), "");
}

TEST_F(FileTest, ReadTailNeverInventsBytes) {
  EXPECT_EQ(read_file_tail(dir->path(), 16), "");
  EXPECT_EQ(read_file_tail("/proc/self/status", 16).find('\0'), std::string::npos);
}

TEST_F(FileTest, ReadTailThenTailLines) {
  ASSERT_TRUE(write_file(file("restore.log"),
                         "pg_restore: creating TABLE\npg_restore: error: could not execute\n"
                         "pg_restore: warning: errors ignored on restore: 1\n"));
  EXPECT_EQ(tail_lines(read_file_tail(file("restore.log"), 16384), 1),
            "pg_restore: warning: errors ignored on restore: 1");
}

TEST_F(FileTest, WriteFileTruncates) {
  ASSERT_TRUE(write_file(file("a"), "a long first version"));
  ASSERT_TRUE(write_file(file("a"), "short"));
  EXPECT_EQ(read_file_tail(file("a"), 100), "short");
}

TEST_F(FileTest, WriteIntoMissingFolderIsAnIoError) {
  auto r = write_file(file("no/such/dir"), "x");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::io);
  EXPECT_EQ(r.error().message,
            "cannot write " + file("no/such/dir").string() + ": No such file or directory");
}

TEST(FormatUtc, IsoAndCompact) {
  auto t = std::chrono::system_clock::time_point(std::chrono::seconds(1'794'459'845));
  EXPECT_EQ(format_utc(t), "2026-11-12T05:04:05Z");
  EXPECT_EQ(format_utc_compact(t), "20261112T050405Z");
}

TEST(ConninfoHasPassword, FindsKeywordsAndUriPasswords) {
  EXPECT_TRUE(conninfo_has_password("host=db password=secret dbname=shop"));
  EXPECT_TRUE(conninfo_has_password("host=db PASSWORD = 'x y'"));
  EXPECT_TRUE(conninfo_has_password("postgresql://app:secret@db/shop"));
  EXPECT_TRUE(conninfo_has_password("postgres://db/shop?password=secret"));
  EXPECT_FALSE(conninfo_has_password("host=/run/postgresql dbname=shop user=app"));
  EXPECT_FALSE(conninfo_has_password("postgresql://app@db:5432/shop"));
  EXPECT_FALSE(conninfo_has_password("host=db passfile=/etc/pgpass"));
  EXPECT_FALSE(conninfo_has_password("dbname=password_history"));
}

}  // namespace
}  // namespace dp
