// Content fingerprints (docs/snapshot.md). Every hash is computed while the
// rows stream past (Engine::stream_rows), so memory does not grow with the
// table. Verification runs one COPY per segment, spread over `jobs`
// sessions (one connection per thread), because key ranges must be compared
// in SQL order, which the client cannot reproduce from key text.
#include "checks/fingerprint.hpp"

#include "checks/fingerprint_sql.hpp"

#include <fmt/format.h>
#include <xxhash.h>

#include <algorithm>
#include <atomic>
#include <cassert>
#include <charconv>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

namespace dp::checks {
namespace {

using namespace detail;

// Narrows a differing key range down to keys (bisection against the source).
class Bisector {
 public:
  Bisector(engine::Engine& restored, engine::Engine& source, const TableSql& sql,
           const std::vector<std::string>& key_columns, std::size_t max_keys,
           std::size_t* total_keys)
      : m_restored(restored),
        m_source(source),
        m_sql(sql),
        m_key_columns(key_columns),
        m_max_keys(max_keys),
        m_total_keys(total_keys) {}

  Result<void> run(const KeyRange& range, SegmentDiff& diff) {
    auto src = digest_range(m_source, m_sql, range);
    if (!src) return Unexpected<Error>(std::move(src).error().context("source"));
    auto rst = digest_range(m_restored, m_sql, range);
    if (!rst) return Unexpected<Error>(std::move(rst).error());
    return bisect(range, *src, *rst, diff);
  }

 private:
  static constexpr std::uint64_t k_leaf_rows = 64;

  Result<void> bisect(const KeyRange& range, const Digest& src, const Digest& rst,
                      SegmentDiff& diff) {
    if (src == rst || *m_total_keys >= m_max_keys) return {};
    if (src.rows <= k_leaf_rows && rst.rows <= k_leaf_rows) return leaf(range, diff);
    engine::Engine& larger = src.rows >= rst.rows ? m_source : m_restored;
    auto mid_rows = larger.query(m_sql.nth_key(range, std::max(src.rows, rst.rows) / 2));
    if (!mid_rows) return Unexpected<Error>(std::move(mid_rows).error());
    if (mid_rows->rows.size() != 1) return leaf(range, diff);  // changed under us: diff as is
    std::vector<std::string> mid;
    for (const auto& v : mid_rows->rows[0]) mid.push_back(v.value_or(""));
    KeyRange left = range;
    left.hi = mid;
    left.hi_inclusive = false;
    KeyRange right = range;
    right.lo = mid;
    right.lo_inclusive = true;
    for (const KeyRange* half : {&left, &right}) {
      auto s = digest_range(m_source, m_sql, *half);
      if (!s) return Unexpected<Error>(std::move(s).error().context("source"));
      auto r = digest_range(m_restored, m_sql, *half);
      if (!r) return Unexpected<Error>(std::move(r).error());
      auto done = bisect(*half, *s, *r, diff);
      if (!done) return done;
    }
    return {};
  }

  using Keyed = std::vector<std::pair<std::string, std::string>>;  // key text, line

  Result<Keyed> rows_of(engine::Engine& engine, const KeyRange& range) {
    Keyed out;
    auto n = engine.stream_rows(m_sql.select_range(range), [&](std::string_view line) {
      auto key = key_of(line, m_sql.key_positions());
      out.emplace_back(key ? describe_key(m_key_columns, *key) : std::string("?"),
                       std::string(line));
    });
    if (!n) return Unexpected<Error>(std::move(n).error());
    return out;
  }

  void add(SegmentDiff& diff, const char* kind, const std::string& key) {
    if (*m_total_keys >= m_max_keys) return;
    diff.keys.push_back(key);
    diff.key_kinds.emplace_back(kind);
    ++*m_total_keys;
  }

  Result<void> leaf(const KeyRange& range, SegmentDiff& diff) {
    auto src = rows_of(m_source, range);
    if (!src) return Unexpected<Error>(std::move(src).error().context("source"));
    auto rst = rows_of(m_restored, range);
    if (!rst) return Unexpected<Error>(std::move(rst).error());
    std::map<std::string, const std::string*> restored;
    for (const auto& [key, line] : *rst) restored.emplace(key, &line);
    std::map<std::string, bool> in_source;
    for (const auto& [key, line] : *src) {
      in_source.emplace(key, true);
      auto it = restored.find(key);
      if (it == restored.end())
        add(diff, "missing", key);
      else if (*it->second != line)
        add(diff, "changed", key);
    }
    for (const auto& [key, line] : *rst)
      if (!in_source.count(key)) add(diff, "extra", key);
    return {};
  }

  engine::Engine& m_restored;
  engine::Engine& m_source;
  const TableSql& m_sql;
  const std::vector<std::string>& m_key_columns;
  std::size_t m_max_keys;
  std::size_t* m_total_keys;
};

std::string join(const std::vector<std::string>& parts, const char* sep) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i) out += sep;
    out += parts[i];
  }
  return out;
}

bool is_number(const std::string& text, bool integer_only) {
  if (text.empty()) return false;
  std::size_t i = (text[0] == '-' || text[0] == '+') ? 1 : 0;
  bool digits = false, dot = false, exp = false;
  for (; i < text.size(); ++i) {
    char c = text[i];
    if (c >= '0' && c <= '9') {
      digits = true;
    } else if (c == '.' && !dot && !exp && !integer_only) {
      dot = true;
    } else if ((c == 'e' || c == 'E') && digits && !exp && !integer_only) {
      exp = true;
      digits = false;
      if (i + 1 < text.size() && (text[i + 1] == '-' || text[i + 1] == '+')) ++i;
    } else {
      return false;
    }
  }
  return digits;
}

std::string upper(std::string s) {
  for (auto& c : s)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return s;
}

std::string quote_string(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') out += '\'';
    out += c;
  }
  out += '\'';
  return out;
}

// The fingerprint of a table without a usable primary key.
Result<TableFingerprint> fingerprint_multiset(engine::Engine& engine, const TableSql& sql) {
  auto digest = digest_multiset(engine, sql);
  if (!digest) return Unexpected<Error>(std::move(digest).error());
  TableFingerprint fp;
  fp.mode = "multiset";
  fp.segment_rows = 0;
  fp.segments.push_back(Segment{{}, {}, digest->rows, digest->hash});
  return fp;
}

}  // namespace

std::string hash_hex(std::uint64_t high, std::uint64_t low) {
  return fmt::format("{:016x}{:016x}", high, low);
}

std::string xxh128_hex(std::string_view text) {
  XXH128_hash_t h = XXH3_128bits(text.data(), text.size());
  return hash_hex(h.high64, h.low64);
}

std::vector<engine::Value> parse_copy_line(std::string_view line) {
  std::vector<engine::Value> fields;
  std::size_t start = 0;
  while (true) {
    std::size_t tab = line.find('\t', start);
    std::string_view raw =
        line.substr(start, tab == std::string_view::npos ? std::string_view::npos : tab - start);
    if (raw == "\\N") {
      fields.emplace_back(std::nullopt);
    } else {
      std::string value;
      value.reserve(raw.size());
      for (std::size_t i = 0; i < raw.size(); ++i) {
        if (raw[i] != '\\' || i + 1 == raw.size()) {
          value += raw[i];
          continue;
        }
        char c = raw[++i];
        switch (c) {
          case 't':
            value += '\t';
            break;
          case 'n':
            value += '\n';
            break;
          case 'r':
            value += '\r';
            break;
          case 'b':
            value += '\b';
            break;
          case 'f':
            value += '\f';
            break;
          case 'v':
            value += '\v';
            break;
          default:
            value += c;  // "\\" and any other escaped character
        }
      }
      fields.emplace_back(std::move(value));
    }
    if (tab == std::string_view::npos) break;
    start = tab + 1;
  }
  return fields;
}

// MySQL: bare numbers for numeric columns (a quoted number would be compared
// as a double, wrong past 2^53), X'..' for binary strings, b'..' for BIT,
// else a quoted string; the session's sql_mode NO_BACKSLASH_ESCAPES makes
// doubling the quote enough.
std::string mysql_key_literal(const std::string& column_type, const std::string& text) {
  // The base type name alone ("int" of "int(11) unsigned"): words inside an
  // ENUM or SET list (enum('PRINT','10')) say nothing about the type.
  std::string base = upper(column_type.substr(0, column_type.find_first_of("( ")));
  auto is = [&](std::initializer_list<const char*> names) {
    return std::any_of(names.begin(), names.end(), [&](const char* n) { return base == n; });
  };
  if (is({"BINARY", "VARBINARY", "TINYBLOB", "BLOB", "MEDIUMBLOB", "LONGBLOB"}) &&
      text.size() >= 2 && text[0] == '\\' && text[1] == 'x')
    return "X'" + text.substr(2) + "'";
  if (base == "BIT" && !text.empty() && text.find_first_not_of("01") == std::string::npos)
    return "b'" + text + "'";
  const bool integer = is({"TINYINT", "SMALLINT", "MEDIUMINT", "INT", "INTEGER", "BIGINT"});
  const bool numeric =
      integer || is({"DECIMAL", "DEC", "NUMERIC", "FIXED", "FLOAT", "DOUBLE", "REAL"});
  if (numeric && is_number(text, integer)) return text;
  return quote_string(text);
}

std::string key_literal(EngineKind kind, const std::string& column_type, const std::string& text) {
  if (kind == EngineKind::mysql) return mysql_key_literal(column_type, text);
  if (kind != EngineKind::sqlite) return quote_string(text) + "::" + column_type;
  // SQLite column affinity (https://sqlite.org/datatype3.html, 3.1).
  const std::string type = upper(column_type);
  const bool integer = type.find("INT") != std::string::npos;
  const bool textual = type.find("CHAR") != std::string::npos ||
                       type.find("CLOB") != std::string::npos ||
                       type.find("TEXT") != std::string::npos;
  if (!textual && is_number(text, integer)) return text;
  if (!textual && text.size() >= 2 && text[0] == '\\' && text[1] == 'x')
    return "X'" + text.substr(2) + "'";
  return quote_string(text);
}

std::string describe_key(const std::vector<std::string>& columns,
                         const std::vector<std::string>& values) {
  std::string out;
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i) out += ", ";
    out += fmt::format("{}={}", i < columns.size() ? columns[i] : "?", values[i]);
  }
  return out;
}

std::string describe_segment(const TableFingerprint& fp, std::size_t index) {
  if (index == k_outside_segments) return "rows outside the snapshot's key ranges";
  if (fp.mode != "ordered" || index >= fp.segments.size())
    return fmt::format("segment {} (all rows)", index + 1);
  const Segment& s = fp.segments[index];
  if (fp.key_columns.size() == 1 && s.first_key.size() == 1 && s.last_key.size() == 1)
    return fmt::format("segment {} ({} {}..{})", index + 1, fp.key_columns[0], s.first_key[0],
                       s.last_key[0]);
  return fmt::format("segment {} (({}) ({})..({}))", index + 1, join(fp.key_columns, ", "),
                     join(s.first_key, ", "), join(s.last_key, ", "));
}

Result<TableFingerprint> fingerprint_table(engine::Engine& engine, const engine::Table& table,
                                           std::uint64_t segment_rows) {
  const std::string name = table.name.qualified();
  TableSql sql(engine, table);
  if (table.primary_key.empty() || !sql.keys_known() || segment_rows == 0) {
    auto fp = fingerprint_multiset(engine, sql);
    if (!fp) return Unexpected<Error>(std::move(fp).error().context(name));
    return fp;
  }
  TableFingerprint fp;
  fp.mode = "ordered";
  fp.key_columns = table.primary_key;
  fp.segment_rows = segment_rows;
  StreamHash hash;
  Segment current;
  std::string last_line;
  bool null_key = false;
  auto close = [&](std::string_view line) {
    auto key = key_of(line, sql.key_positions());
    if (!key) null_key = true;
    current.last_key = key.value_or(std::vector<std::string>{});
    current.hash = hash.hex();
    fp.segments.push_back(std::move(current));
    current = Segment{};
    hash.reset();
  };
  auto rows = engine.stream_rows(sql.select_all(true), [&](std::string_view line) {
    if (current.rows == 0) {
      auto key = key_of(line, sql.key_positions());
      if (!key) null_key = true;
      current.first_key = key.value_or(std::vector<std::string>{});
    }
    hash.add_line(line);
    if (++current.rows == segment_rows)
      close(line);
    else
      last_line.assign(line);
  });
  if (!rows) return Unexpected<Error>(std::move(rows).error().context(name));
  if (current.rows > 0) close(last_line);
  if (null_key) {
    // SQLite allows NULL in non-integer primary keys: key ranges cannot
    // cover such rows, so the table is fingerprinted as a multiset.
    auto multiset = fingerprint_multiset(engine, sql);
    if (!multiset) return Unexpected<Error>(std::move(multiset).error().context(name));
    return multiset;
  }
  return fp;
}

Result<TableVerification> verify_table(engine::Engine& engine, const Connector& connect, int jobs,
                                       const engine::Table& table, const TableFingerprint& expected,
                                       const Connector& source, std::size_t max_keys) {
  const std::string name = table.name.qualified();
  TableVerification out;
  engine::Table keyed = table;
  keyed.primary_key = expected.key_columns;
  TableSql sql(engine, keyed);

  if (expected.mode != "ordered") {
    auto digest = digest_multiset(engine, sql);
    if (!digest) return Unexpected<Error>(std::move(digest).error().context(name));
    const Segment want = expected.segments.empty() ? Segment{} : expected.segments[0];
    if (digest->rows != want.rows || digest->hash != want.hash)
      out.differing.push_back(
          SegmentDiff{0, want, Segment{{}, {}, digest->rows, digest->hash}, {}, {}});
    return out;
  }
  if (!sql.keys_known())
    return make_error(Errc::engine,
                      fmt::format("{}: the snapshot's key columns are not all in the table", name));

  // Tasks 0..n-1 recompute segments; n..2n count the gaps around them.
  const std::size_t n = expected.segments.size();
  auto segment_range = [&](std::size_t i) {
    return KeyRange{expected.segments[i].first_key, true, expected.segments[i].last_key, true};
  };
  auto gap_range = [&](std::size_t g) {
    KeyRange r;
    if (g > 0) {
      r.lo = expected.segments[g - 1].last_key;
      r.lo_inclusive = false;
    }
    if (g < n) {
      r.hi = expected.segments[g].first_key;
      r.hi_inclusive = false;
    }
    return r;
  };
  std::vector<Digest> observed(2 * n + 1);
  auto ran = run_parallel(engine, connect, jobs, observed.size(),
                          [&](engine::Engine& session, std::size_t i) -> Result<void> {
                            auto d = i < n ? digest_range(session, sql, segment_range(i))
                                           : count_digest(session, sql, gap_range(i - n));
                            if (!d) return Unexpected<Error>(std::move(d).error());
                            observed[i] = std::move(*d);
                            return {};
                          });
  if (!ran) return Unexpected<Error>(std::move(ran).error().context(name));
  if (n > 0) {  // with no segment the one unbounded gap already counted every row
    auto nulls = engine::query_count(engine, sql.count_null_keys());
    if (!nulls) return Unexpected<Error>(std::move(nulls).error().context(name));
    out.rows_outside += *nulls;
  }

  std::vector<KeyRange> ranges;  // parallel to out.differing
  for (std::size_t i = 0; i < n; ++i) {
    const Segment& want = expected.segments[i];
    if (observed[i].rows == want.rows && observed[i].hash == want.hash) continue;
    out.differing.push_back(
        SegmentDiff{i,
                    want,
                    Segment{want.first_key, want.last_key, observed[i].rows, observed[i].hash},
                    {},
                    {}});
    ranges.push_back(segment_range(i));
  }
  for (std::size_t g = 0; g <= n; ++g) {
    out.rows_outside += observed[n + g].rows;
    if (observed[n + g].rows == 0 || !source) continue;
    out.differing.push_back(SegmentDiff{
        k_outside_segments, Segment{}, Segment{{}, {}, observed[n + g].rows, ""}, {}, {}});
    ranges.push_back(gap_range(g));
  }
  // Without a source the gaps are only counted, not listed.
  if (!source || out.differing.empty()) return out;
  auto src = source();
  if (!src) return Unexpected<Error>(std::move(src).error().context(name + ": source"));
  std::size_t total_keys = 0;
  Bisector bisector(engine, **src, sql, expected.key_columns, max_keys, &total_keys);
  for (std::size_t d = 0; d < out.differing.size() && total_keys < max_keys; ++d) {
    auto done = bisector.run(ranges[d], out.differing[d]);
    if (!done) return Unexpected<Error>(std::move(done).error().context(name));
  }
  return out;
}

}  // namespace dp::checks
