// Digest primitives for fingerprints (docs/snapshot.md): every hash is
// computed while rows stream past, so memory does not grow with the table.

#include "checks/fingerprint_sql.hpp"

namespace dp::checks::detail {

// The key fields of one line; nullopt when one is NULL or absent.
std::optional<std::vector<std::string>> key_of(std::string_view line,
                                               const std::vector<std::size_t>& positions) {
  auto fields = parse_copy_line(line);
  std::vector<std::string> key;
  key.reserve(positions.size());
  for (std::size_t pos : positions) {
    if (pos >= fields.size() || !fields[pos]) return std::nullopt;
    key.push_back(std::move(*fields[pos]));
  }
  return key;
}

Result<Digest> digest_range(engine::Engine& engine, const TableSql& sql, const KeyRange& range) {
  StreamHash hash;
  auto rows = engine.stream_rows(sql.select_range(range),
                                 [&](std::string_view line) { hash.add_line(line); });
  if (!rows) return Unexpected<Error>(std::move(rows).error());
  return Digest{*rows, hash.hex()};
}

Result<Digest> digest_multiset(engine::Engine& engine, const TableSql& sql) {
  MultisetHash hash;
  auto rows = engine.stream_rows(sql.select_all(false),
                                 [&](std::string_view line) { hash.add_line(line); });
  if (!rows) return Unexpected<Error>(std::move(rows).error());
  return Digest{*rows, hash.hex()};
}

Result<Digest> count_digest(engine::Engine& engine, const TableSql& sql, const KeyRange& range) {
  if (range.lo || range.hi) {
    auto probe = engine.query(sql.probe_range(range));
    if (!probe) return Unexpected<Error>(std::move(probe).error());
    if (probe->rows.empty()) return Digest{0, ""};
  }
  auto n = engine::query_count(engine, sql.count_range(range));
  if (!n) return Unexpected<Error>(std::move(n).error());
  return Digest{*n, ""};
}

}  // namespace dp::checks::detail
