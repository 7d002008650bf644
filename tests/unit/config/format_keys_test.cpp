// [[backup]] format and verify_manifest: what they accept, and each
// problem as a diagnostic at file:line:col.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <fstream>
#include <optional>

#include "verifier/config/config.hpp"
#include "verifier/core/temp_dir.hpp"

namespace dp::config {
namespace {

namespace fs = std::filesystem;

class FormatKeys : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = TempDir::create("dp-config-format-");
    ASSERT_TRUE(dir) << dir.error().message;
    m_dir.emplace(std::move(*dir));
    fs::create_directories(path() / "base" / "global");
    std::ofstream(path() / "orders.dump") << "PGDMP";
    std::ofstream(path() / "base" / "PG_VERSION") << "15\n";
    std::ofstream(path() / "orders.manifest") << "# drillproof manifest v1 xxh3-128\n";
  }
  fs::path path() const { return m_dir->path(); }
  fs::path plan_file() const { return path() / "plan.toml"; }

  // Line 1 [plan], 2 name, 3 blank, 4 [[backup]], 5 name, 6 engine, 7 path,
  // then `rest` from line 8.
  std::string plan(std::string_view engine, std::string_view backup, std::string_view rest) const {
    return fmt::format(
        "[plan]\nname = \"p\"\n\n[[backup]]\nname = \"b\"\nengine = \"{}\"\n"
        "path = \"{}\"\n{}",
        engine, backup, rest);
  }
  Result<Config, Diagnostics> parse_plan(const std::string& text) const {
    return parse(text, plan_file(), {});
  }
  std::vector<std::string> errors(const std::string& text) const {
    std::vector<std::string> out;
    auto result = parse_plan(text);
    if (!result)
      for (const auto& d : result.error()) out.push_back(d.format());
    return out;
  }
  std::string at(int line, int column, std::string_view message) const {
    return fmt::format("{}:{}:{}: {}", plan_file().string(), line, column, message);
  }

  std::optional<TempDir> m_dir;
};

TEST_F(FormatKeys, DefaultsAreContentDetectionAndVerification) {
  auto result = parse_plan(plan("postgres", "base", ""));
  ASSERT_TRUE(result) << result.error().front().format();
  EXPECT_EQ(result->backups.at(0).format, "");
  EXPECT_TRUE(result->backups.at(0).verify_manifest);
}

TEST_F(FormatKeys, BasebackupAndOptOutAreCopied) {
  auto result =
      parse_plan(plan("postgres", "base", "format = \"basebackup\"\nverify_manifest = false\n"));
  ASSERT_TRUE(result) << result.error().front().format();
  EXPECT_EQ(result->backups.at(0).format, "basebackup");
  EXPECT_FALSE(result->backups.at(0).verify_manifest);
  auto dump = parse_plan(plan("postgresql", "orders.dump", "format = \"dump\"\n"));
  ASSERT_TRUE(dump) << dump.error().front().format();
  EXPECT_EQ(dump->backups.at(0).format, "dump");
}

TEST_F(FormatKeys, UnknownFormatIsAnErrorAtItsValue) {
  auto out = errors(plan("postgres", "base", "format = \"pg_basebackup\"\n"));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0],
            at(8, 10, "'format' must be \"dump\" or \"basebackup\", got \"pg_basebackup\""));
}

TEST_F(FormatKeys, BasebackupThatIsAFileIsAnError) {
  auto out = errors(plan("postgres", "orders.dump", "format = \"basebackup\"\n"));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], at(8, 10,
                       fmt::format("format = \"basebackup\" needs a directory written by "
                                   "pg_basebackup -D, but path is a file: {}",
                                   (path() / "orders.dump").string())));
}

TEST_F(FormatKeys, WrongTypesAreErrors) {
  auto out = errors(plan("postgres", "base", "format = 1\nverify_manifest = \"no\"\n"));
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0], at(8, 10, "'format' must be a string, got integer"));
  EXPECT_EQ(out[1], at(9, 19, "'verify_manifest' must be a boolean (true or false), got string"));
}

TEST_F(FormatKeys, KeysApplyToPostgresOnly) {
  auto out = errors(plan("sqlite", "orders.dump", "format = \"dump\"\nverify_manifest = true\n"));
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0], at(8, 1, "'format' applies to postgres backups only"));
  EXPECT_EQ(out[1], at(9, 1, "'verify_manifest' applies to postgres base backups only"));
}

TEST_F(FormatKeys, OptOutContradictsANamedManifest) {
  auto out =
      errors(plan("postgres", "base", "manifest = \"orders.manifest\"\nverify_manifest = false\n"));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], at(9, 1,
                       "verify_manifest = false contradicts 'manifest': a manifest the plan "
                       "names is always verified"));
}

TEST_F(FormatKeys, ParseWalIsOnByDefaultAndPostgresOnly) {
  auto result = parse_plan(plan("postgres", "base", ""));
  ASSERT_TRUE(result) << result.error().front().format();
  EXPECT_TRUE(result->backups.at(0).parse_wal);
  result = parse_plan(plan("postgres", "base", "parse_wal = false\n"));
  ASSERT_TRUE(result) << result.error().front().format();
  EXPECT_FALSE(result->backups.at(0).parse_wal);
  auto out = errors(plan("sqlite", "orders.dump", "parse_wal = false\n"));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], at(8, 1, "'parse_wal' applies to postgres base backups only"));
  out = errors(plan("postgres", "base", "parse_wal = \"no\"\n"));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], at(8, 13, "'parse_wal' must be a boolean (true or false), got string"));
}

}  // namespace
}  // namespace dp::config
