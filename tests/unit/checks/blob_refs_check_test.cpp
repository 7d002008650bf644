// blob_refs against a FakeEngine and a real store directory in a TempDir:
// a clean case and one damaged case per finding, each asserting the exact
// message.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "checks/blob_files.hpp"
#include "checks/blob_index.hpp"
#include "checks/blob_refs_check.hpp"
#include "tests/fixtures/fake_engine.hpp"
#include "verifier/artifacts/digest.hpp"
#include "verifier/artifacts/manifest.hpp"
#include "verifier/core/temp_dir.hpp"

namespace dp::checks {
namespace {

namespace fs = std::filesystem;
using fake::FakeEngine;

const std::string k_sql = "SELECT key, size, sha, id FROM attachments";
const std::string k_probe = "SELECT * FROM (" + k_sql + ") AS dp_blob_refs LIMIT 0";
const std::vector<std::string> k_columns = {"key", "size", "sha", "id"};

std::string sha256_hex(const std::string& text) {
  artifacts::Hasher h(artifacts::Algorithm::sha256);
  h.update(text);
  return h.finish_hex();
}

void write(const fs::path& file, const std::string& text) {
  fs::create_directories(file.parent_path());
  std::ofstream(file, std::ios::binary) << text;
}

class BlobRefsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = TempDir::create("dp-blobrefs-test");
    ASSERT_TRUE(dir) << dir.error().message;
    m_dir.emplace(std::move(*dir));
    store = m_dir->path() / "store";
    write(store / "a.bin", "alpha");
    write(store / "sub/b.bin", "bravo!");
    write(m_dir->path() / "secret", "outside the store");
    options.name = "attachments";
    options.store = "media";
    options.store_path = store;
    options.query = k_sql;
    options.size_column = "size";
    options.digest_column = "sha";
    options.pk_columns = {"id"};
  }
  void TearDown() override {
    if (HasFailure()) m_dir->keep();
  }

  engine::Row ref(std::string key, std::string size, std::string sha, std::string id) {
    return {std::move(key), std::move(size), std::move(sha), std::move(id)};
  }
  engine::Row good_a() { return ref("a.bin", "5", sha256_hex("alpha"), "1"); }
  engine::Row good_b() { return ref("sub/b.bin", "6", sha256_hex("bravo!"), "2"); }

  CheckOutcome run(std::vector<engine::Row> rows) {
    db.on(k_probe, k_columns, {});
    db.on(k_sql, k_columns, std::move(rows));
    return BlobRefsCheck(options).run(CheckContext{db, "shop"});
  }

  std::vector<std::string> messages(const CheckOutcome& out, Severity severity) {
    std::vector<std::string> m;
    for (const auto& f : out.findings)
      if (f.severity == severity) m.push_back(f.message);
    return m;
  }

  std::optional<TempDir> m_dir;
  fs::path store;
  BlobRefsOptions options;
  FakeEngine db;
};

TEST(BlobKeyTest, KeysThatLeaveTheStoreAreRefused) {
  EXPECT_EQ(key_escape_reason("../x"), "'..' component leaves the store");
  EXPECT_EQ(key_escape_reason("a/../../x"), "'..' component leaves the store");
  EXPECT_EQ(key_escape_reason("/etc/passwd"), "absolute path");
  EXPECT_EQ(key_escape_reason(""), "empty key");
  EXPECT_EQ(key_escape_reason("a//b"), "empty path component");
  EXPECT_EQ(key_escape_reason("./a"), "'.' component (keys are canonical relative paths)");
  EXPECT_EQ(key_escape_reason(std::string_view("a\0b", 3)), "key contains a NUL byte");
  EXPECT_EQ(key_escape_reason("a/b..c/d.bin"), std::nullopt);
}

TEST(BlobKeyTest, CopyFieldsDecode) {
  EXPECT_EQ(decode_copy_field("\\N"), std::nullopt);
  EXPECT_EQ(decode_copy_field("a\\tb\\\\c\\nd"), "a\tb\\c\nd");
  EXPECT_EQ(decode_copy_field("plain"), "plain");
}

TEST(BlobIndexTest, FindsExactlyTheKeysAdded) {
  BlobIndex index;
  for (int i = 0; i < 1000; ++i)
    index.add("k/" + std::to_string(i), BlobIndex::Kind::file, std::uint64_t(i), {});
  index.finish();
  for (int i = 0; i < 1000; ++i) {
    std::uint32_t at = index.find("k/" + std::to_string(i));
    ASSERT_NE(at, BlobIndex::k_none) << i;
    EXPECT_EQ(index.size_of(at), std::uint64_t(i));
  }
  EXPECT_EQ(index.find("k/1000"), BlobIndex::k_none);
  EXPECT_EQ(index.find("k/01"), BlobIndex::k_none);
  index.mark_referenced(index.find("k/7"));
  EXPECT_EQ(index.referenced_count(), 1U);
  // Compact: well under 100 bytes a blob (hash, size, kind, bit, two slots).
  EXPECT_LT(index.memory_bytes(), 1000U * 100U);
}

TEST(BlobIndexTest, SameNinetySixBitsIsAnotherKeyWithFullHash) {
  // A forged hash equal to a.bin's in the 96 bits the slot holds, differing
  // only in the other 32: a dangling key that collides this way.
  BlobIndex::Hash real = BlobIndex::hash_of("a.bin");
  BlobIndex::Hash forged = real;
  forged.tail ^= 1U;

  BlobIndex full(true);
  full.add("a.bin", BlobIndex::Kind::file, 5, {});
  full.finish();
  EXPECT_EQ(full.find(real), 0U);
  EXPECT_EQ(full.find(forged), BlobIndex::k_none);

  // Both present: each found as itself, whichever slot it landed in.
  BlobIndex both(true);
  both.add(real, BlobIndex::Kind::file, 5, {});
  both.add(forged, BlobIndex::Kind::file, 6, {});
  both.finish();
  EXPECT_EQ(both.find(real), 0U);
  EXPECT_EQ(both.find(forged), 1U);

  // Without full_hash (manifest-only stores) the 96 bits decide, as the
  // header documents.
  BlobIndex compact;
  compact.add("a.bin", BlobIndex::Kind::file, 5, {});
  compact.finish();
  EXPECT_EQ(compact.find(forged), 0U);
}

// The per-component fallback for kernels or containers without openat2 must
// refuse symlinks exactly as openat2(RESOLVE_NO_SYMLINKS) does.
class BlobFilesTest : public ::testing::TestWithParam<bool> {};

TEST_P(BlobFilesTest, SymlinksAreNeverFollowed) {
  auto dir = TempDir::create("dp-blobfiles-test");
  ASSERT_TRUE(dir) << dir.error().message;
  fs::path store = dir->path() / "store";
  write(store / "a.bin", "alpha");
  write(store / "sub/b.bin", "bravo!");
  write(dir->path() / "secret", "outside the store");
  write(dir->path() / "outdir/c.bin", "charlie");
  fs::create_symlink(dir->path() / "secret", store / "link.bin");
  fs::create_symlink(store / "sub", store / "sublink");
  fs::create_symlink(dir->path() / "outdir", store / "out");
  // A unix socket where a blob should be: open() gives ENXIO, which is "not
  // a regular file", not "unreadable".
  int sock = ::socket(AF_UNIX, SOCK_STREAM, 0);
  ASSERT_GE(sock, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::string sock_path = (store / "sock.bin").string();
  ASSERT_LT(sock_path.size(), sizeof addr.sun_path);
  std::memcpy(addr.sun_path, sock_path.c_str(), sock_path.size() + 1);
  ASSERT_EQ(::bind(sock, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ::close(sock);
  auto files = BlobFiles::open(store, GetParam());
  ASSERT_TRUE(files) << files.error().message;

  BlobStat a = files->stat("a.bin");
  EXPECT_EQ(a.state, BlobState::regular);
  EXPECT_EQ(a.size, 5U);
  EXPECT_EQ(files->stat("sub/b.bin").state, BlobState::regular);
  EXPECT_EQ(files->stat("nope.bin").state, BlobState::missing);
  EXPECT_EQ(files->stat("a.bin/x").state, BlobState::missing);
  EXPECT_EQ(files->stat("sub").state, BlobState::not_regular);
  EXPECT_EQ(files->stat("sock.bin").state, BlobState::not_regular);
  EXPECT_EQ(files->stat("link.bin").state, BlobState::symlink);
  EXPECT_EQ(files->stat("sublink/b.bin").state, BlobState::symlink);
  EXPECT_EQ(files->stat("out/c.bin").state, BlobState::symlink);
  auto d = files->digest("sub/b.bin", artifacts::Algorithm::sha256);
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(bytes_to_hex(*d), sha256_hex("bravo!"));
  auto outside = files->digest("out/c.bin", artifacts::Algorithm::sha256);
  ASSERT_FALSE(outside);
  EXPECT_EQ(outside.error().message, "out/c.bin: " + std::string(std::strerror(ELOOP)));
  if (HasFailure()) dir->keep();
}

INSTANTIATE_TEST_SUITE_P(Openat2AndFallback, BlobFilesTest, ::testing::Bool(),
                         [](const auto& p) { return p.param ? "openat2" : "components"; });

TEST_F(BlobRefsTest, CleanStorePasses) {
  auto out = run({good_a(), good_b(), good_a()});
  EXPECT_EQ(out.outcome, Outcome::passed) << out.message;
  EXPECT_TRUE(out.findings.empty());
  EXPECT_EQ(out.observed,
            "3 references (0 NULL keys skipped): 3 found, 0 dangling, 0 escaping, 0 unusable, 0 "
            "size and 0 digest mismatches, 0 unparsable; 2 blobs, 0 orphans");
}

TEST_F(BlobRefsTest, DanglingReferenceIsNamedWithItsRowKey) {
  auto out = run({good_a(), good_b(), ref("gone.bin", "3", sha256_hex("x"), "42")});
  EXPECT_EQ(out.outcome, Outcome::failed);
  ASSERT_EQ(out.findings.size(), 1U);
  EXPECT_EQ(out.findings[0].message,
            "dangling reference: 'gone.bin' is not in blob store 'media' (row id=42)");
  EXPECT_EQ(out.findings[0].target, "gone.bin");
  EXPECT_EQ(out.message,
            "attachments: 1 dangling references of 3 references in blob store 'media'");
}

TEST_F(BlobRefsTest, WrongDigestAndWrongSize) {
  write(store / "sub/b.bin", "bravo?");  // same size, one byte changed
  auto out = run({ref("a.bin", "6", sha256_hex("alpha"), "1"), good_b()});
  EXPECT_EQ(out.outcome, Outcome::failed);
  EXPECT_EQ(
      messages(out, Severity::error),
      (std::vector<std::string>{"size mismatch: 'a.bin' is 5 bytes, size says 6 (row id=1)",
                                "digest mismatch: 'sub/b.bin' has sha256 " + sha256_hex("bravo?") +
                                    ", sha says " + sha256_hex("bravo!") + " (row id=2)"}));
}

TEST_F(BlobRefsTest, EscapingKeysAreFindingsAndNeverRead) {
  auto out = run({good_a(), good_b(), ref("../secret", "17", sha256_hex("outside the store"), "3"),
                  ref((m_dir->path() / "secret").string(), "17", "", "4")});
  EXPECT_EQ(out.outcome, Outcome::failed);
  EXPECT_EQ(messages(out, Severity::error),
            (std::vector<std::string>{
                "key '../secret' escapes blob store 'media': '..' component leaves the store; "
                "not opened (row id=3)",
                "key '" + (m_dir->path() / "secret").string() +
                    "' escapes blob store 'media': absolute path; not opened (row id=4)"}));
}

TEST_F(BlobRefsTest, SymlinkOutOfTheStoreIsNotFollowed) {
  fs::create_symlink(m_dir->path() / "secret", store / "link.bin");
  auto out = run({good_a(), good_b(), ref("link.bin", "17", sha256_hex("outside the store"), "5")});
  EXPECT_EQ(out.outcome, Outcome::failed);
  EXPECT_EQ(messages(out, Severity::error),
            (std::vector<std::string>{
                "'link.bin' in blob store 'media' is a symlink (never followed) (row id=5)"}));
}

TEST_F(BlobRefsTest, OrphanIsInformationOnly) {
  write(store / "unused.bin", "nobody");
  auto out = run({good_a(), good_b()});
  EXPECT_EQ(out.outcome, Outcome::passed) << out.message;
  EXPECT_EQ(messages(out, Severity::info),
            (std::vector<std::string>{
                "orphan: 'unused.bin' in blob store 'media' is referenced by no row"}));
  options.orphans = false;
  EXPECT_TRUE(run({good_a(), good_b()}).findings.empty());
}

TEST_F(BlobRefsTest, CountsAreExactBeyondTheListedFew) {
  options.max_listed = 2;
  options.orphans = false;
  std::vector<engine::Row> rows = {good_a()};
  for (int i = 0; i < 5; ++i)
    rows.push_back(ref("no/" + std::to_string(i), "", "", std::to_string(10 + i)));
  rows.push_back(engine::Row{std::nullopt, std::nullopt, std::nullopt, std::string("99")});
  auto out = run(rows);
  EXPECT_EQ(messages(out, Severity::error),
            (std::vector<std::string>{
                "dangling reference: 'no/0' is not in blob store 'media' (row id=10)",
                "dangling reference: 'no/1' is not in blob store 'media' (row id=11)",
                "... and 3 more dangling references (not listed)"}));
  EXPECT_NE(out.observed.find("7 references (1 NULL keys skipped): 1 found, 5 dangling"),
            std::string::npos)
      << out.observed;
}

TEST_F(BlobRefsTest, KeyPrefixIsStripped) {
  options.key_prefix = "s3://media/";
  auto out = run({ref("s3://media/a.bin", "5", sha256_hex("alpha"), "1"),
                  ref("s3://other/a.bin", "5", "", "2"), good_b()});
  EXPECT_EQ(messages(out, Severity::error),
            (std::vector<std::string>{
                "dangling reference: 's3://other/a.bin' does not start with key_prefix "
                "'s3://media/' of blob store 'media' (row id=2)",
                "dangling reference: 'sub/b.bin' does not start with key_prefix 's3://media/' of "
                "blob store 'media' (row id=2)"}));
}

TEST_F(BlobRefsTest, UnparsableExpectedValues) {
  auto out =
      run({ref("a.bin", "five", sha256_hex("alpha"), "1"), ref("sub/b.bin", "6", "zz", "2")});
  EXPECT_EQ(messages(out, Severity::error),
            (std::vector<std::string>{"'a.bin': size 'five' is not a size in bytes (row id=1)",
                                      "'sub/b.bin': sha 'zz' is not a sha256 digest (row id=2)"}));
}

TEST_F(BlobRefsTest, UnknownColumnIsAnError) {
  options.size_column = "bytes";
  auto out = run({good_a()});
  EXPECT_EQ(out.outcome, Outcome::error);
  EXPECT_EQ(out.message,
            "attachments: the query has no column 'bytes'; its columns: key, size, sha, id");
}

TEST_F(BlobRefsTest, QueryErrorIsAnError) {
  db.on_engine_error(k_probe, "relation \"attachments\" does not exist");
  auto out = BlobRefsCheck(options).run(CheckContext{db, "shop"});
  EXPECT_EQ(out.outcome, Outcome::error);
  EXPECT_EQ(out.message, "attachments: query: relation \"attachments\" does not exist");
}

TEST_F(BlobRefsTest, ManifestEntryWhoseFileIsGoneIsDangling) {
  fs::path manifest = m_dir->path() / "store.manifest";
  artifacts::CreateOptions create;
  create.algorithm = artifacts::Algorithm::sha256;
  ASSERT_TRUE(artifacts::create_manifest(store, manifest, create));
  fs::remove(store / "a.bin");
  options.store_manifest = manifest;
  auto out = run({good_a(), good_b()});
  EXPECT_EQ(messages(out, Severity::error),
            (std::vector<std::string>{
                "dangling reference: 'a.bin' is in the manifest of blob store 'media' but missing "
                "from its directory (row id=1)"}));
}

TEST_F(BlobRefsTest, ManifestAloneWhenFilesAreNotChecked) {
  fs::path manifest = m_dir->path() / "store.manifest";
  artifacts::CreateOptions create;
  create.algorithm = artifacts::Algorithm::sha256;
  ASSERT_TRUE(artifacts::create_manifest(store, manifest, create));
  fs::remove_all(store / "sub");  // not read: the manifest is trusted
  options.store_manifest = manifest;
  options.check_files = false;
  auto out = run({good_a(), ref("sub/b.bin", "7", sha256_hex("bravo?"), "2")});
  EXPECT_EQ(
      messages(out, Severity::error),
      (std::vector<std::string>{"size mismatch: 'sub/b.bin' is 6 bytes, size says 7 (row id=2)",
                                "digest mismatch: 'sub/b.bin' has sha256 " + sha256_hex("bravo!") +
                                    ", sha says " + sha256_hex("bravo?") + " (row id=2)"}));
  options.digest_algorithm = artifacts::Algorithm::xxh3_128;
  auto mismatch = run({good_a()});
  EXPECT_EQ(mismatch.outcome, Outcome::error);
  EXPECT_EQ(mismatch.message,
            "attachments: blob store 'media' has check_files = false and its manifest records "
            "sha256 digests, but digest_algorithm is xxh3-128: nothing to compare with");
}

// The store's index loads on its own thread while the query streams: a
// manifest that arrives late (a FIFO written 300 ms after the check starts,
// long after the rows are queued) or broken gives exactly the findings and
// the error of a manifest read from a plain file at the same path.
class SlowManifest {
 public:
  SlowManifest(fs::path fifo, std::string text) : m_fifo(std::move(fifo)) {
    fs::remove(m_fifo);
    if (::mkfifo(m_fifo.c_str(), 0600) != 0) return;
    m_writer = std::thread([this, text = std::move(text)] {
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      std::ofstream(m_fifo, std::ios::binary) << text;  // blocks until the check opens it
    });
  }
  ~SlowManifest() {
    if (m_writer.joinable()) m_writer.join();
  }
  bool ok() const { return m_writer.joinable(); }

 private:
  fs::path m_fifo;
  std::thread m_writer;
};

std::string read_all(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST_F(BlobRefsTest, IndexLoadingLateGivesTheSameFindings) {
  fs::path built = m_dir->path() / "built.manifest";
  artifacts::CreateOptions create;
  create.algorithm = artifacts::Algorithm::sha256;
  ASSERT_TRUE(artifacts::create_manifest(store, built, create));
  options.store_manifest = m_dir->path() / "store.manifest";
  options.max_listed = 3;
  // More rows than one 1 MiB batch, so several batches queue while the index waits.
  std::vector<engine::Row> rows;
  for (int i = 0; i < 60000; ++i)
    rows.push_back(i % 1000 == 7
                       ? ref("gone/" + std::to_string(i) + ".bin", "1", "", std::to_string(i))
                   : i % 2 ? good_a()
                           : good_b());
  CheckOutcome late;
  {
    SlowManifest fifo(options.store_manifest, read_all(built));
    ASSERT_TRUE(fifo.ok()) << std::strerror(errno);
    late = run(rows);
  }
  fs::remove(options.store_manifest);
  fs::copy_file(built, options.store_manifest);
  CheckOutcome plain = run(rows);
  EXPECT_EQ(late.outcome, Outcome::failed);
  EXPECT_EQ(late.observed, plain.observed);
  EXPECT_EQ(late.message, plain.message);
  EXPECT_EQ(late.message,
            "attachments: 60 dangling references of 60000 references in blob store 'media'");
  ASSERT_EQ(late.findings.size(), plain.findings.size());
  for (std::size_t i = 0; i < late.findings.size(); ++i)
    EXPECT_EQ(late.findings[i].message, plain.findings[i].message);
  EXPECT_EQ(late.findings[0].message,
            "dangling reference: 'gone/7.bin' is not in blob store 'media' (row id=7)");
}

TEST_F(BlobRefsTest, IndexFailingLateIsTheSameError) {
  fs::path built = m_dir->path() / "built.manifest";
  artifacts::CreateOptions create;
  create.algorithm = artifacts::Algorithm::sha256;
  ASSERT_TRUE(artifacts::create_manifest(store, built, create));
  std::string text = read_all(built);
  text.resize(text.rfind('\n', text.size() - 2) + 1);  // the self-digest line cut off
  options.store_manifest = m_dir->path() / "store.manifest";
  std::vector<engine::Row> rows(30000, good_a());
  CheckOutcome late;
  {
    SlowManifest fifo(options.store_manifest, text);
    ASSERT_TRUE(fifo.ok()) << std::strerror(errno);
    late = run(rows);
  }
  fs::remove(options.store_manifest);
  write(options.store_manifest, text);
  CheckOutcome plain = run(rows);
  EXPECT_EQ(late.outcome, Outcome::error);
  EXPECT_EQ(late.message, plain.message);
  EXPECT_EQ(late.message, "attachments: blob store 'media': " + options.store_manifest.string() +
                              ": no self-digest line (truncated?)");
  // The store's error comes first even when the query fails too.
  db.on_engine_error(k_probe, "relation \"attachments\" does not exist");
  {
    SlowManifest fifo(options.store_manifest.string() + ".2", text);
    options.store_manifest += ".2";
    auto both = BlobRefsCheck(options).run(CheckContext{db, "shop"});
    EXPECT_EQ(both.outcome, Outcome::error);
    EXPECT_EQ(both.message, "attachments: blob store 'media': " + options.store_manifest.string() +
                                ": no self-digest line (truncated?)");
  }
}

}  // namespace
}  // namespace dp::checks
