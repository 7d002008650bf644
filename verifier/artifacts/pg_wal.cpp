#include "verifier/artifacts/pg_wal.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <optional>

#include "verifier/artifacts/pg_waldump.hpp"
#include "verifier/core/fd.hpp"
#include "verifier/core/text.hpp"

namespace fs = std::filesystem;

namespace dp::artifacts {
namespace {

constexpr std::uint64_t k_default_seg_size = 16 << 20;
constexpr std::uint16_t k_long_header = 0x0002;  // XLP_LONG_HEADER

}  // namespace

// XLogLongPageHeaderData, stable since PostgreSQL 11: magic u16, info u16,
// tli u32, pageaddr u64, rem_len u32, (pad), sysid u64, seg_size u32, blcksz u32.
std::optional<WalLongHeader> read_wal_long_header(const fs::path& file) {
  Fd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return std::nullopt;
  std::array<unsigned char, 40> b{};
  if (::pread(fd.get(), b.data(), b.size(), 0) != static_cast<ssize_t>(b.size()))
    return std::nullopt;
  WalLongHeader h;
  std::memcpy(&h.info, b.data() + 2, 2);
  std::memcpy(&h.tli, b.data() + 4, 4);
  std::memcpy(&h.pageaddr, b.data() + 8, 8);
  std::memcpy(&h.seg_size, b.data() + 32, 4);
  if (!(h.info & k_long_header)) return std::nullopt;
  return h;
}

bool valid_wal_segment_size(std::uint64_t s) {
  return s >= (1u << 20) && s <= (1u << 30) && (s & (s - 1)) == 0;
}

bool is_wal_segment_name(std::string_view name) {
  return name.size() == 24 && std::all_of(name.begin(), name.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F');
         });
}

namespace {

std::uint64_t find_seg_size(const fs::path& wal_dir) {
  std::error_code ec;
  std::vector<std::string> names;
  for (fs::directory_iterator it(wal_dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (is_wal_segment_name(name)) names.push_back(std::move(name));
  }
  std::sort(names.begin(), names.end());
  for (const auto& name : names) {
    auto h = read_wal_long_header(wal_dir / name);
    if (h && valid_wal_segment_size(h->seg_size)) return h->seg_size;
  }
  return k_default_seg_size;
}

}  // namespace

std::string wal_file_name(std::uint32_t timeline, std::uint64_t segno, std::uint64_t seg_size) {
  std::uint64_t per_id = 0x100000000ull / seg_size;
  return fmt::format("{:08X}{:08X}{:08X}", timeline, static_cast<std::uint32_t>(segno / per_id),
                     static_cast<std::uint32_t>(segno % per_id));
}

namespace {

// The segment numbers of `timeline` in [first, last] that pg_wal/ holds,
// sorted: the walk below is bounded by the directory, not by the range, so
// a crafted End-LSN cannot make it take 2^40 steps.
std::vector<std::uint64_t> present_segments(const fs::path& wal_dir, std::uint32_t timeline,
                                            std::uint64_t first, std::uint64_t last,
                                            std::uint64_t seg_size) {
  std::vector<std::uint64_t> out;
  const std::uint64_t per_id = 0x100000000ull / seg_size;
  std::error_code ec;
  for (fs::directory_iterator it(wal_dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (!is_wal_segment_name(name)) continue;
    auto hex = [&](std::size_t at) {
      return static_cast<std::uint64_t>(std::stoull(name.substr(at, 8), nullptr, 16));
    };
    if (hex(0) != timeline || hex(16) >= per_id) continue;
    std::uint64_t segno = hex(8) * per_id + hex(16);
    if (segno >= first && segno <= last) out.push_back(segno);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

std::vector<ManifestFinding> check_pg_wal(const fs::path& root,
                                          const std::vector<PgWalRange>& ranges) {
  std::vector<ManifestFinding> out;
  if (ranges.empty()) return out;
  fs::path wal_dir = root / "pg_wal";
  std::uint64_t seg_size = find_seg_size(wal_dir);
  for (const auto& r : ranges) {
    std::uint64_t first = r.start_lsn / seg_size;
    // The record that ends at End-LSN lies in the segment of its last byte.
    std::uint64_t last = (r.end_lsn > r.start_lsn ? r.end_lsn - 1 : r.start_lsn) / seg_size;
    std::string range = fmt::format("WAL range {}-{} on timeline {}", format_lsn(r.start_lsn),
                                    format_lsn(r.end_lsn), r.timeline);
    auto name = [&](std::uint64_t segno) {
      return "pg_wal/" + wal_file_name(r.timeline, segno, seg_size);
    };
    // Missing segments [from, to], one finding per run of them.
    auto missing = [&](std::uint64_t from, std::uint64_t to) {
      if (from > to) return;
      std::string rel = name(from);
      if (from == to)
        out.push_back(ManifestFinding{FindingKind::wal, rel,
                                      fmt::format("{}: needed for {}: missing", rel, range)});
      else
        out.push_back(ManifestFinding{FindingKind::wal, rel,
                                      fmt::format("{} .. {}: needed for {}: {} segments missing",
                                                  rel, name(to), range, to - from + 1)});
    };
    std::uint64_t expect = first;
    for (std::uint64_t segno : present_segments(wal_dir, r.timeline, first, last, seg_size)) {
      if (segno > expect) missing(expect, segno - 1);
      expect = segno + 1;
      std::string rel = name(segno);
      fs::path file = root / rel;
      std::error_code ec;
      auto size = fs::file_size(file, ec);  // follows a symlinked pg_wal
      std::string problem;
      if (ec) {
        problem = ec.message();
      } else if (size != seg_size) {
        problem = fmt::format("{} bytes, a segment is {}", size, seg_size);
      } else {
        auto h = read_wal_long_header(file);
        if (!h)
          problem = "its first page is not a WAL segment header";
        else if (h->pageaddr != segno * seg_size)
          // The header's timeline is not compared: after a timeline switch
          // the new segment starts as a copy of the old timeline's.
          problem = fmt::format("its first page is for LSN {}", format_lsn(h->pageaddr));
      }
      if (!problem.empty())
        out.push_back(ManifestFinding{FindingKind::wal, rel,
                                      fmt::format("{}: needed for {}: {}", rel, range, problem)});
    }
    if (expect <= last) missing(expect, last);
  }
  return out;
}

std::vector<ManifestFinding> parse_pg_wal(const fs::path& root,
                                          const std::vector<PgWalRange>& ranges,
                                          const PgWalParseOptions& options) {
  std::vector<ManifestFinding> out;
  if (!options.enabled || ranges.empty()) return out;
  auto finding = [&](std::string message) {
    out.push_back(ManifestFinding{FindingKind::wal, "pg_wal", std::move(message)});
  };
  fs::path waldump = options.pg_waldump;
  if (waldump.empty()) {
    auto found = find_pg_waldump(pg_data_major(root));
    if (!found) {
      std::string_view msg = found.error().message;
      finding(fmt::format("WAL not parsed: {}; --no-parse-wal skips parsing",
                          msg.substr(0, msg.find('\n'))));
      return out;
    }
    waldump = *found;
  }
  const Deadline deadline = deadline_in(options.timeout);
  const std::string wal_dir = (root / "pg_wal").string();
  for (const auto& r : ranges) {
    auto run =
        run_pg_waldump(waldump,
                       {"--quiet", "--path=" + wal_dir, fmt::format("--timeline={}", r.timeline),
                        "--start=" + format_lsn(r.start_lsn), "--end=" + format_lsn(r.end_lsn)},
                       deadline);
    if (!run) {
      if (run.error().code == Errc::interrupted) return out;
      std::string_view msg = run.error().message;
      finding(fmt::format("WAL not parsed for timeline {}: {}: {}", r.timeline, waldump.string(),
                          msg.substr(0, msg.find('\n'))));
      continue;
    }
    if (run->status.ok()) continue;
    std::string_view err = trim(run->err);
    std::string_view first = err.substr(0, err.find('\n'));
    finding(fmt::format("WAL parsing failed for timeline {}: {}", r.timeline,
                        first.empty() ? "pg_waldump: " + run->status.describe()
                                      : escape_control(std::string(first))));
  }
  return out;
}

}  // namespace dp::artifacts
