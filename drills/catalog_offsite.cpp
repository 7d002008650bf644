// The offsite copy is compared file by file rather than against a stored
// manifest: both trees are hashed with the manifest code's HashPipeline, so
// a copy that was altered after it left (bit rot, a truncated upload) shows
// as "changed" or "resized", not only a missing name. Like `manifest
// verify`, it streams: the two walks are merged by path as they go, and only
// a pair with equal types and sizes is read.
#include <fmt/format.h>

#include <algorithm>
#include <deque>

#include "drills/catalog_drill.hpp"
#include "drills/catalog_offsite_stream.hpp"
#include "verifier/artifacts/hash_pipeline.hpp"
#include "verifier/core/duration.hpp"
#include "verifier/core/signals.hpp"

namespace dp::drills {
namespace {

namespace fs = std::filesystem;
using artifacts::EntryType;
using artifacts::FileDigest;

const char* type_name(EntryType t) { return t == EntryType::symlink ? "symlink" : "file"; }

Finding difference(const std::string& rel, std::string message) {
  return Finding{"offsite", rel, Severity::error, std::move(message), ""};
}

// The merge of the two streams and the verdict on each hashed pair.
class Comparison {
 public:
  Comparison(fs::path here, fs::path there, const OffsiteOptions& options, OffsiteReport& report)
      : m_here(std::move(here)), m_there(std::move(there)), m_options(options), m_report(report) {}

  // A name on one side only, or a pair decided without reading it.
  void missing(const OffsiteEntry& e) { add(e.rel, "missing offsite"); }
  void extra(const OffsiteEntry& e) { add(e.rel, "extra offsite"); }

  void pair(const OffsiteEntry& mine, const OffsiteEntry& theirs,
            artifacts::HashPipeline& pipeline) {
    if (mine.type != theirs.type) {
      add(mine.rel, fmt::format("type differs: {} here, {} offsite", type_name(mine.type),
                                type_name(theirs.type)));
    } else if (!mine.unreadable.empty()) {
      fail("unreadable here: " + mine.unreadable);
    } else if (!theirs.unreadable.empty()) {
      add(mine.rel, "unreadable offsite: " + theirs.unreadable);
    } else if (mine.size != theirs.size) {
      // Neither copy is read: the sizes already differ.
      add(mine.rel,
          fmt::format("resized offsite: {} bytes here, {} offsite", mine.size, theirs.size));
    } else {
      if (m_options.before_hash) m_options.before_hash(mine.rel);
      m_in_flight.push_back(mine.rel);
      m_peak_pairs = std::max(m_peak_pairs, m_in_flight.size());
      // The pipeline's root is "/", so both copies go through one pool of
      // threads and come back in this order: here, then there.
      pipeline.submit(job(m_here, mine));
      pipeline.submit(job(m_there, theirs));
    }
  }

  // The pipeline's sink: results arrive in submission order, two per pair.
  void hashed(artifacts::HashDone&& done) {
    if (!m_first) {
      m_first = std::move(done.digest);
      return;
    }
    const std::string rel = std::move(m_in_flight.front());
    m_in_flight.pop_front();
    const Result<FileDigest>& mine = *m_first;
    const Result<FileDigest>& theirs = done.digest;
    if (!mine) {
      // The catalog itself cannot be read: the comparison is untestable.
      fail("unreadable here: " + mine.error().message);
    } else if (!theirs) {
      add(rel, "unreadable offsite: " + theirs.error().message);
    } else if (mine->size != theirs->size) {  // changed since it was listed
      add(rel, fmt::format("resized offsite: {} bytes here, {} offsite", mine->size, theirs->size));
    } else if (mine->hex != theirs->hex) {
      add(rel,
          fmt::format("changed offsite: xxh3-128 {} here, {} offsite", mine->hex, theirs->hex));
    } else {
      ++m_report.files;
      m_report.bytes += mine->size;
    }
    m_first.reset();
  }

  const std::optional<Error>& failure() const { return m_failure; }
  std::size_t peak_pairs() const { return m_peak_pairs; }

 private:
  static artifacts::HashJob job(const fs::path& root, const OffsiteEntry& e) {
    // Relative to "/": the pipeline opens it from its root descriptor and
    // names "/" + rel, the absolute path, in messages.
    std::string rel = (root / e.rel).string().substr(1);
    artifacts::TreeEntry entry{rel, e.type, true, e.size};
    // The listed size lets a small file be read with one read() and no fstat.
    artifacts::ManifestEntry expected{std::move(rel), e.type, e.size, ""};
    return artifacts::HashJob{std::move(entry), std::move(expected)};
  }
  void add(const std::string& rel, std::string message) {
    m_report.findings.push_back(difference(rel, std::move(message)));
  }
  void fail(std::string message) {
    if (!m_failure) m_failure = Error{Errc::io, std::move(message)};
  }

  fs::path m_here;
  fs::path m_there;
  const OffsiteOptions& m_options;
  OffsiteReport& m_report;
  std::deque<std::string> m_in_flight;  // pairs submitted, not yet compared
  std::optional<Result<FileDigest>> m_first;
  std::optional<Error> m_failure;
  std::size_t m_peak_pairs = 0;
};

}  // namespace

std::size_t offsite_held_bound(unsigned threads) {
  if (threads == 0) threads = artifacts::default_threads();
  // The pipeline holds at most 4 batches per thread, the batch being filled
  // and the one being delivered; each pair is two of its jobs.
  const std::size_t pairs = artifacts::HashPipeline::k_batch_files / 2 * (4 * threads + 2) + 1;
  return 2 * OffsiteStream::k_max_held + 2 * pairs;
}

Result<OffsiteReport> compare_offsite(const config::CatalogConfig& catalog, Millis timeout,
                                      const OffsiteOptions& options) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::error_code ec;
  if (!fs::is_directory(catalog.offsite, ec))
    return make_error(Errc::not_found,
                      fmt::format("offsite directory not found: {}", catalog.offsite.string()));
  const fs::path here_root = fs::absolute(catalog.path, ec);
  const fs::path there_root = fs::absolute(catalog.offsite, ec);
  if (ec)
    return make_error(Errc::io, fmt::format("cannot find the working directory: {}", ec.message()));
  OffsiteReport out;
  Comparison comparison(here_root, there_root, options, out);
  std::optional<Error> stopped;
  auto go_on = [&] {
    if (stopped || comparison.failure()) return false;
    if (interrupted())
      stopped = Error{Errc::interrupted, "interrupted while comparing the offsite copy"};
    else if (std::chrono::steady_clock::now() >= deadline)
      stopped =
          Error{Errc::timeout, fmt::format("offsite comparison timed out after {} (check_timeout)",
                                           format_duration(timeout))};
    return !stopped;
  };
  {
    // Declared before the pipeline: destroyed after it, so no job is
    // outstanding when the walks stop.
    OffsiteStream here(here_root, catalog.pattern);
    OffsiteStream there(there_root, catalog.pattern);
    // The side whose walk failed ends the comparison; its error names it.
    auto next = [&](OffsiteStream& side, const char* what) -> const OffsiteEntry* {
      const OffsiteEntry* e = side.next();
      if (!e && side.error() && !stopped) stopped = Error(*side.error()).context(what);
      return e;
    };
    artifacts::HashPipeline pipeline(
        "/", artifacts::Algorithm::xxh3_128,
        options.threads ? options.threads : artifacts::default_threads(),
        [&](artifacts::HashDone&& done) { comparison.hashed(std::move(done)); });
    const OffsiteEntry* a = next(here, "catalog");
    const OffsiteEntry* b = next(there, "offsite");
    while ((a || b) && go_on()) {
      if (a && (!b || artifacts::path_less(a->rel, b->rel))) {
        comparison.missing(*a);
        a = next(here, "catalog");
      } else if (b && (!a || artifacts::path_less(b->rel, a->rel))) {
        comparison.extra(*b);
        b = next(there, "offsite");
      } else {
        comparison.pair(*a, *b, pipeline);
        a = next(here, "catalog");
        b = next(there, "offsite");
      }
    }
    pipeline.finish();
    out.peak_held = here.peak_held() + there.peak_held() + 2 * comparison.peak_pairs();
  }
  if (stopped) return Unexpected<Error>(std::move(*stopped));
  if (comparison.failure()) return Unexpected<Error>(Error(*comparison.failure()));
  std::stable_sort(out.findings.begin(), out.findings.end(),
                   [](const Finding& a, const Finding& b) { return a.target < b.target; });
  return out;
}

}  // namespace dp::drills
