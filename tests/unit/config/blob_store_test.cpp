// [[blob_store]] tables and the `store` link from checks that name one.
// The check kind is a fake shaped like blob_refs (uses_blob_store).
#include <gtest/gtest.h>

#include <fstream>
#include <optional>

#include "verifier/config/config.hpp"
#include "verifier/core/temp_dir.hpp"

namespace dp::config {
namespace {

namespace fs = std::filesystem;

std::vector<CheckKindInfo> kinds() {
  CheckKindInfo info;
  info.type = "blob_refs";
  info.params = {{"store", ParamType::string, true, ""}, {"query", ParamType::string, true, ""}};
  info.uses_blob_store = true;
  return {info};
}

class BlobStoreConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = TempDir::create("dp-blobstore-config");
    ASSERT_TRUE(dir);
    m_dir.emplace(std::move(*dir));
    fs::create_directory(m_dir->path() / "media");
    std::ofstream(m_dir->path() / "media.manifest") << "x";
    std::ofstream(m_dir->path() / "app.sqlite") << "x";
  }
  Result<Config, Diagnostics> parse(const std::string& stores, const std::string& store = "media") {
    std::string text = "[plan]\nname = \"p\"\n" + stores +
                       "\n[[backup]]\nname = \"app\"\nengine = \"sqlite\"\npath = \"app.sqlite\"\n"
                       "  [[backup.check]]\n  type = \"blob_refs\"\n  store = \"" +
                       store + "\"\n  query = \"SELECT k FROM t\"\n";
    auto k = kinds();
    return config::parse(text, m_dir->path() / "plan.toml", k);
  }
  std::vector<std::string> messages(const Result<Config, Diagnostics>& r) {
    std::vector<std::string> out;
    if (r) return out;
    for (const auto& d : r.error())
      out.push_back(std::to_string(d.pos.line) + ":" + std::to_string(d.pos.column) + ": " +
                    d.message);
    return out;
  }
  std::optional<TempDir> m_dir;
};

const std::string k_store =
    "[[blob_store]]\nname = \"media\"\nkind = \"dir\"\npath = \"media\"\n"
    "manifest = \"media.manifest\"\n";

TEST_F(BlobStoreConfigTest, StoreSettingsReachTheCheck) {
  auto r = parse(k_store);
  ASSERT_TRUE(r) << messages(r)[0];
  ASSERT_EQ(r->blob_stores.size(), 1U);
  EXPECT_EQ(r->blob_stores[0].path, m_dir->path() / "media");
  const CheckSpec& spec = r->backups[0].checks[0];
  EXPECT_EQ(*spec.find("store.path")->as_string(), (m_dir->path() / "media").string());
  EXPECT_EQ(*spec.find("store.manifest")->as_string(), (m_dir->path() / "media.manifest").string());
  EXPECT_EQ(std::get<bool>(spec.find("store.check_files")->value), true);
}

TEST_F(BlobStoreConfigTest, UnknownStoreIsADiagnosticAtItsValue) {
  EXPECT_EQ(messages(parse(k_store, "photos")),
            std::vector<std::string>{"15:11: unknown blob store 'photos'; the plan's blob "
                                     "stores: media"});
  EXPECT_EQ(messages(parse("", "photos")),
            std::vector<std::string>{"10:11: unknown blob store 'photos'; the plan has no "
                                     "[[blob_store]]"});
}

TEST_F(BlobStoreConfigTest, BadStoreTables) {
  std::string bad =
      "[[blob_store]]\nname = \"media\"\nkind = \"s3\"\npath = \"nowhere\"\ncheck_files = false\n"
      "bucket = \"b\"\n"
      "[[blob_store]]\nname = \"media\"\nkind = \"dir\"\npath = \"media\"\n";
  EXPECT_EQ(messages(parse(bad)),
            (std::vector<std::string>{
                "5:8: unknown blob store kind 's3'; the only kind is \"dir\" (one file per key "
                "under 'path')",
                "6:8: blob store directory not found: " + (m_dir->path() / "nowhere").string(),
                "7:15: 'check_files = false' needs a 'manifest': without one the directory is the "
                "only index",
                "8:1: unknown key 'bucket' in [[blob_store]]; expected one of: name, kind, path, "
                "manifest, check_files",
                "10:8: duplicate blob store name 'media' (first at line 4)"}));
}

}  // namespace
}  // namespace dp::config
