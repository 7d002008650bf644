// The offsite copy is compared file by file rather than against a stored
// manifest: both trees are hashed with the manifest code's HashPipeline, so
// a copy that was altered after it left (bit rot, a truncated upload) shows
// as "changed" or "resized", not only a missing name.
#include <fmt/format.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <map>

#include "drills/catalog_drill.hpp"
#include "verifier/artifacts/hash_pipeline.hpp"

namespace dp::drills {
namespace {

namespace fs = std::filesystem;
using artifacts::EntryType;
using artifacts::TreeEntry;

struct Hashed {
  EntryType type = EntryType::file;
  Result<artifacts::FileDigest> digest = artifacts::FileDigest{};
};
using Tree = std::map<std::string, Hashed>;

// Every file of the pattern's entries (files, and files inside matching
// directories), hashed.
Result<Tree> hash_tree(const fs::path& root, const std::string& pattern) {
  auto names = list_matching(root, pattern);
  if (!names) return Unexpected<Error>(std::move(names).error());
  Tree out;
  Result<void> walked;
  {
    artifacts::HashPipeline pipeline(
        root, artifacts::Algorithm::xxh3_128, artifacts::default_threads(),
        [&](artifacts::HashDone&& done) {
          out[done.job.entry.rel] = Hashed{done.job.entry.type, std::move(done.digest)};
        });
    for (const auto& rel : *names) {
      struct stat st {};
      const fs::path full = root / rel;
      if (::lstat(full.c_str(), &st) != 0) {
        out[rel] = Hashed{EntryType::file,
                          make_error(Errc::io, fmt::format("{}: {}", rel, std::strerror(errno)))};
      } else if (S_ISDIR(st.st_mode)) {
        walked = artifacts::walk_tree(full, {}, [&](TreeEntry&& e) {
          e.rel = rel + "/" + e.rel;
          pipeline.submit(artifacts::HashJob{std::move(e), {}});
        });
        if (!walked) break;
      } else if (S_ISLNK(st.st_mode) || S_ISREG(st.st_mode)) {
        TreeEntry e;
        e.rel = rel;
        e.type = S_ISLNK(st.st_mode) ? EntryType::symlink : EntryType::file;
        pipeline.submit(artifacts::HashJob{std::move(e), {}});
      }
    }
    pipeline.finish();
  }
  if (!walked) return Unexpected<Error>(std::move(walked).error());
  return out;
}

Finding difference(const std::string& rel, std::string message) {
  return Finding{"offsite", rel, Severity::error, std::move(message), ""};
}

}  // namespace

Result<OffsiteReport> compare_offsite(const config::CatalogConfig& catalog) {
  std::error_code ec;
  if (!fs::is_directory(catalog.offsite, ec))
    return make_error(Errc::not_found,
                      fmt::format("offsite directory not found: {}", catalog.offsite.string()));
  auto here = hash_tree(catalog.path, catalog.pattern);
  if (!here) return Unexpected<Error>(std::move(here).error().context("catalog"));
  auto there = hash_tree(catalog.offsite, catalog.pattern);
  if (!there) return Unexpected<Error>(std::move(there).error().context("offsite"));

  OffsiteReport out;
  for (const auto& [rel, mine] : *here) {
    auto it = there->find(rel);
    if (it == there->end()) {
      out.findings.push_back(difference(rel, "missing offsite"));
      continue;
    }
    const Hashed& theirs = it->second;
    if (!mine.digest) {
      out.findings.push_back(difference(rel, "unreadable here: " + mine.digest.error().message));
    } else if (!theirs.digest) {
      out.findings.push_back(
          difference(rel, "unreadable offsite: " + theirs.digest.error().message));
    } else if (mine.digest->size != theirs.digest->size) {
      out.findings.push_back(
          difference(rel, fmt::format("resized offsite: {} bytes here, {} offsite",
                                      mine.digest->size, theirs.digest->size)));
    } else if (mine.digest->hex != theirs.digest->hex || mine.type != theirs.type) {
      out.findings.push_back(
          difference(rel, fmt::format("changed offsite: xxh3-128 {} here, {} offsite",
                                      mine.digest->hex, theirs.digest->hex)));
    } else {
      ++out.files;
      out.bytes += mine.digest->size;
    }
  }
  for (const auto& [rel, theirs] : *there)
    if (!here->count(rel)) out.findings.push_back(difference(rel, "extra offsite"));
  std::stable_sort(out.findings.begin(), out.findings.end(),
                   [](const Finding& a, const Finding& b) { return a.target < b.target; });
  return out;
}

}  // namespace dp::drills
