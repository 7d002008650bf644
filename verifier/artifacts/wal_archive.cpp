#include "verifier/artifacts/wal_archive.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "verifier/artifacts/pg_manifest_parse.hpp"
#include "verifier/artifacts/pg_wal.hpp"
#include "verifier/artifacts/pg_waldump.hpp"
#include "verifier/artifacts/wal_archive_parse.hpp"
#include "verifier/core/text.hpp"

namespace fs = std::filesystem;

namespace dp::artifacts {
namespace {

constexpr std::uint64_t k_default_seg_size = 16 << 20;
// How many segments back from the end of the contiguous run pg_waldump
// reads, looking for the newest commit (switched segments may hold none).
constexpr int k_latest_lookback = 8;

enum class SegKind { plain, gz };

std::uint32_t hex32(std::string_view s) {
  std::uint32_t v = 0;
  for (char c : s) v = v * 16 + static_cast<std::uint32_t>(c <= '9' ? c - '0' : c - 'A' + 10);
  return v;
}

bool is_hex8(std::string_view s) {
  return s.size() == 8 && is_wal_segment_name(std::string(s) + std::string(16, '0'));
}

std::string read_small(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::string out(64 << 10, '\0');
  in.read(out.data(), static_cast<std::streamsize>(out.size()));
  out.resize(static_cast<std::size_t>(in.gcount()));
  return out;
}

// What the directory holds, by name; nothing derived from LSN arithmetic.
struct Listing {
  std::vector<std::string> segment_names;          // plain, sorted
  std::vector<std::string> gz_names;               // without ".gz"
  std::set<std::string> partial_names;             // without ".partial"
  std::map<std::uint32_t, std::string> histories;  // timeline -> file name
  std::vector<std::string> backups;                // .backup file names, sorted
};

Result<Listing> list_archive(const fs::path& archive) {
  Listing l;
  std::error_code ec;
  fs::directory_iterator it(archive, ec);
  if (ec)
    return make_error(Errc::io, fmt::format("{}: cannot list: {}", archive.string(), ec.message()));
  for (fs::directory_iterator end; it != end; it.increment(ec)) {
    if (ec)
      return make_error(Errc::io,
                        fmt::format("{}: cannot list: {}", archive.string(), ec.message()));
    std::string n = it->path().filename().string();
    std::string_view v = n;
    if (is_wal_segment_name(v))
      l.segment_names.push_back(n);
    else if (v.size() == 27 && v.substr(24) == ".gz" && is_wal_segment_name(v.substr(0, 24)))
      l.gz_names.emplace_back(v.substr(0, 24));
    else if (v.size() == 32 && v.substr(24) == ".partial" && is_wal_segment_name(v.substr(0, 24)))
      l.partial_names.emplace(v.substr(0, 24));
    else if (v.size() == 16 && v.substr(8) == ".history" && is_hex8(v.substr(0, 8)))
      l.histories.emplace(hex32(v.substr(0, 8)), n);
    else if (v.size() == 40 && v.substr(33) == ".backup" && v[24] == '.' &&
             is_wal_segment_name(v.substr(0, 24)) && is_hex8(v.substr(25, 8)))
      l.backups.push_back(n);
  }
  std::sort(l.segment_names.begin(), l.segment_names.end());
  std::sort(l.backups.begin(), l.backups.end());
  return l;
}

struct Hop {
  std::uint32_t tli = 0;
  std::uint64_t from = 0;
  std::optional<std::uint64_t> to;  // nullopt: the target timeline, up to its newest segment
  bool empty = false;               // it switched within the start segment: nothing needed
};

class Scanner {
 public:
  Scanner(fs::path archive, Listing listing, WalArchiveReport& r)
      : m_archive(std::move(archive)), m_l(std::move(listing)), m_r(r) {}

  void index_segments() {
    m_r.segment_size = k_default_seg_size;
    bool found = false;
    for (const auto& n : m_l.segment_names) {
      auto h = read_wal_long_header(m_archive / n);
      if (h && valid_wal_segment_size(h->seg_size)) {
        m_r.segment_size = h->seg_size;
        found = true;
        break;
      }
    }
    if (!found)
      m_r.notes.push_back(fmt::format("no segment with a readable header: {} MiB segments assumed",
                                      k_default_seg_size >> 20));
    m_per_id = 0x100000000ull / m_r.segment_size;
    auto add = [&](const std::string& n, SegKind kind) {
      auto segno = segno_of(n);
      if (!segno) return;
      m_segs[hex32(std::string_view(n).substr(0, 8))].emplace(*segno, kind);
    };
    for (const auto& n : m_l.segment_names) add(n, SegKind::plain);
    for (const auto& n : m_l.gz_names) add(n, SegKind::gz);
  }

  std::optional<std::uint64_t> segno_of(std::string_view n) {
    std::uint32_t seg = hex32(n.substr(16, 8));
    if (hex32(n.substr(0, 8)) == 0 || seg >= m_per_id) {
      m_r.problems.push_back(
          fmt::format("{}: not a segment name for {}-byte segments", n, m_r.segment_size));
      return std::nullopt;
    }
    return std::uint64_t{hex32(n.substr(8, 8))} * m_per_id + seg;
  }

  std::string name(std::uint32_t tli, std::uint64_t segno) const {
    return wal_file_name(tli, segno, m_r.segment_size);
  }

  // The hops from the start segment to the newest timeline descending from it.
  std::vector<Hop> plan_path(std::uint32_t start_tli, std::uint64_t start_segno) {
    const std::uint64_t start_lsn = start_segno * m_r.segment_size;
    std::uint32_t target = start_tli;
    std::vector<TimelineSwitch> chain;
    for (const auto& [tli, file] : m_l.histories) {
      if (tli <= start_tli) continue;
      auto parsed = parse_timeline_history(read_small(m_archive / file), tli);
      if (!parsed) {
        m_r.problems.push_back(
            fmt::format("{}: {}: timeline {} not followed", file, parsed.error().message, tli));
        continue;
      }
      auto it = std::find_if(parsed->begin(), parsed->end(),
                             [&](const TimelineSwitch& s) { return s.parent == start_tli; });
      if (it == parsed->end() || it->switch_lsn <= start_lsn) continue;  // not a descendant
      target = tli;
      chain.assign(it, parsed->end());
    }
    for (const auto& [tli, segs] : m_segs)
      if (tli > start_tli && !m_l.histories.count(tli))
        m_r.problems.push_back(fmt::format(
            "timeline {} has {} segment{} but no {:08X}.history: where it branched is unknown; "
            "not followed",
            tli, segs.size(), segs.size() == 1 ? "" : "s", tli));
    std::vector<Hop> hops;
    std::uint64_t from = start_segno;
    for (const auto& sw : chain) {
      // The segment holding the switch point is read from the child
      // timeline (the parent's copy of it is archived as .partial), so the
      // parent is needed up to the segment before it.
      std::uint64_t switch_seg = sw.switch_lsn / m_r.segment_size;
      if (switch_seg > from)
        hops.push_back({sw.parent, from, switch_seg - 1});
      else
        hops.push_back({sw.parent, from, std::nullopt, true});
      from = std::max(from, switch_seg);
    }
    hops.push_back({target, from, std::nullopt});
    return hops;
  }

  void walk(const std::vector<Hop>& hops) {
    for (const auto& hop : hops) {
      m_r.timelines.push_back(hop.tli);
      if (hop.empty) continue;
      const auto& segs = m_segs[hop.tli];
      std::uint64_t last;
      if (hop.to) {
        last = *hop.to;
      } else {
        auto newest = segs.empty() ? segs.end() : std::prev(segs.end());
        if (newest == segs.end() || newest->first < hop.from) {
          // Nothing archived at or after the start: the segment the backup
          // starts from is missing (a broken archive_command, an archive
          // older than the backup). A newly promoted timeline whose parent
          // supplied segments is only a note: its first segment may not be
          // archived yet.
          if (m_r.first_segment.empty() && !m_broken) {
            gap(hop.tli, hop.from, hop.from);
            continue;
          }
          m_r.notes.push_back(fmt::format("timeline {}: no segment archived from {} on", hop.tli,
                                          name(hop.tli, hop.from)));
          continue;
        }
        last = newest->first;
      }
      if (hop.from > last) continue;
      std::uint64_t expect = hop.from;
      for (auto it = segs.lower_bound(hop.from); it != segs.end() && it->first <= last; ++it) {
        if (it->first > expect) gap(hop.tli, expect, it->first - 1);
        expect = it->first + 1;
        bool good = it->second == SegKind::gz || check_segment(hop.tli, it->first);
        if (!good) m_broken = true;
        if (!m_broken) {
          if (m_r.first_segment.empty()) m_r.first_segment = name(hop.tli, it->first);
          m_r.last_segment = name(hop.tli, it->first);
          m_run.push_back({m_r.last_segment, it->second});
        }
      }
      if (expect <= last) gap(hop.tli, expect, last);
    }
  }

  void gap(std::uint32_t tli, std::uint64_t from, std::uint64_t to) {
    m_broken = true;
    m_r.gaps.push_back({tli, name(tli, from), name(tli, to), to - from + 1});
  }

  bool check_segment(std::uint32_t tli, std::uint64_t segno) {
    std::string n = name(tli, segno);
    std::error_code ec;
    auto size = fs::file_size(m_archive / n, ec);
    std::string problem;
    if (ec) {
      problem = ec.message();
    } else if (size != m_r.segment_size) {
      problem = fmt::format("{} bytes, a segment is {}", size, m_r.segment_size);
    } else if (auto h = read_wal_long_header(m_archive / n); !h) {
      problem = "its first page is not a WAL segment header";
    } else if (h->pageaddr != segno * m_r.segment_size) {
      problem = fmt::format("its first page is for LSN {}", format_lsn(h->pageaddr));
    }
    if (!problem.empty()) m_r.problems.push_back(fmt::format("{}: {}", n, problem));
    return problem.empty();
  }

  // The backup end of the first .backup file on the contiguous run.
  void read_earliest() {
    std::set<std::string> on_run;
    for (const auto& [n, kind] : m_run) on_run.insert(n);
    for (const auto& b : m_l.backups) {
      if (!on_run.count(b.substr(0, 24))) continue;
      std::string text = read_small(m_archive / b);
      auto stop = label_field(text, "STOP TIME");
      if (!stop) {
        m_r.problems.push_back(fmt::format("{}: no STOP TIME", b));
        return;
      }
      m_r.earliest = parse_pg_time(*stop);
      if (!m_r.earliest)
        m_r.notes.push_back(
            fmt::format("{}: STOP TIME \"{}\" is not in UTC or a numeric offset; "
                        "earliest time unknown",
                        b, escape_control(*stop)));
      return;
    }
  }

  void read_latest(const WalArchiveQuery& q) {
    if (q.pg_waldump.empty() || m_run.empty()) return;
    int tried = 0;
    for (auto it = m_run.rbegin(); it != m_run.rend() && tried < k_latest_lookback; ++it, ++tried) {
      if (it->second == SegKind::gz) break;  // pg_waldump reads plain files only
      auto run = run_pg_waldump(
          q.pg_waldump, {"--rmgr=Transaction", (m_archive / it->first).string()}, q.deadline);
      if (!run) {
        m_r.notes.push_back(fmt::format("latest time not read: {}: {}", q.pg_waldump.string(),
                                        first_line(run.error().message)));
        return;
      }
      if (auto t = newest_commit_time(run->out)) {
        m_r.latest = t;
        return;
      }
    }
    m_r.notes.push_back(
        fmt::format("no commit found in the last {} readable segment{}; latest time unknown", tried,
                    tried == 1 ? "" : "s"));
  }

  void count_extras() {
    if (!m_l.gz_names.empty())
      m_r.notes.push_back(fmt::format("{} compressed segment{} (.gz) counted as present; not read",
                                      m_l.gz_names.size(), m_l.gz_names.size() == 1 ? "" : "s"));
    if (!m_l.partial_names.empty())
      m_r.notes.push_back(
          fmt::format("{} partial segment{} (.partial, a promoted timeline's end) "
                      "not needed",
                      m_l.partial_names.size(), m_l.partial_names.size() == 1 ? "" : "s"));
  }

  bool has_timeline(std::uint32_t tli) const { return m_segs.count(tli) != 0; }
  std::optional<std::pair<std::uint32_t, std::uint64_t>> oldest() const {
    for (const auto& [tli, segs] : m_segs)
      if (!segs.empty()) return std::pair{tli, segs.begin()->first};
    return std::nullopt;
  }

 private:
  static std::string first_line(std::string_view s) {
    return std::string(s.substr(0, s.find('\n')));
  }

  fs::path m_archive;
  Listing m_l;
  WalArchiveReport& m_r;
  std::uint64_t m_per_id = 256;
  std::map<std::uint32_t, std::map<std::uint64_t, SegKind>> m_segs;
  bool m_broken = false;
  std::vector<std::pair<std::string, SegKind>> m_run;  // the contiguous run, in order
};

}  // namespace

Result<WalArchiveReport> scan_wal_archive(const fs::path& archive, const WalArchiveQuery& q) {
  std::error_code ec;
  if (!fs::exists(archive, ec))
    return make_error(Errc::not_found, fmt::format("{}: no such directory", archive.string()));
  if (!fs::is_directory(archive, ec))
    return make_error(Errc::invalid_input, fmt::format("{}: not a directory", archive.string()));
  if (!q.start_segment.empty() && !is_wal_segment_name(q.start_segment))
    return make_error(Errc::invalid_input,
                      fmt::format("\"{}\": not a WAL segment name (24 upper-case hex digits, "
                                  "e.g. 000000010000000000000002)",
                                  escape_control(q.start_segment)));
  auto listing = list_archive(archive);
  if (!listing) return Unexpected<Error>(std::move(listing).error());
  if (listing->segment_names.empty() && listing->gz_names.empty())
    return make_error(Errc::invalid_input,
                      fmt::format("{}: no WAL segments in it (is it the archive_command's "
                                  "directory?)",
                                  archive.string()));
  WalArchiveReport r;
  Scanner s(archive, std::move(*listing), r);
  s.index_segments();
  std::uint32_t start_tli = 0;
  std::uint64_t start_segno = 0;
  if (q.start_segment.empty()) {
    auto oldest = s.oldest();
    if (!oldest)
      return make_error(Errc::invalid_input,
                        fmt::format("{}: no valid WAL segment names in it", archive.string()));
    std::tie(start_tli, start_segno) = *oldest;
  } else {
    auto segno = s.segno_of(q.start_segment);
    if (!segno)
      return make_error(Errc::invalid_input,
                        fmt::format("{}: not a segment name for {}-byte segments", q.start_segment,
                                    r.segment_size));
    start_tli = hex32(std::string_view(q.start_segment).substr(0, 8));
    start_segno = *segno;
  }
  s.walk(s.plan_path(start_tli, start_segno));
  s.read_earliest();
  s.read_latest(q);
  s.count_extras();
  return r;
}

Result<std::string> backup_label_start_segment(const fs::path& backup_dir) {
  fs::path label = backup_dir / "backup_label";
  std::error_code ec;
  if (!fs::exists(label, ec))
    return make_error(Errc::not_found,
                      fmt::format("{}: no such file (a plain-format pg_basebackup directory has "
                                  "one)",
                                  label.string()));
  auto field = label_field(read_small(label), "START WAL LOCATION");
  // "0/2000028 (file 000000010000000000000002)"
  auto at = field ? field->find("(file ") : std::string::npos;
  if (at == std::string::npos || field->size() < at + 6 + 24 ||
      !is_wal_segment_name(std::string_view(*field).substr(at + 6, 24)))
    return make_error(
        Errc::invalid_input,
        fmt::format("{}: no \"START WAL LOCATION: ... (file <segment>)\" line", label.string()));
  return field->substr(at + 6, 24);
}

}  // namespace dp::artifacts
