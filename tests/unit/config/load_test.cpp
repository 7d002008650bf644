// config::load / config::parse: plan files written into a TempDir next to
// real (tiny) backup files, so "backup file not found" fires only when a test
// means it to. The check kinds are fakes shaped like the real registry's.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <fstream>
#include <optional>

#include "verifier/config/config.hpp"
#include "verifier/core/sha256.hpp"
#include "verifier/core/temp_dir.hpp"

namespace dp::config {
namespace {

namespace fs = std::filesystem;

const ParamValue* int_or_null(const CheckSpec& spec, const char* key) {
  const ParamValue* v = spec.find(key);
  return v && v->as_int() ? v : nullptr;
}

CheckKindInfo row_count_kind() {
  CheckKindInfo info;
  info.type = "row_count";
  info.params = {{"table", ParamType::string, true, ""},
                 {"expect", ParamType::integer, false, ""},
                 {"min", ParamType::integer, false, ""},
                 {"max", ParamType::integer, false, ""}};
  info.validate = [](const CheckSpec& spec) {
    std::vector<SpecProblem> problems;
    bool expect = int_or_null(spec, "expect") != nullptr;
    bool range = int_or_null(spec, "min") || int_or_null(spec, "max");
    if (!expect && !range) problems.push_back({"", "row_count needs 'expect', 'min' or 'max'"});
    if (expect && range)
      problems.push_back({"expect", "give either 'expect' or 'min'/'max', not both"});
    return problems;
  };
  info.default_name = [](const CheckSpec& spec) {
    return "row_count " + *spec.find("table")->as_string();
  };
  return info;
}

CheckKindInfo query_kind() {
  CheckKindInfo info;
  info.type = "query";
  info.params = {{"sql", ParamType::string, true, ""},
                 {"expect", ParamType::scalar, false, ""},
                 {"expect_rows", ParamType::rows, false, ""}};
  // No validate and no default_name: the name defaults to the type.
  return info;
}

// Exercises the ParamTypes the two kinds above do not use.
CheckKindInfo misc_kind() {
  CheckKindInfo info;
  info.type = "misc";
  info.params = {{"flag", ParamType::boolean, false, ""},
                 {"wait", ParamType::duration, false, ""},
                 {"tags", ParamType::string_list, false, ""}};
  return info;
}

const std::vector<CheckKindInfo>& kinds() {
  static const std::vector<CheckKindInfo> k_kinds = {query_kind(), row_count_kind()};
  return k_kinds;
}

class LoadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = TempDir::create("dp-config-test-");
    ASSERT_TRUE(dir) << dir.error().message;
    m_dir.emplace(std::move(*dir));
    write("orders.dump", "PGDMP");
    write("shop.db", "SQLite format 3");
    fs::create_directories(dir_path() / "orders.dir");
  }
  void TearDown() override {
    if (HasFailure() && m_dir) m_dir->keep();
  }

  fs::path dir_path() const { return m_dir->path(); }
  fs::path plan_path() const { return dir_path() / "plan.toml"; }

  fs::path write(const fs::path& relative, std::string_view content) {
    fs::path p = dir_path() / relative;
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << content;
    return p;
  }

  Result<Config, Diagnostics> load_plan(std::string_view text,
                                        std::span<const CheckKindInfo> with = kinds()) {
    return load(write("plan.toml", text), with);
  }

  // Loads `text`, expecting failure, and returns the formatted diagnostics.
  std::vector<std::string> errors(std::string_view text,
                                  std::span<const CheckKindInfo> with = kinds()) {
    auto result = load_plan(text, with);
    std::vector<std::string> out;
    if (result) {
      ADD_FAILURE() << "plan loaded without diagnostics:\n" << text;
      return out;
    }
    for (const auto& d : result.error()) out.push_back(d.format());
    return out;
  }

  // "<plan path>:line:col: message", as Diagnostic::format() writes it.
  std::string at(int line, int column, std::string_view message) const {
    return fmt::format("{}:{}:{}: {}", plan_path().string(), line, column, message);
  }

  std::optional<TempDir> m_dir;
};

constexpr std::string_view k_plan_head = R"([plan]
name = "shop nightly"
)";

std::string with_head(std::string_view rest) {
  return std::string(k_plan_head) + std::string(rest);
}

// --- plans that load ---------------------------------------------------------

TEST_F(LoadTest, FullPlanIsCopiedIntoPlainStructs) {
  auto result = load_plan(R"([plan]
name = "shop nightly"
owner = "dba-team@example.com"
rto = "30m"
rpo = "24h"
pg_bindir = "/usr/lib/postgresql/15/bin"
run_as = "postgres"
start_timeout = "90s"
restore_timeout = "2h"
check_timeout = "1m30s"

[[backup]]
name = "orders"
engine = "postgres"
path = "orders.dump"
database = "shop"
rto = "15m"
rpo = "1.5h"
restore_timeout = "30m"
restore_jobs = 4
roles = ["app", "reporting"]

  [[backup.check]]
  type = "row_count"
  name = "orders present"
  table = "public.orders"
  min = 1
  max = 1000000

  [[backup.check]]
  type = "query"
  sql = "SELECT status, count(*) FROM orders GROUP BY 1 ORDER BY 1"
  expect_rows = [["paid", 10], ["void", 2.5], [true, "NULL"]]

[[backup]]
name = "app.cache-1"
engine = "sqlite"
path = "shop.db"
)");
  ASSERT_TRUE(result) << result.error().front().format();
  const Config& config = *result;
  EXPECT_EQ(config.file, plan_path());

  const PlanSettings& plan = config.plan;
  EXPECT_EQ(plan.name, "shop nightly");
  EXPECT_EQ(plan.owner, "dba-team@example.com");
  EXPECT_EQ(plan.objectives.rto, Millis(30 * 60'000));
  EXPECT_EQ(plan.objectives.rpo, Millis(24 * 3'600'000));
  EXPECT_EQ(plan.pg_bindir, "/usr/lib/postgresql/15/bin");
  EXPECT_EQ(plan.run_as, "postgres");
  EXPECT_EQ(plan.start_timeout, Millis(90'000));
  EXPECT_EQ(plan.restore_timeout, Millis(2 * 3'600'000));
  EXPECT_EQ(plan.check_timeout, Millis(90'000));
  EXPECT_EQ(plan.pos.file, plan_path().string());
  EXPECT_EQ(plan.pos.line, 1);
  EXPECT_EQ(plan.pos.column, 1);

  ASSERT_EQ(config.backups.size(), 2u);
  const BackupConfig& orders = config.backups[0];
  EXPECT_EQ(orders.name, "orders");
  EXPECT_EQ(orders.engine, EngineKind::postgres);
  EXPECT_EQ(orders.path, dir_path() / "orders.dump");
  EXPECT_EQ(orders.database, "shop");
  EXPECT_EQ(orders.objectives.rto, Millis(15 * 60'000));
  EXPECT_EQ(orders.objectives.rpo, Millis(90 * 60'000));
  EXPECT_EQ(orders.restore_timeout, Millis(30 * 60'000));
  EXPECT_EQ(orders.restore_jobs, 4);
  EXPECT_EQ(orders.roles, (std::vector<std::string>{"app", "reporting"}));
  EXPECT_EQ(orders.pos.line, 12);
  EXPECT_EQ(orders.pos.column, 1);

  ASSERT_EQ(orders.checks.size(), 2u);
  const CheckSpec& count = orders.checks[0];
  EXPECT_EQ(count.type, "row_count");
  EXPECT_EQ(count.name, "orders present");
  EXPECT_EQ(count.pos.line, 23);
  EXPECT_EQ(count.pos.column, 3);
  ASSERT_NE(count.find("table"), nullptr);
  EXPECT_EQ(*count.find("table")->as_string(), "public.orders");
  ASSERT_NE(count.find("min"), nullptr);
  EXPECT_EQ(*count.find("min")->as_int(), 1);
  EXPECT_EQ(*count.find("max")->as_int(), 1'000'000);
  EXPECT_EQ(count.find("expect"), nullptr);
  EXPECT_EQ(count.find("min")->pos.line, 27);
  EXPECT_EQ(count.find("min")->pos.column, 9);
  EXPECT_EQ(count.params.size(), 3u);

  const CheckSpec& query = orders.checks[1];
  EXPECT_EQ(query.name, "query");  // no default_name: the type
  const ParamValue* rows = query.find("expect_rows");
  ASSERT_NE(rows, nullptr);
  ASSERT_NE(rows->as_array(), nullptr);
  ASSERT_EQ(rows->as_array()->size(), 3u);
  EXPECT_EQ(rows->to_text(), "[[paid, 10], [void, 2.5], [true, NULL]]");
  const ParamValue& half = (*(*rows->as_array())[1].as_array())[1];
  EXPECT_EQ(std::get<double>(half.value), 2.5);
  EXPECT_EQ(half.pos.line, 33);
  EXPECT_EQ(std::get<bool>((*(*rows->as_array())[2].as_array())[0].value), true);

  const BackupConfig& cache = config.backups[1];
  EXPECT_EQ(cache.name, "app.cache-1");
  EXPECT_EQ(cache.engine, EngineKind::sqlite);
  EXPECT_EQ(cache.path, dir_path() / "shop.db");
  EXPECT_TRUE(cache.checks.empty());
}

TEST_F(LoadTest, DefaultsApplyWhenKeysAreLeftOut) {
  auto result = load_plan(with_head(R"(
[[backup]]
name = "orders"
engine = "postgres"
path = "orders.dir"

[[backup.check]]
type = "row_count"
table = "public.orders"
expect = 0
)"));
  ASSERT_TRUE(result) << result.error().front().format();
  const PlanSettings& plan = result->plan;
  EXPECT_EQ(plan.owner, "");
  EXPECT_FALSE(plan.objectives.rto);
  EXPECT_FALSE(plan.objectives.rpo);
  EXPECT_EQ(plan.pg_bindir, "");
  EXPECT_EQ(plan.run_as, "");
  EXPECT_EQ(plan.start_timeout, Millis(60'000));
  EXPECT_EQ(plan.restore_timeout, Millis(3'600'000));
  EXPECT_EQ(plan.check_timeout, Millis(300'000));

  const BackupConfig& backup = result->backups.at(0);
  EXPECT_EQ(backup.path, dir_path() / "orders.dir");  // a directory is a backup too
  EXPECT_EQ(backup.database, "restored");
  EXPECT_FALSE(backup.objectives.rto);  // plan defaults are plan::build's job
  EXPECT_FALSE(backup.objectives.rpo);
  EXPECT_FALSE(backup.restore_timeout);
  EXPECT_FALSE(backup.restore_jobs);
  EXPECT_TRUE(backup.roles.empty());
  ASSERT_EQ(backup.checks.size(), 1u);
  EXPECT_EQ(backup.checks[0].name, "row_count public.orders");  // the kind's default_name
}

// The report's plan digest is of the bytes parsed, not of a second read.
TEST_F(LoadTest, DigestIsOfTheBytesParsed) {
  const std::string text = with_head(R"(
[[backup]]
name = "orders"
engine = "postgres"
path = "orders.dir"
)");
  auto result = load_plan(text);
  ASSERT_TRUE(result) << result.error().front().format();
  EXPECT_EQ(result->digest, sha256_hex(text));
  EXPECT_EQ(result->digest.size(), 64u);
  write("plan.toml", text + "# edited after the run started\n");
  EXPECT_EQ(result->digest, sha256_hex(text));
}

TEST_F(LoadTest, RelativePathsResolveAgainstThePlanFolder) {
  write("backups/2026/orders.dump", "PGDMP");
  fs::path plan = write("plans/nightly.toml", with_head(R"(
[[backup]]
name = "orders"
engine = "postgresql"
path = "../backups/./2026/orders.dump"
)"));
  // The plan named relative to the working directory resolves the same way.
  std::error_code ec;
  fs::path relative_plan = fs::relative(plan, fs::current_path(), ec);
  ASSERT_FALSE(ec);
  for (const fs::path& as_given : {plan, relative_plan}) {
    auto result = load(as_given, kinds());
    ASSERT_TRUE(result) << result.error().front().format();
    EXPECT_EQ(result->backups.at(0).path, dir_path() / "backups/2026/orders.dump");
    EXPECT_EQ(result->backups.at(0).engine, EngineKind::postgres);
  }
}

TEST_F(LoadTest, ManifestResolvesAgainstThePlanFolderAndMustExist) {
  write("backups/orders.dump", "PGDMP");
  write("backups/orders.manifest", "# drillproof manifest v1 xxh3-128\n");
  auto result = load_plan(with_head(R"(
[[backup]]
name = "orders"
engine = "postgres"
path = "backups/orders.dump"
manifest = "backups/orders.manifest"
)"));
  ASSERT_TRUE(result) << result.error().front().format();
  EXPECT_EQ(result->backups.at(0).manifest, dir_path() / "backups/orders.manifest");
  auto out = errors(with_head(R"(
[[backup]]
name = "orders"
engine = "postgres"
path = "backups/orders.dump"
manifest = "backups/nope.manifest"
)"));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], at(8, 12,  // the value's position
                       fmt::format("manifest file not found: {}",
                                   (dir_path() / "backups/nope.manifest").string())));
}

TEST_F(LoadTest, AbsolutePathsAreKept) {
  auto result = load_plan(with_head(fmt::format(R"(
[[backup]]
name = "orders"
engine = "postgres"
path = "{}"
)",
                                                (dir_path() / "orders.dump").string())));
  ASSERT_TRUE(result) << result.error().front().format();
  EXPECT_EQ(result->backups.at(0).path, dir_path() / "orders.dump");
}

TEST_F(LoadTest, ParseTakesTextFromMemory) {
  auto result = parse(with_head(R"(
[[backup]]
name = "orders"
engine = "postgres"
path = "orders.dump"
)"),
                      plan_path(), kinds());
  ASSERT_TRUE(result) << result.error().front().format();
  EXPECT_EQ(result->backups.at(0).path, dir_path() / "orders.dump");
}

TEST_F(LoadTest, EveryParamTypeIsCopied) {
  const std::vector<CheckKindInfo> with = {misc_kind(), query_kind()};
  auto result = load_plan(with_head(R"(
[[backup]]
name = "orders"
engine = "postgres"
path = "orders.dump"
[[backup.check]]
type = "misc"
flag = false
wait = "1h30m"
tags = ["a", "b"]
[[backup.check]]
type = "query"
name = "pi"
sql = "SELECT 3.14"
expect = 3.14
)"),
                          with);
  ASSERT_TRUE(result) << result.error().front().format();
  const auto& checks = result->backups.at(0).checks;
  ASSERT_EQ(checks.size(), 2u);
  EXPECT_EQ(std::get<bool>(checks[0].find("flag")->value), false);
  EXPECT_EQ(*checks[0].find("wait")->as_string(), "1h30m");  // kept as written
  EXPECT_EQ(checks[0].find("tags")->to_text(), "[a, b]");
  EXPECT_EQ(std::get<double>(checks[1].find("expect")->value), 3.14);
}

// --- one test per diagnostic ----------------------------------------------------

TEST_F(LoadTest, SyntaxErrorIsTheOnlyDiagnostic) {
  auto out = errors(R"([plan]
bogus = 1
name =
)");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], at(3, 7,
                       "syntax error: error while parsing key-value pair: expected value, "
                       "saw '\\n'"));
}

TEST_F(LoadTest, SyntaxErrorForARedefinedKey) {
  auto out = errors("[plan]\nname = \"a\"\nname = \"b\"\n");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].rfind(plan_path().string() + ":3:", 0), 0u) << out[0];
  EXPECT_NE(out[0].find("syntax error: "), std::string::npos) << out[0];
}

TEST_F(LoadTest, UnreadablePlanFile) {
  fs::path missing = dir_path() / "nope.toml";
  auto result = load(missing, kinds());
  ASSERT_FALSE(result);
  ASSERT_EQ(result.error().size(), 1u);
  EXPECT_EQ(result.error()[0].format(),
            missing.string() + ": cannot read plan: No such file or directory");

  auto dir = load(dir_path(), kinds());
  ASSERT_FALSE(dir);
  EXPECT_EQ(dir.error()[0].format(), dir_path().string() + ": cannot read plan: Is a directory");
}

TEST_F(LoadTest, UnknownKeysAtEveryLevel) {
  auto out = errors(R"([plan]
name = "x"
colour = "blue"
[[backup]]
name = "orders"
engine = "postgres"
path = "orders.dump"
compress = true
[[backup.check]]
type = "row_count"
table = "t"
expect = 1
minimum = 2
[extra]
a = 1
)");
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[0], at(3, 1,
                       "unknown key 'colour' in [plan]; expected one of: name, owner, rto, rpo, "
                       "pg_bindir, run_as, start_timeout, restore_timeout, check_timeout, history, "
                       "expect_every, mysql_bindir"));
  EXPECT_EQ(out[1],
            at(8, 1,
               "unknown key 'compress' in [[backup]]; expected one of: name, engine, "
               "path, database, rto, rpo, restore_timeout, restore_jobs, roles, check, "
               "snapshot, source, reference_time, manifest, format, verify_manifest, parse_wal, "
               "wal_archive, binlog_archive, target, target_time, target_lsn, target_name, "
               "target_position, "
               "target_inclusive, pitr_targets, pitr_seed, recovery_point_query"));
  EXPECT_EQ(out[2], at(13, 1,
                       "unknown key 'minimum' in [[backup.check]] of type 'row_count'; expected "
                       "one of: type, name, table, expect, min, max"));
  EXPECT_EQ(out[3], at(14, 2,
                       "unknown table [extra]; expected [plan], [[backup]], [[catalog]], "
                       "[[blob_store]], [failover] or [[service]]"));
}

TEST_F(LoadTest, UnknownTopLevelKeyAndArrayTable) {
  auto out = errors(std::string("version = 2\n") + with_head(R"(
[[backup]]
name = "orders"
engine = "postgres"
path = "orders.dump"
  [[targets]]
x = 1
)"));
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0], at(1, 1,
                       "unknown key 'version' at top level; expected [plan], [[backup]], "
                       "[[catalog]], [[blob_store]], [failover] or [[service]]"));
  EXPECT_EQ(out[1], at(9, 5,
                       "unknown table [[targets]]; expected [plan], [[backup]], [[catalog]], "
                       "[[blob_store]], [failover] or [[service]]"));
}

TEST_F(LoadTest, WrongTypes) {
  auto out = errors(R"([plan]
name = 7
rto = 30
[[backup]]
name = "orders"
engine = "postgres"
path = "orders.dump"
restore_jobs = "2"
roles = ["app", 3]
[[backup.check]]
type = "row_count"
table = "t"
min = "1"
[[backup.check]]
type = "query"
sql = "SELECT 1"
expect = [1]
expect_rows = [[1, {a = 1}], 2]
)");
  ASSERT_EQ(out.size(), 8u) << fmt::format("{}", fmt::join(out, "\n"));
  EXPECT_EQ(out[0], at(2, 8, "'name' must be a string, got integer"));
  EXPECT_EQ(out[1], at(3, 7, "'rto' must be a duration string such as \"30m\", got integer"));
  EXPECT_EQ(out[2], at(8, 16, "'restore_jobs' must be an integer, got string"));
  EXPECT_EQ(out[3], at(9, 17, "'roles' must be an array of strings; element 2 is integer"));
  EXPECT_EQ(out[4], at(13, 7, "'min' must be an integer, got string"));
  EXPECT_EQ(out[5], at(17, 10, "'expect' must be a string, number or boolean, got array"));
  EXPECT_EQ(out[6], at(18, 20,
                       "'expect_rows' row 1 value 2 must be a string, number or boolean, got "
                       "table"));
  EXPECT_EQ(out[7], at(18, 30, "'expect_rows' row 2 must be an array of values, got integer"));
}

TEST_F(LoadTest, WrongTypesForTheRemainingParamTypes) {
  const std::vector<CheckKindInfo> with = {misc_kind()};
  auto out = errors(with_head(R"(
[[backup]]
name = "orders"
engine = "postgres"
path = "orders.dump"
[[backup.check]]
type = "misc"
flag = "yes"
wait = 5
tags = "a"
)"),
                    with);
  ASSERT_EQ(out.size(), 3u) << fmt::format("{}", fmt::join(out, "\n"));
  EXPECT_EQ(out[0], at(10, 8, "'flag' must be a boolean, got string"));
  EXPECT_EQ(out[1], at(11, 8, "'wait' must be a duration string such as \"30s\", got integer"));
  EXPECT_EQ(out[2], at(12, 8, "'tags' must be an array of strings, got string"));
}

TEST_F(LoadTest, BadDurations) {
  const std::vector<CheckKindInfo> with = {misc_kind()};
  auto out = errors(R"([plan]
name = "x"
rto = "5x"
check_timeout = "0s"
[[backup]]
name = "orders"
engine = "postgres"
path = "orders.dump"
rpo = "1h30"
[[backup.check]]
type = "misc"
wait = "soon"
)",
                    with);
  ASSERT_EQ(out.size(), 4u) << fmt::format("{}", fmt::join(out, "\n"));
  EXPECT_EQ(out[0],
            at(3, 7, "rto: bad duration \"5x\": unknown unit 'x'; use ms, s, m, h, d or w"));
  EXPECT_EQ(out[1], at(4, 17, "'check_timeout' must be greater than zero"));
  EXPECT_EQ(out[2],
            at(9, 7, "rpo: bad duration \"1h30\": missing unit after 30; use ms, s, m, h, d or w"));
  EXPECT_EQ(out[3], at(12, 8, "wait: bad duration \"soon\": expected a number at 'soon'"));
}

TEST_F(LoadTest, DuplicateBackupName) {
  auto out = errors(with_head(R"(
[[backup]]
name = "orders"
engine = "postgres"
path = "orders.dump"

[[backup]]
name = "orders"
engine = "sqlite"
path = "shop.db"
)"));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], at(10, 8, "duplicate backup name 'orders' (first at line 5)"));
}

TEST_F(LoadTest, BadBackupAndDatabaseNames) {
  auto out = errors(with_head(R"(
[[backup]]
name = "orders nightly"
engine = "postgres"
path = "orders.dump"
database = "shop-db"
)"));
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0], at(5, 8,
                       "backup name 'orders nightly' may only contain letters, digits, '_', '.' "
                       "and '-'"));
  EXPECT_EQ(out[1], at(8, 12, "database name 'shop-db' may only contain letters, digits and '_'"));
}

TEST_F(LoadTest, DuplicateCheckNames) {
  auto out = errors(with_head(R"(
[[backup]]
name = "orders"
engine = "postgres"
path = "orders.dump"
[[backup.check]]
type = "row_count"
table = "public.orders"
min = 1
[[backup.check]]
type = "row_count"
table = "public.orders"
max = 10
[[backup.check]]
type = "query"
name = "status"
sql = "SELECT 1"
expect = 1
[[backup.check]]
type = "query"
name = "status"
sql = "SELECT 2"
expect = 2
)"));
  ASSERT_EQ(out.size(), 2u) << fmt::format("{}", fmt::join(out, "\n"));
  EXPECT_EQ(out[0], at(12, 1,
                       "duplicate check name 'row_count public.orders' in backup 'orders' "
                       "(first at line 8)"));
  EXPECT_EQ(out[1],
            at(23, 8, "duplicate check name 'status' in backup 'orders' (first at line 18)"));
}

TEST_F(LoadTest, SameCheckNameInTwoBackupsIsFine) {
  auto result = load_plan(with_head(R"(
[[backup]]
name = "a"
engine = "postgres"
path = "orders.dump"
[[backup.check]]
type = "query"
sql = "SELECT 1"
expect = 1
[[backup]]
name = "b"
engine = "postgres"
path = "orders.dump"
[[backup.check]]
type = "query"
sql = "SELECT 1"
expect = 1
)"));
  EXPECT_TRUE(result) << result.error().front().format();
}

TEST_F(LoadTest, MissingBackupFile) {
  auto out = errors(with_head(R"(
[[backup]]
name = "orders"
engine = "postgres"
path = "gone/orders.dump"
)"));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0],
            at(7, 8, "backup file not found: " + (dir_path() / "gone/orders.dump").string()));
}

TEST_F(LoadTest, SqliteBackupMustBeAFile) {
  auto out = errors(with_head(R"(
[[backup]]
name = "cache"
engine = "sqlite"
path = "orders.dir"
)"));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], at(7, 8,
                       "sqlite backup must be a file, not a directory: " +
                           (dir_path() / "orders.dir").string()));
}

TEST_F(LoadTest, UnknownCheckType) {
  auto out = errors(with_head(R"(
[[backup]]
name = "orders"
engine = "postgres"
path = "orders.dump"
[[backup.check]]
type = "checksum"
algorithm = "xxh3"
)"));
  ASSERT_EQ(out.size(), 1u);  // the other keys cannot be judged without the kind
  EXPECT_EQ(out[0], at(9, 8, "unknown check type 'checksum'; known types: query, row_count"));
}

TEST_F(LoadTest, UnknownEngineIsAnErrorAndMysqlIsAccepted) {
  auto out = errors(with_head(R"(
[[backup]]
name = "a"
engine = "mysql"
path = "orders.dump"
roles = ["app"]
[[backup]]
name = "b"
engine = "oracle"
path = "orders.dump"
[[backup]]
name = "c"
engine = "mariadb"
path = "orders.dump"
database = "shop"
)"));
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0], at(8, 1, "'roles' applies to postgres backups only"));
  EXPECT_EQ(out[1], at(11, 10, "unknown engine 'oracle'; expected postgres, sqlite or mysql"));
}

TEST_F(LoadTest, MissingRequiredKeys) {
  auto out = errors(R"([plan]
owner = "me"

[[backup]]
engine = "postgres"

[[backup.check]]
min = 1

[[backup.check]]
type = "row_count"
min = 1
)");
  ASSERT_EQ(out.size(), 5u) << fmt::format("{}", fmt::join(out, "\n"));
  EXPECT_EQ(out[0], at(1, 1, "[plan] is missing required key 'name'"));
  EXPECT_EQ(out[1], at(4, 1, "[[backup]] is missing required key 'name'"));
  EXPECT_EQ(out[2], at(4, 1, "[[backup]] is missing required key 'path'"));
  EXPECT_EQ(out[3], at(7, 1, "[[backup.check]] is missing required key 'type'"));
  EXPECT_EQ(out[4],
            at(10, 1, "[[backup.check]] of type 'row_count' is missing required key 'table'"));
}

TEST_F(LoadTest, MissingPlanAndBackups) {
  auto out = errors("# nothing here\n");
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0], at(1, 1, "missing [plan] table; a plan starts with [plan] and name = \"...\""));
  EXPECT_EQ(out[1], at(1, 1,
                       "no [[backup]] or [[service]] entries; a plan needs at least one [[backup]] "
                       "or [[service]] "
                       "table"));

  EXPECT_EQ(errors(k_plan_head),
            std::vector<std::string>{at(1, 1,
                                        "no [[backup]] or [[service]] entries; a plan needs at "
                                        "least one [[backup]] or [[service]] "
                                        "table")});
}

TEST_F(LoadTest, TablesWrittenWithSingleBrackets) {
  auto out = errors(with_head(R"(
[backup]
name = "orders"
)"));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0],
            at(4, 1, "'backup' must be an array of tables: write [[backup]], got [backup]"));

  out = errors(with_head(R"(
[[backup]]
name = "orders"
engine = "postgres"
path = "orders.dump"
[backup.check]
type = "row_count"
)"));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], at(8, 1,
                       "'check' must be an array of tables: write [[backup.check]], got "
                       "[backup.check]"));

  out = errors(
      "plan = \"x\"\n[[backup]]\nname = \"a\"\nengine = \"postgres\"\npath = "
      "\"orders.dump\"\n");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], at(1, 8, "'plan' must be a table ([plan]), got string"));
}

TEST_F(LoadTest, KindValidatorProblemsPointAtTheirKey) {
  auto out = errors(with_head(R"(
[[backup]]
name = "orders"
engine = "postgres"
path = "orders.dump"
[[backup.check]]
type = "row_count"
table = "t"
[[backup.check]]
type = "row_count"
table = "u"
  expect = 5
min = 1
)"));
  ASSERT_EQ(out.size(), 2u) << fmt::format("{}", fmt::join(out, "\n"));
  EXPECT_EQ(out[0], at(8, 1, "row_count needs 'expect', 'min' or 'max'"));
  EXPECT_EQ(out[1], at(14, 3, "give either 'expect' or 'min'/'max', not both"));
}

TEST_F(LoadTest, PostgresOnlyKeysOnSqlite) {
  auto out = errors(with_head(R"(
[[backup]]
name = "cache"
engine = "sqlite"
path = "shop.db"
database = "main"
roles = ["app"]
)"));
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0], at(8, 1, "'database' applies to postgres and mysql backups only"));
  EXPECT_EQ(out[1], at(9, 1, "'roles' applies to postgres backups only"));
}

TEST_F(LoadTest, OutOfRangeValues) {
  auto out = errors(with_head(R"(
[[backup]]
name = "orders"
engine = "postgres"
path = ""
restore_jobs = 0
roles = ["app", "", "app"]
[[backup.check]]
type = "query"
name = ""
sql = "SELECT 1"
expect = 1
)"));
  ASSERT_EQ(out.size(), 5u) << fmt::format("{}", fmt::join(out, "\n"));
  EXPECT_EQ(out[0], at(7, 8, "'path' must not be empty"));
  EXPECT_EQ(out[1], at(8, 16, "'restore_jobs' must be at least 1, got 0"));
  EXPECT_EQ(out[2], at(9, 17, "role name must not be empty"));
  EXPECT_EQ(out[3], at(9, 21, "duplicate role 'app'"));
  EXPECT_EQ(out[4], at(12, 8, "'name' must not be empty"));
}

TEST_F(LoadTest, SeveralProblemsAreReportedTogetherSortedByPosition) {
  auto out = errors(R"([[backup]]
name = "orders"
engine = "postgres"
path = "missing.dump"
rto = "fast"
[[backup.check]]
type = "row_count"
table = "t"
[[backup]]
name = "orders"
engine = "sqlite"
path = "shop.db"
[[backup.check]]
type = "nope"
[plan]
name = "late plan table"
colour = "blue"
rpo = 4
)");
  ASSERT_EQ(out.size(), 7u) << fmt::format("{}", fmt::join(out, "\n"));
  EXPECT_EQ(out[0], at(4, 8, "backup file not found: " + (dir_path() / "missing.dump").string()));
  EXPECT_EQ(out[1], at(5, 7, "rto: bad duration \"fast\": expected a number at 'fast'"));
  EXPECT_EQ(out[2], at(6, 1, "row_count needs 'expect', 'min' or 'max'"));
  EXPECT_EQ(out[3], at(10, 8, "duplicate backup name 'orders' (first at line 2)"));
  EXPECT_EQ(out[4], at(14, 8, "unknown check type 'nope'; known types: query, row_count"));
  EXPECT_EQ(out[5].rfind(at(17, 1, "unknown key 'colour' in [plan]; "), 0), 0u) << out[5];
  EXPECT_EQ(out[6], at(18, 7, "'rpo' must be a duration string such as \"30m\", got integer"));
}

// The documented example must stay valid: its only problems are the /backups
// files this machine does not have.
TEST(ExampleTest, ShopNightlyExampleIsValidApartFromItsBackupFiles) {
  fs::path example = fs::path(DP_SOURCE_DIR) / "examples/shop-nightly.toml";
  auto result = load(example, kinds());
  ASSERT_FALSE(result);
  ASSERT_EQ(result.error().size(), 3u);
  for (const auto& d : result.error())
    EXPECT_EQ(d.message.rfind("backup file not found: /backups/", 0), 0u) << d.format();
}

TEST(DiagnosticTest, FormatOmitsUnknownPositions) {
  EXPECT_EQ((Diagnostic{SourcePos{"p.toml", 12, 3}, "bad"}).format(), "p.toml:12:3: bad");
  EXPECT_EQ((Diagnostic{SourcePos{"p.toml", 12, 0}, "bad"}).format(), "p.toml:12: bad");
  EXPECT_EQ((Diagnostic{SourcePos{"p.toml", 0, 0}, "bad"}).format(), "p.toml: bad");
}

}  // namespace
}  // namespace dp::config
