// Integration: the blob_refs check on a mariadb-dump restored into scratch
// MariaDB by the built binary, against a real blob directory and its
// manifest. MySQL's `key` is a reserved word and its rows reach the check
// through mysql_use_result, not COPY: a key holding a backslash must still
// resolve. Negative controls: a deleted blob, a changed byte and a key never
// backed up, each with its exact finding; the orphan is information.
#include <fmt/format.h>

#include "tests/integration/source_my.hpp"
#include "verifier/artifacts/digest.hpp"

namespace dp::test {
namespace {

std::string sha256_hex(const std::string& text) {
  artifacts::Hasher h(artifacts::Algorithm::sha256);
  h.update(text);
  return h.finish_hex();
}

// id, key as stored, content. unused.bin is in the store, referenced by none.
const std::vector<std::tuple<int, std::string, std::string>> k_blobs = {
    {1, "a/1.bin", "one"}, {2, "a/2.bin", "two two"}, {3, "c/back\\slash.bin", "backslash"}};

constexpr const char* k_check = R"(
  [[backup.check]]
  type = "blob_refs"
  store = "media"
  query = "SELECT `key`, size, sha, id FROM attachments"
  size_column = "size"
  digest_column = "sha"
  pk_columns = ["id"]
)";

const std::string k_orphan =
    "info: orphan: 'unused.bin' in blob store 'media' is referenced by no row";

class MyBlobRefs : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    s_work = new TempDir(world_dir("dp-myblobs-"));
    std::string why;
    auto source = SourceMy::start(why);
    if (source) s_source = new SourceMy(std::move(*source));
    if (!s_source) {
      s_why = "MariaDB unavailable: " + why;
      return;
    }
    std::string sql =
        "CREATE DATABASE app; USE app;"
        "CREATE TABLE attachments (id int PRIMARY KEY, `key` varchar(255), size bigint, "
        "sha char(64));";
    for (const auto& [id, key, content] : k_blobs) {
      std::string literal;  // MySQL string literal: a backslash is written twice
      for (char c : key) literal += c == '\\' ? std::string("\\\\") : std::string(1, c);
      sql += fmt::format("INSERT INTO attachments VALUES ({}, '{}', {}, '{}');", id, literal,
                         content.size(), sha256_hex(content));
    }
    sql += "INSERT INTO attachments VALUES (4, NULL, NULL, NULL);";
    if (auto err = s_source->sql(sql); !err.empty())
      s_why = "loading failed: " + err;
    else if (auto e = s_source->dump("app", dump()); !e.empty())
      s_why = "mariadb-dump: " + e;
  }
  static void TearDownTestSuite() {
    delete s_source;
    delete s_work;
    s_source = nullptr;
    s_work = nullptr;
  }
  void SetUp() override {
    DP_REQUIRE_OR_SKIP(s_why.empty(), s_why);
    m_dir.emplace(world_dir("dp-myblobcase-"));
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
    if (HasFailure() && m_dir) m_dir->keep();
  }

  static fs::path dump() { return s_work->path() / "app.sql"; }
  fs::path dir() const { return m_dir->path(); }
  fs::path tmp() const { return dir() / "tmp"; }
  fs::path store() const { return dir() / "store"; }
  fs::path out() const { return dir() / "report"; }

  CliRun drill(const std::string& extra_sql_rows = "") const {
    fs::path file = dump();
    if (!extra_sql_rows.empty()) {
      file = dir() / "app.sql";
      write_text(file, read_text(dump()) + extra_sql_rows);
    }
    fs::path p = dir() / "plan.toml";
    write_text(p, fmt::format(R"([plan]
name = "blobs"
start_timeout = "60s"

[[blob_store]]
name = "media"
kind = "dir"
path = "store"
manifest = "store.manifest"

[[backup]]
name = "app"
engine = "mysql"
path = "{}"
database = "app"
{})",
                              file.string(), k_check));
    return run_cli({"run", p.string(), "--out", out().string()}, {{"TMPDIR", tmp().string()}});
  }
  nlohmann::json check() const {
    return read_json(out() / "report.json")["backups"][0]["checks"][0];
  }
  std::vector<std::string> findings() const {
    std::vector<std::string> out;
    nlohmann::json c = check();  // held: a temporary's ["findings"] would dangle
    for (const auto& f : c["findings"])
      out.push_back(
          fmt::format("{}: {}", f["severity"].get<std::string>(), f["message"].get<std::string>()));
    return out;
  }

  std::optional<TempDir> m_dir;
  static inline TempDir* s_work = nullptr;
  static inline SourceMy* s_source = nullptr;
  static inline std::string s_why;
};

TEST_F(MyBlobRefs, CleanStorePassesWithTheOrphanAsInformation) {
  auto run = drill();
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_EQ(check()["status"], "passed");
  EXPECT_EQ(findings(), std::vector<std::string>{k_orphan});
  EXPECT_EQ(check()["observed"],
            "4 references (1 NULL keys skipped): 3 found, 0 dangling, 0 escaping, 0 unusable, 0 "
            "size and 0 digest mismatches, 0 unparsable; 4 blobs, 1 orphans");
}

TEST_F(MyBlobRefs, DeletedChangedAndNeverBackedUpBlobsAreNamed) {
  fs::remove(store() / "a/2.bin");
  write_text(store() / "a/1.bin", "onE");
  auto run = drill("INSERT INTO attachments VALUES (5, 'never/backed-up.bin', NULL, NULL);\n");
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  EXPECT_EQ(check()["status"], "failed");
  EXPECT_EQ(findings(), (std::vector<std::string>{
                            "error: dangling reference: 'a/2.bin' is in the manifest of blob "
                            "store 'media' but missing from its directory (row id=2)",
                            "error: dangling reference: 'never/backed-up.bin' is not in blob "
                            "store 'media' (row id=5)",
                            "error: digest mismatch: 'a/1.bin' has sha256 " + sha256_hex("onE") +
                                ", sha says " + sha256_hex("one") + " (row id=1)",
                            k_orphan}));
}

}  // namespace
}  // namespace dp::test
