// [[catalog]] tables: keys copied into CatalogConfig, and every bad value a
// diagnostic at its line and column naming the key.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <fstream>
#include <optional>

#include "verifier/config/config.hpp"
#include "verifier/core/temp_dir.hpp"

namespace dp::config {
namespace {

namespace fs = std::filesystem;

class CatalogLoad : public ::testing::Test {
 protected:
  void SetUp() override {
    m_dir.emplace(TempDir::create("dp-catalog-config-").value());
    fs::create_directories(m_dir->path() / "dumps");
    std::ofstream(m_dir->path() / "orders.dump") << "PGDMP";
  }
  void TearDown() override {
    if (HasFailure()) m_dir->keep();
  }
  fs::path plan_path() const { return m_dir->path() / "plan.toml"; }
  Result<Config, Diagnostics> load_text(std::string_view text) {
    std::ofstream(plan_path(), std::ios::binary | std::ios::trunc) << text;
    return load(plan_path(), {});
  }
  std::vector<std::string> errors(std::string_view text) {
    auto result = load_text(text);
    std::vector<std::string> out;
    if (result) {
      ADD_FAILURE() << "plan loaded without diagnostics:\n" << text;
      return out;
    }
    for (const auto& d : result.error()) out.push_back(d.format());
    return out;
  }
  std::string at(int line, int column, std::string_view message) const {
    return fmt::format("{}:{}:{}: {}", plan_path().string(), line, column, message);
  }
  std::optional<TempDir> m_dir;
};

TEST_F(CatalogLoad, EveryKeyIsCopied) {
  auto config = load_text(R"([plan]
name = "retention"

[[catalog]]
name = "shop"
path = "dumps"
pattern = "shop-*.dump"
name_time = "%Y-%m-%dT%H%M%SZ"
timezone = "+01:00"
require = ["daily 35d", "monthly 12", "hourly 2d", "weekly 8", "yearly 3", "daily 5w"]
max_age = "26h"
offsite = "/mnt/offsite/shop"

[[catalog]]
name = "base"
path = "dumps"
time_from = "mtime"
max_age = "25h"
)");
  ASSERT_TRUE(config) << config.error().front().format();
  EXPECT_TRUE(config->backups.empty());  // a plan of catalogs only is a plan
  ASSERT_EQ(config->catalogs.size(), 2u);
  const auto& c = config->catalogs[0];
  EXPECT_EQ(c.name, "shop");
  EXPECT_EQ(c.path, m_dir->path() / "dumps");
  EXPECT_EQ(c.pattern, "shop-*.dump");
  EXPECT_FALSE(c.time_from_mtime);
  EXPECT_EQ(c.name_time, "%Y-%m-%dT%H%M%SZ");
  EXPECT_EQ(c.timezone, "+01:00");
  ASSERT_EQ(c.require.size(), 6u);
  EXPECT_EQ(c.require[0].period, CatalogPeriod::day);
  EXPECT_EQ(c.require[0].count, 35);
  EXPECT_EQ(c.require[0].text, "daily 35d");
  EXPECT_EQ(c.require[1].period, CatalogPeriod::month);
  EXPECT_EQ(c.require[1].count, 12);
  EXPECT_EQ(c.require[2].period, CatalogPeriod::hour);
  EXPECT_EQ(c.require[2].count, 48);
  EXPECT_EQ(c.require[3].count, 8);
  EXPECT_EQ(c.require[4].period, CatalogPeriod::year);
  EXPECT_EQ(c.require[5].count, 35);
  EXPECT_EQ(c.max_age, Millis{26 * 3'600'000});
  EXPECT_EQ(c.offsite, fs::path("/mnt/offsite/shop"));
  const auto& b = config->catalogs[1];
  EXPECT_TRUE(b.time_from_mtime);
  EXPECT_EQ(b.pattern, "*");
  EXPECT_EQ(b.timezone, "UTC");
  EXPECT_TRUE(b.offsite.empty());
}

TEST_F(CatalogLoad, BadValuesNameTheirKey) {
  auto out = errors(R"([plan]
name = "retention"

[[catalog]]
name = "shop dumps"
path = "missing"
pattern = "../x/*"
name_time = "%Y-%q"
timezone = "CET"
require = ["daily 35d", "dayly 7", "monthly 12m", "weekly 2d", 7, "daily 35d", "daily 0"]
max_age = "soon"
colour = "blue"
)");
  const std::string form =
      "expected '<hourly|daily|weekly|monthly|yearly> <count or span>' (\"daily 35d\", "
      "\"monthly 12\")";
  EXPECT_EQ(out,
            (std::vector<std::string>{
                at(5, 8,
                   "catalog name 'shop dumps' may only contain letters, digits, '_', '.' "
                   "and '-'"),
                at(6, 8, "catalog directory not found: " + (m_dir->path() / "missing").string()),
                at(7, 1,
                   "'pattern' must be a relative glob inside the catalog without empty or "
                   "'..' parts, got \"../x/*\""),
                at(8, 13,
                   "name_time \"%Y-%q\" unknown field '%q'; use %Y %y %m %d %j %H %M %S or "
                   "%%"),
                at(9, 12,
                   "unknown time zone 'CET'; use \"UTC\", \"local\" or an offset like "
                   "\"+01:00\""),
                at(10, 25, "require[1]: " + form + ", got \"dayly 7\""),
                at(10, 36,
                   "require[2]: monthly takes a count of periods (\"monthly 12\"), not "
                   "'12m', got \"monthly 12m\""),
                at(10, 51,
                   "require[3]: weekly takes a count or a span in 'w', not '2d', "
                   "got \"weekly 2d\""),
                at(10, 64, "require[4]: expected a string, got integer"),
                at(10, 67, "require[5]: \"daily 35d\" is listed twice"),
                at(10, 80, "require[6]: " + form + ", got \"daily 0\""),
                at(11, 11, "max_age: bad duration \"soon\": expected a number at 'soon'"),
                at(12, 1,
                   "unknown key 'colour' in [[catalog]]; expected one of: name, path, "
                   "pattern, time_from, name_time, timezone, require, max_age, "
                   "offsite"),
            }));
}

TEST_F(CatalogLoad, NamesAreUniqueAcrossBackupsAndCatalogs) {
  auto out = errors(R"([plan]
name = "retention"

[[backup]]
name = "orders"
engine = "postgres"
path = "orders.dump"

[[catalog]]
name = "orders"
path = "dumps"
time_from = "mtime"
name_time = "%Y"

[[catalog]]
name = "orders"
path = "dumps"
time_from = "sometimes"
)");
  EXPECT_EQ(out,
            (std::vector<std::string>{
                at(9, 1, "[[catalog]] checks nothing; give 'require', 'max_age' or 'offsite'"),
                at(10, 8,
                   "catalog name 'orders' is also a backup name (line 4); names must be "
                   "unique in a plan"),
                at(13, 1, "'name_time' applies only with time_from = \"name\""),
                at(15, 1, "[[catalog]] checks nothing; give 'require', 'max_age' or 'offsite'"),
                at(16, 8,
                   "catalog name 'orders' is also a backup name (line 4); names must be "
                   "unique in a plan"),
                at(18, 13, "unknown time_from 'sometimes'; expected \"name\" or \"mtime\""),
            }));
}

}  // namespace
}  // namespace dp::config
