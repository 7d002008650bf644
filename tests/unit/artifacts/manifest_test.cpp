// Manifest create/verify against real temporary trees: a clean round trip,
// and one damaged copy per finding, each asserting the exact finding.
#include "verifier/artifacts/manifest.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>

#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "verifier/artifacts/block_ring.hpp"
#include "verifier/artifacts/digest.hpp"
#include "verifier/artifacts/tree_walk.hpp"
#include "verifier/core/fd.hpp"
#include "verifier/core/temp_dir.hpp"

namespace dp::artifacts {
namespace {

namespace fs = std::filesystem;

void write_file(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary | std::ios::trunc) << text;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class Manifest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = TempDir::create("dp-manifest-");
    ASSERT_TRUE(dir) << dir.error().message;
    m_dir.emplace(std::move(*dir));
    write_file(tree() / "a.txt", "alpha\n");
    write_file(tree() / "empty", "");
    write_file(tree() / "sub/b.bin", std::string(3 * 1024 * 1024 + 17, 'b'));  // several reads
    write_file(tree() / "sub/deeper/c.txt", "charlie\n");
    write_file(tree() / "sub-x", "sorts after sub/\n");
  }
  void TearDown() override {
    if (HasFailure()) m_dir->keep();
  }
  fs::path tree() const { return m_dir->path() / "tree"; }
  fs::path manifest() const { return m_dir->path() / "tree.manifest"; }

  CreateSummary create(Algorithm algorithm = Algorithm::xxh3_128, unsigned threads = 0) {
    CreateOptions options;
    options.algorithm = algorithm;
    options.threads = threads;
    auto made = create_manifest(tree(), manifest(), options);
    EXPECT_TRUE(made) << made.error().message;
    return made ? *made : CreateSummary{};
  }
  VerifyReport verify() {
    auto report = verify_manifest(tree(), manifest(), {});
    EXPECT_TRUE(report) << report.error().message;
    return report ? *report : VerifyReport{};
  }
  // Exactly one finding, of this kind, for this path.
  void expect_only(FindingKind kind, const std::string& path) {
    auto report = verify();
    ASSERT_EQ(report.findings.size(), 1u);
    EXPECT_EQ(report.findings[0].kind, kind) << report.findings[0].message;
    EXPECT_EQ(report.findings[0].path, path);
  }
  std::optional<TempDir> m_dir;
};

TEST_F(Manifest, RoundTripMatches) {
  auto made = create();
  EXPECT_EQ(made.files, 5u);
  EXPECT_EQ(made.bytes, 6u + 3 * 1024 * 1024 + 17 + 8 + 17);
  std::uint64_t files = 0, bytes = 0;
  VerifyOptions options;
  options.progress = [&](std::uint64_t f, std::uint64_t b) {
    EXPECT_GE(f, files);  // running totals, on this thread
    files = f;
    bytes = b;
  };
  auto report = verify_manifest(tree(), manifest(), options);
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_TRUE(report->ok());
  EXPECT_EQ(report->files_checked, 5u);
  EXPECT_EQ(report->bytes_checked, made.bytes);
  EXPECT_EQ(files, 5u);
  EXPECT_EQ(bytes, made.bytes);
  EXPECT_FALSE(fs::exists(manifest().string() + ".tmp." + std::to_string(::getpid())));
}

TEST_F(Manifest, FormatIsSortedAndSelfDigested) {
  auto made = create();
  std::string text = read_file(manifest());
  EXPECT_TRUE(text.starts_with("# drillproof manifest v1 xxh3-128\n")) << text;
  // '/' sorts before '-': sub/... before sub-x, as a depth-first walk visits them.
  EXPECT_LT(text.find(" sub/deeper/c.txt\n"), text.find(" sub-x\n")) << text;
  EXPECT_TRUE(text.ends_with("# self-digest " + made.self_digest + "\n")) << text;
  // xxhsum -H2 of "alpha\n" (the canonical big-endian form).
  EXPECT_NE(text.find("f 890c8a5c5ad2a8a2edba9e94785346a3 6 a.txt\n"), std::string::npos) << text;
}

TEST_F(Manifest, SameBytesWhateverTheThreadCount) {
  create(Algorithm::xxh3_128, 1);
  std::string one = read_file(manifest());
  create(Algorithm::xxh3_128, 7);
  EXPECT_EQ(read_file(manifest()), one);
}

TEST_F(Manifest, Sha256Option) {
  write_file(tree() / "abc", "abc");
  create(Algorithm::sha256);
  std::string text = read_file(manifest());
  EXPECT_TRUE(text.starts_with("# drillproof manifest v1 sha256\n"));
  EXPECT_NE(text.find("f ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad 3 abc\n"),
            std::string::npos)
      << text;
  auto report = verify();
  EXPECT_TRUE(report.ok());
  EXPECT_EQ(report.algorithm, Algorithm::sha256);
  write_file(tree() / "abc", "abd");
  expect_only(FindingKind::changed, "abc");
}

TEST_F(Manifest, FlippedByteIsChanged) {
  create();
  std::string big = read_file(tree() / "sub/b.bin");
  auto& byte = big[2 * 1024 * 1024 + 5];  // in the third read block
  byte = static_cast<char>(byte ^ 0x01);
  write_file(tree() / "sub/b.bin", big);
  expect_only(FindingKind::changed, "sub/b.bin");
}

// Files of 64 MiB and more are read by two threads (odd blocks ahead on a
// helper): the digest must be that of the bytes in order, and damage in a
// helper's block must be caught.
TEST_F(Manifest, LargeFileReadByTwoThreads) {
  std::string big(65 * 1024 * 1024 + 3, '\0');
  for (std::size_t i = 0; i < big.size(); i += 4093) big[i] = static_cast<char>(i / 4093);
  write_file(tree() / "large.bin", big);
  Hasher whole(Algorithm::xxh3_128);
  whole.update(big);
  std::vector<unsigned char> buffer(128 * 1024);
  auto digest = hash_file(tree() / "large.bin", Algorithm::xxh3_128, buffer);
  ASSERT_TRUE(digest) << digest.error().message;
  EXPECT_EQ(digest->size, big.size());
  EXPECT_EQ(digest->hex, whole.finish_hex());
  create();
  auto& byte = big[128 * 1024 * 3 + 7];  // block 3: read by the helper
  byte = static_cast<char>(byte ^ 0x40);
  write_file(tree() / "large.bin", big);
  expect_only(FindingKind::changed, "large.bin");
  fs::resize_file(tree() / "large.bin", 64 * 1024 * 1024 + 1);
  expect_only(FindingKind::resized, "large.bin");
}

// The ring of block_ring.hpp with small blocks and a small ring, so a few
// MiB cross it many times: with 1, 2 or 3 helpers, the bytes consumed are
// the file's, in order (the digest of one in-memory pass), whether the size
// is a multiple of the block or not; a failed read is -errno.
TEST_F(Manifest, RingReadersConsumeEveryBlockInOrder) {
  for (std::size_t size :
       {std::size_t{0}, std::size_t{4096}, std::size_t{5 << 20}, std::size_t{(5 << 20) + 4095}}) {
    std::string bytes(size, '\0');
    for (std::size_t i = 0; i < size; ++i) bytes[i] = static_cast<char>((i * 2654435761U) >> 13);
    write_file(tree() / "ring.bin", bytes);
    Hasher whole(Algorithm::xxh3_128);
    whole.update(bytes);
    std::string expected = whole.finish_hex();
    for (unsigned helpers : {0U, 1U, 2U, 3U}) {
      Fd fd(::open((tree() / "ring.bin").c_str(), O_RDONLY | O_CLOEXEC));
      ASSERT_TRUE(fd.valid());
      Hasher h(Algorithm::xxh3_128);
      std::uint64_t consumed = 0;
      BlockRingOptions ring{4096, 3, helpers};
      std::int64_t n = read_in_ring(fd.get(), ring, [&](const unsigned char* data, std::size_t k) {
        h.update(data, k);
        consumed += k;
      });
      EXPECT_EQ(n, static_cast<std::int64_t>(size)) << "size " << size << " helpers " << helpers;
      EXPECT_EQ(consumed, size);
      EXPECT_EQ(h.finish_hex(), expected) << "size " << size << " helpers " << helpers;
    }
  }
  Fd write_only(::open((tree() / "ring.bin").c_str(), O_WRONLY | O_CLOEXEC));
  ASSERT_TRUE(write_only.valid());
  EXPECT_EQ(read_in_ring(write_only.get(), BlockRingOptions{4096, 3, 1},
                         [](const unsigned char*, std::size_t) {}),
            -EBADF);
}

// A 2 GiB-style verify in miniature: a file past the parallel-read size,
// created and verified with 1 and 4 pipeline threads, gives the digest of a
// single-threaded in-memory pass (the one `manifest create` writes), and
// damage in any block is found.
TEST_F(Manifest, LargeFileSameDigestWhateverTheThreads) {
  std::string big((64 << 20) + (300 << 10) + 1, '\0');
  for (std::size_t i = 0; i < big.size(); i += 509) big[i] = static_cast<char>(i / 509);
  write_file(tree() / "large.bin", big);
  Hasher whole(Algorithm::xxh3_128);
  whole.update(big);
  std::string expected = whole.finish_hex();
  for (unsigned threads : {1U, 4U}) {
    create(Algorithm::xxh3_128, threads);
    std::string text = read_file(manifest());
    EXPECT_NE(text.find(expected), std::string::npos) << "threads " << threads;
    EXPECT_TRUE(verify().findings.empty());
  }
  for (std::size_t at : {std::size_t{5}, std::size_t{(128 << 10) * 7 + 3}, big.size() - 1}) {
    std::string damaged = big;
    damaged[at] = static_cast<char>(damaged[at] ^ 0x10);
    write_file(tree() / "large.bin", damaged);
    expect_only(FindingKind::changed, "large.bin");
  }
}

TEST_F(Manifest, TruncatedFileIsResized) {
  create();
  fs::resize_file(tree() / "sub/b.bin", 1000);
  expect_only(FindingKind::resized, "sub/b.bin");
  EXPECT_EQ(verify().findings[0].message, "sub/b.bin: 1000 bytes, manifest says 3145745");
}

TEST_F(Manifest, DeletedFileIsMissing) {
  create();
  fs::remove(tree() / "sub/deeper/c.txt");
  expect_only(FindingKind::missing, "sub/deeper/c.txt");
}

TEST_F(Manifest, ExtraFileIsExtra) {
  create();
  write_file(tree() / "sub/new.txt", "not backed up by the manifest");
  expect_only(FindingKind::extra, "sub/new.txt");
}

// A manifest edited to match a damaged file: the file then "matches", but
// the manifest's own digest does not.
TEST_F(Manifest, EditedManifestLineIsCaught) {
  create();
  write_file(tree() / "a.txt", "alphA\n");
  std::vector<unsigned char> buffer(4096);
  auto digest = hash_file(tree() / "a.txt", Algorithm::xxh3_128, buffer);
  ASSERT_TRUE(digest);
  std::string text = read_file(manifest());
  std::string line = "f 890c8a5c5ad2a8a2edba9e94785346a3 6 a.txt\n";
  auto pos = text.find(line);
  ASSERT_NE(pos, std::string::npos) << text;
  text.replace(pos, line.size(), "f " + digest->hex + " 6 a.txt\n");
  write_file(manifest(), text);
  auto report = verify();
  ASSERT_EQ(report.findings.size(), 1u);
  EXPECT_EQ(report.findings[0].kind, FindingKind::manifest_digest);
  EXPECT_EQ(report.findings[0].path, manifest().string());
  EXPECT_NE(report.findings[0].message.find("edited or is stale"), std::string::npos)
      << report.findings[0].message;
}

TEST_F(Manifest, TruncatedManifestIsCaught) {
  create();
  std::string text = read_file(manifest());
  text.erase(text.rfind("# self-digest"));
  write_file(manifest(), text);
  expect_only(FindingKind::manifest_digest, manifest().string());
}

TEST_F(Manifest, SeveralProblemsAreAllReported) {
  create();
  fs::remove(tree() / "a.txt");
  fs::resize_file(tree() / "sub/b.bin", 10);
  write_file(tree() / "sub/deeper/c.txt", "CHARLIE\n");
  write_file(tree() / "zz-extra", "x");
  auto report = verify();
  ASSERT_EQ(report.findings.size(), 4u);
  EXPECT_EQ(report.findings[0].kind, FindingKind::missing);
  EXPECT_EQ(report.findings[0].path, "a.txt");
  EXPECT_EQ(report.findings[1].kind, FindingKind::resized);
  EXPECT_EQ(report.findings[1].path, "sub/b.bin");
  EXPECT_EQ(report.findings[2].kind, FindingKind::changed);
  EXPECT_EQ(report.findings[2].path, "sub/deeper/c.txt");
  EXPECT_EQ(report.findings[3].kind, FindingKind::extra);
  EXPECT_EQ(report.findings[3].path, "zz-extra");
  EXPECT_EQ(report.files_checked, 2u);  // empty, sub-x
}

// Symlinks are recorded by their target text and never followed, so a link
// out of the tree cannot pull outside files in, and retargeting it is a change.
TEST_F(Manifest, SymlinksAreRecordedNotFollowed) {
  write_file(m_dir->path() / "outside/secret", "outside");
  fs::create_directory_symlink(m_dir->path() / "outside", tree() / "link-dir");
  fs::create_symlink("a.txt", tree() / "link-file");
  auto made = create();
  EXPECT_EQ(made.files, 7u);
  std::string text = read_file(manifest());
  EXPECT_NE(text.find(" 5 link-file\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("secret"), std::string::npos) << text;
  EXPECT_TRUE(verify().ok());
  fs::remove(tree() / "link-file");
  fs::create_symlink("empty", tree() / "link-file");
  expect_only(FindingKind::changed, "link-file");
  EXPECT_EQ(verify().findings[0].message, "link-file: symlink points elsewhere");
  fs::remove(tree() / "link-file");
  fs::create_symlink("sub/deeper/c.txt", tree() / "link-file");  // another length
  expect_only(FindingKind::changed, "link-file");
  fs::remove(tree() / "link-file");
  write_file(tree() / "link-file", "a.txt");  // same bytes, but a file now
  expect_only(FindingKind::changed, "link-file");
  EXPECT_EQ(verify().findings[0].message, "link-file: is a file, manifest says a symlink");
}

// The root is opened once and files are opened relative to it: a root
// given as a symlink to the tree still creates and verifies, and damage
// behind it is still found.
TEST_F(Manifest, RootThatIsASymlinkVerifies) {
  fs::create_directory_symlink(tree(), m_dir->path() / "root-link");
  auto made = create_manifest(m_dir->path() / "root-link", manifest(), {});
  ASSERT_TRUE(made) << made.error().message;
  EXPECT_EQ(made->files, 5u);
  auto report = verify_manifest(m_dir->path() / "root-link", manifest(), {});
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_TRUE(report->ok());
  EXPECT_EQ(report->files_checked, 5u);
  write_file(tree() / "sub/deeper/c.txt", "CHARLIE\n");
  report = verify_manifest(m_dir->path() / "root-link", manifest(), {});
  ASSERT_TRUE(report) << report.error().message;
  ASSERT_EQ(report->findings.size(), 1u);
  EXPECT_EQ(report->findings[0].kind, FindingKind::changed);
  EXPECT_EQ(report->findings[0].path, "sub/deeper/c.txt");
}

// A subdirectory swapped for a symlink to an identical copy elsewhere is a
// link, not the directory: the file behind it is never opened through it.
TEST_F(Manifest, SubdirectorySwappedForASymlinkIsNotFollowed) {
  create();
  write_file(m_dir->path() / "outside/deeper/c.txt", "charlie\n");
  fs::remove_all(tree() / "sub/deeper");
  fs::create_directory_symlink(m_dir->path() / "outside/deeper", tree() / "sub/deeper");
  auto report = verify();
  std::string all;
  for (const auto& f : report.findings) all += f.message + "\n";
  ASSERT_EQ(report.findings.size(), 2u) << all;
  EXPECT_EQ(report.findings[0].kind, FindingKind::extra) << all;
  EXPECT_EQ(report.findings[0].path, "sub/deeper") << all;
  EXPECT_EQ(report.findings[1].kind, FindingKind::missing) << all;
  EXPECT_EQ(report.findings[1].path, "sub/deeper/c.txt") << all;
}

TEST_F(Manifest, ManifestInsideTheTreeIsLeftOut) {
  auto made = create_manifest(tree(), tree() / "MANIFEST", {});
  ASSERT_TRUE(made) << made.error().message;
  EXPECT_EQ(made->files, 5u);
  auto report = verify_manifest(tree(), tree() / "MANIFEST", {});
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_TRUE(report->ok());
}

TEST_F(Manifest, OddFileNamesRoundTrip) {
  write_file(tree() / "new\nline", "1");
  write_file(tree() / "back\\slash", "2");
  write_file(tree() / "space name ", "3");
  create();
  auto report = verify();
  EXPECT_TRUE(report.ok()) << (report.findings.empty() ? "" : report.findings[0].message);
  EXPECT_EQ(report.files_checked, 8u);
}

TEST_F(Manifest, UsageErrors) {
  auto no_root = create_manifest(m_dir->path() / "nope", manifest(), {});
  ASSERT_FALSE(no_root);
  EXPECT_EQ(no_root.error().code, Errc::invalid_input);
  auto no_manifest = verify_manifest(tree(), m_dir->path() / "nope.manifest", {});
  ASSERT_FALSE(no_manifest);
  EXPECT_EQ(no_manifest.error().code, Errc::not_found);
  write_file(manifest(), "not a manifest\n");
  auto bad = verify_manifest(tree(), manifest(), {});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Errc::invalid_input);
  EXPECT_NE(bad.error().message.find(":1: not a drillproof manifest"), std::string::npos)
      << bad.error().message;
}

}  // namespace
}  // namespace dp::artifacts

namespace dp::artifacts {
namespace {

// A walk stops as soon as its cancel flag is set (from the visitor here, as
// another thread would): nothing after is visited, and the walk says so.
TEST_F(Manifest, WalkStopsWhenCancelled) {
  std::atomic<bool> cancel = false;
  std::vector<std::string> seen;
  auto walked = walk_tree(
      tree(), {},
      [&](TreeEntry&& e) {
        seen.push_back(e.rel);
        if (seen.size() == 2) cancel = true;
      },
      &cancel);
  ASSERT_FALSE(walked);
  EXPECT_EQ(walked.error().code, Errc::interrupted) << walked.error().message;
  EXPECT_EQ(seen, (std::vector<std::string>{"a.txt", "empty"}));
}

}  // namespace
}  // namespace dp::artifacts
