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
#include "verifier/core/duration.hpp"
#include "verifier/core/signals.hpp"

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
// Stops submitting (a file already being hashed finishes) on SIGINT/SIGTERM
// or when `deadline` passes: Errc::interrupted or Errc::timeout.
Result<Tree> hash_tree(const fs::path& root, const std::string& pattern,
                       std::chrono::steady_clock::time_point deadline, Millis timeout) {
  auto names = list_matching(root, pattern);
  if (!names) return Unexpected<Error>(std::move(names).error());
  Tree out;
  Result<void> walked;
  Result<void> stopped;
  auto go_on = [&] {
    if (!stopped) return false;
    if (interrupted())
      stopped = make_error(Errc::interrupted, "interrupted while comparing the offsite copy");
    else if (std::chrono::steady_clock::now() >= deadline)
      stopped = make_error(Errc::timeout,
                           fmt::format("offsite comparison timed out after {} (check_timeout)",
                                       format_duration(timeout)));
    return static_cast<bool>(stopped);
  };
  {
    artifacts::HashPipeline pipeline(
        root, artifacts::Algorithm::xxh3_128, artifacts::default_threads(),
        [&](artifacts::HashDone&& done) {
          out[done.job.entry.rel] = Hashed{done.job.entry.type, std::move(done.digest)};
        });
    using Kind = ListedEntry::Kind;
    for (const auto& listed : *names) {
      const std::string& rel = listed.rel;
      if (listed.kind == Kind::directory) {
        // walk_tree reports links inside and never follows them.
        walked = artifacts::walk_tree(root / rel, {}, [&](TreeEntry&& e) {
          if (!go_on()) return;
          e.rel = rel + "/" + e.rel;
          pipeline.submit(artifacts::HashJob{std::move(e), {}});
        });
        if (!walked) break;
        if (!stopped) break;
      } else if (!go_on()) {
        break;
      } else if (listed.kind == Kind::symlink || listed.kind == Kind::file) {
        // A link is compared by its target text, as the manifest does.
        TreeEntry e;
        e.rel = rel;
        e.type = listed.kind == Kind::symlink ? EntryType::symlink : EntryType::file;
        pipeline.submit(artifacts::HashJob{std::move(e), {}});
      }
    }
    pipeline.finish();
  }
  if (!walked) return Unexpected<Error>(std::move(walked).error());
  if (!stopped) return Unexpected<Error>(std::move(stopped).error());
  return out;
}

const char* type_name(EntryType t) { return t == EntryType::symlink ? "symlink" : "file"; }

Finding difference(const std::string& rel, std::string message) {
  return Finding{"offsite", rel, Severity::error, std::move(message), ""};
}

}  // namespace

Result<OffsiteReport> compare_offsite(const config::CatalogConfig& catalog, Millis timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::error_code ec;
  if (!fs::is_directory(catalog.offsite, ec))
    return make_error(Errc::not_found,
                      fmt::format("offsite directory not found: {}", catalog.offsite.string()));
  auto here = hash_tree(catalog.path, catalog.pattern, deadline, timeout);
  if (!here) return Unexpected<Error>(std::move(here).error().context("catalog"));
  auto there = hash_tree(catalog.offsite, catalog.pattern, deadline, timeout);
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
      // The catalog itself cannot be read: the comparison is untestable.
      return make_error(Errc::io, "unreadable here: " + mine.digest.error().message);
    } else if (mine.type != theirs.type) {
      out.findings.push_back(
          difference(rel, fmt::format("type differs: {} here, {} offsite", type_name(mine.type),
                                      type_name(theirs.type))));
    } else if (!theirs.digest) {
      out.findings.push_back(
          difference(rel, "unreadable offsite: " + theirs.digest.error().message));
    } else if (mine.digest->size != theirs.digest->size) {
      out.findings.push_back(
          difference(rel, fmt::format("resized offsite: {} bytes here, {} offsite",
                                      mine.digest->size, theirs.digest->size)));
    } else if (mine.digest->hex != theirs.digest->hex) {
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
