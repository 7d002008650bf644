// Integration: the blob_refs check drilled by the built binary against a real
// blob directory whose manifest `drillproof manifest create` wrote, on a
// SQLite database file and on a pg_dump restored into scratch PostgreSQL.
// Negative controls: a deleted blob (dangling, naming the row's key), a
// changed byte (digest mismatch), a wrong size, a key escaping the store, an
// unknown store name, a reference to a key never backed up; keys that COPY
// writes escaped (backslash, tab, newline) resolve to their files. An orphan
// is information and the check still passes.
#include <fmt/format.h>

#include "tests/integration/source_pg.hpp"
#include "verifier/artifacts/digest.hpp"

namespace dp::test {
namespace {

std::string sha256_hex(const std::string& text) {
  artifacts::Hasher h(artifacts::Algorithm::sha256);
  h.update(text);
  return h.finish_hex();
}

// The blobs and the rows that reference them (id, key, content). unused.bin
// is in the store but no row names it.
const std::vector<std::tuple<int, std::string, std::string>> k_blobs = {
    {1, "a/1.bin", "one"}, {2, "a/2.bin", "two two"}, {3, "b/3.bin", "three"}};

std::string insert_sql() {
  std::string sql =
      "CREATE TABLE attachments (id integer PRIMARY KEY, key text, size bigint, sha text);\n";
  for (const auto& [id, key, content] : k_blobs)
    sql += fmt::format("INSERT INTO attachments VALUES ({}, '{}', {}, '{}');\n", id, key,
                       content.size(), sha256_hex(content));
  sql += "INSERT INTO attachments VALUES (4, NULL, NULL, NULL);\n";  // no blob: skipped
  return sql;
}

constexpr const char* k_check = R"(
  [[backup.check]]
  type = "blob_refs"
  store = "media"
  query = "SELECT key, size, sha, id FROM attachments"
  size_column = "size"
  digest_column = "sha"
  pk_columns = ["id"]
)";

class BlobRefsDrill : public ::testing::Test {
 protected:
  void SetUp() override {
    m_dir.emplace(world_dir("dp-blobrefs-"));
    fs::create_directory(tmp());
    ::chmod(tmp().c_str(), 0755);
    for (const auto& [id, key, content] : k_blobs) {
      fs::create_directories((store() / key).parent_path());
      write_text(store() / key, content);
    }
    write_text(store() / "unused.bin", "nobody");
    auto made = run_cli({"manifest", "create", store().string(), "--algorithm", "sha256", "--out",
                         (dir() / "store.manifest").string()});
    ASSERT_EQ(made.exit_code, 0) << made.err;
  }
  void TearDown() override {
    if (HasFailure()) m_dir->keep();
  }

  fs::path dir() const { return m_dir->path(); }
  fs::path tmp() const { return dir() / "tmp"; }
  fs::path store() const { return dir() / "store"; }
  fs::path out() const { return dir() / "report"; }

  fs::path plan(const std::string& backup, const std::string& check = k_check) const {
    fs::path p = dir() / "plan.toml";
    write_text(p, fmt::format(R"([plan]
name = "blobs"

[[blob_store]]
name = "media"
kind = "dir"
path = "store"
manifest = "store.manifest"

[[backup]]
{}
{})",
                              backup, check));
    return p;
  }
  CliRun drill(const fs::path& plan_file) const {
    return run_cli({"run", plan_file.string(), "--out", out().string()},
                   {{"TMPDIR", tmp().string()}});
  }
  // The blob_refs check's findings: "severity: message [evidence]".
  std::vector<std::string> findings() const {
    auto report = read_json(out() / "report.json");
    std::vector<std::string> out;
    for (const auto& f : report["backups"][0]["checks"][0]["findings"])
      out.push_back(
          fmt::format("{}: {}", f["severity"].get<std::string>(), f["message"].get<std::string>()));
    return out;
  }
  std::string status() const {
    return read_json(out() / "report.json")["backups"][0]["checks"][0]["status"];
  }

  std::optional<TempDir> m_dir;
};

// Keys PostgreSQL's COPY TO writes escaped (\\, \t, \n): they must be
// decoded to the file names they stand for. never/backed-up.bin has no blob.
const std::vector<std::tuple<int, std::string, std::string>> k_escaped = {
    {10, "c/back\\slash.bin", "backslash"},
    {11, "c/tab\there.bin", "tab"},
    {12, "c/new\nline.bin", "newline"}};

std::string escaped_keys_sql() {
  std::string sql;
  for (const auto& [id, key, content] : k_escaped) {
    std::string literal;  // E'' string: backslash, tab and newline as escapes
    for (char c : key)
      literal += c == '\\' ? "\\\\" : c == '\t' ? "\\t" : c == '\n' ? "\\n" : std::string(1, c);
    sql += fmt::format("INSERT INTO attachments VALUES ({}, E'{}', {}, '{}');\n", id, literal,
                       content.size(), sha256_hex(content));
  }
  sql += "INSERT INTO attachments VALUES (13, 'never/backed-up.bin', NULL, NULL);\n";
  return sql;
}

const std::string k_orphan =
    "info: orphan: 'unused.bin' in blob store 'media' is referenced by no row";

class SqliteBlobRefs : public BlobRefsDrill {
 protected:
  void SetUp() override {
    BlobRefsDrill::SetUp();
    db = dir() / "app.sqlite";
    sql(insert_sql());
  }
  void sql(const std::string& text) const {
    SpawnOptions o;
    o.argv = {"sqlite3", db.string(), text};
    auto run = run_captured(std::move(o), std::chrono::seconds(30));
    ASSERT_TRUE(run && run->status.ok()) << (run ? run->err : run.error().message);
  }
  std::string backup() const {
    return fmt::format("name = \"app\"\nengine = \"sqlite\"\npath = \"{}\"", db.string());
  }
  fs::path db;
};

TEST_F(SqliteBlobRefs, CleanStorePassesWithTheOrphanAsInformation) {
  auto run = drill(plan(backup()));
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_EQ(status(), "passed");
  EXPECT_EQ(findings(), std::vector<std::string>{k_orphan});
}

TEST_F(SqliteBlobRefs, DeletedBlobIsDanglingAndNamesTheRow) {
  fs::remove(store() / "a/2.bin");
  auto run = drill(plan(backup()));
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  EXPECT_EQ(status(), "failed");
  EXPECT_EQ(findings(), (std::vector<std::string>{
                            "error: dangling reference: 'a/2.bin' is in the manifest of blob "
                            "store 'media' but missing from its directory (row id=2)",
                            k_orphan}));
}

TEST_F(SqliteBlobRefs, ChangedByteIsADigestMismatch) {
  write_text(store() / "b/3.bin", "thrEe");
  auto run = drill(plan(backup()));
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  EXPECT_EQ(findings(), (std::vector<std::string>{"error: digest mismatch: 'b/3.bin' has sha256 " +
                                                      sha256_hex("thrEe") + ", sha says " +
                                                      sha256_hex("three") + " (row id=3)",
                                                  k_orphan}));
}

TEST_F(SqliteBlobRefs, WrongSizeAndEscapingKey) {
  sql("UPDATE attachments SET size = 4 WHERE id = 1;"
      "INSERT INTO attachments VALUES (5, '../store.manifest', NULL, NULL);");
  auto run = drill(plan(backup()));
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  EXPECT_EQ(findings(),
            (std::vector<std::string>{
                "error: key '../store.manifest' escapes blob store 'media': '..' component leaves "
                "the store; not opened (row id=5)",
                "error: size mismatch: 'a/1.bin' is 3 bytes, size says 4 (row id=1)", k_orphan}));
}

TEST_F(SqliteBlobRefs, UnknownStoreIsAPlanError) {
  std::string check = k_check;
  check.replace(check.find("\"media\""), 7, "\"photos\"");
  auto run = run_cli({"validate", plan(backup(), check).string()});
  EXPECT_EQ(run.exit_code, 2) << run.out << run.err;
  EXPECT_NE(run.err.find("plan.toml:17:11: unknown blob store 'photos'; the plan's blob stores: "
                         "media"),
            std::string::npos)
      << run.err;
}

class PgBlobRefs : public BlobRefsDrill {
 protected:
  static void SetUpTestSuite() {
    s_work = new TempDir(world_dir("dp-pgblobs-"));
    std::string why;
    auto source = SourcePg::start(why);
    if (source) s_source = new SourcePg(std::move(*source));
    if (!s_source) {
      s_why = "PostgreSQL unavailable: " + why;
      return;
    }
    fs::path sql = s_work->path() / "blobs.sql";
    write_text(sql, "CREATE DATABASE app;\n\\c app\n" + insert_sql() +
                        "CREATE DATABASE keys;\n\\c keys\n" + insert_sql() + escaped_keys_sql());
    if (auto err = s_source->psql_file(sql); !err.empty())
      s_why = "loading failed: " + err;
    else if (auto e = s_source->dump('c', dump(), "app"); !e.empty())
      s_why = "pg_dump: " + e;
    else if (auto e2 = s_source->dump('c', keys_dump(), "keys"); !e2.empty())
      s_why = "pg_dump: " + e2;
  }
  static void TearDownTestSuite() {
    delete s_source;
    delete s_work;
    s_source = nullptr;
    s_work = nullptr;
  }
  void SetUp() override {
    DP_REQUIRE_OR_SKIP(s_why.empty(), s_why);
    BlobRefsDrill::SetUp();
  }
  static fs::path dump() { return s_work->path() / "app.dump"; }
  static fs::path keys_dump() { return s_work->path() / "keys.dump"; }
  static std::string backup(const fs::path& file = dump()) {
    return fmt::format("name = \"app\"\nengine = \"postgres\"\npath = \"{}\"", file.string());
  }

  static inline TempDir* s_work = nullptr;
  static inline SourcePg* s_source = nullptr;
  static inline std::string s_why;
};

TEST_F(PgBlobRefs, CleanStorePassesWithTheOrphanAsInformation) {
  auto run = drill(plan(backup()));
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_EQ(status(), "passed");
  EXPECT_EQ(findings(), std::vector<std::string>{k_orphan});
}

TEST_F(PgBlobRefs, DeletedAndChangedBlobsAreNamed) {
  fs::remove(store() / "a/2.bin");
  write_text(store() / "b/3.bin", "thrEe");
  auto run = drill(plan(backup()));
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  EXPECT_EQ(status(), "failed");
  EXPECT_EQ(findings(), (std::vector<std::string>{
                            "error: dangling reference: 'a/2.bin' is in the manifest of blob "
                            "store 'media' but missing from its directory (row id=2)",
                            "error: digest mismatch: 'b/3.bin' has sha256 " + sha256_hex("thrEe") +
                                ", sha says " + sha256_hex("three") + " (row id=3)",
                            k_orphan}));
}

TEST_F(PgBlobRefs, EscapedKeysResolveAndANeverBackedUpKeyIsDangling) {
  fs::create_directories(store() / "c");
  for (const auto& [id, key, content] : k_escaped) write_text(store() / key, content);
  auto made = run_cli({"manifest", "create", store().string(), "--algorithm", "sha256", "--out",
                       (dir() / "store.manifest").string()});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  auto run = drill(plan(backup(keys_dump())));
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  EXPECT_EQ(status(), "failed");
  EXPECT_EQ(findings(), (std::vector<std::string>{
                            "error: dangling reference: 'never/backed-up.bin' is not in blob "
                            "store 'media' (row id=13)",
                            k_orphan}));
  auto report = read_json(out() / "report.json");
  EXPECT_EQ(report["backups"][0]["checks"][0]["observed"],
            "8 references (1 NULL keys skipped): 6 found, 1 dangling, 0 escaping, 0 unusable, 0 "
            "size and 0 digest mismatches, 0 unparsable; 7 blobs, 1 orphans");
}

}  // namespace
}  // namespace dp::test
