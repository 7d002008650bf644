// blob_refs: the run. One streamed pass over the query's rows against the
// store's BlobIndex; blobs on disk are stat'ed (and hashed, when a digest is
// expected) at most once each, however many rows reference them.
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <exception>
#include <future>
#include <optional>

#include "checks/blob_files.hpp"
#include "checks/blob_index.hpp"
#include "checks/blob_refs_check.hpp"
#include "checks/line_batcher.hpp"

namespace dp::checks {
namespace {

// Findings of one kind: an exact count and the first `limit` of them.
struct Tally {
  explicit Tally(const char* w) : what(w) {}
  const char* what;  // "dangling references"
  std::uint64_t count = 0;
  std::vector<Finding> listed;
};

std::string strip_query(std::string_view sql) {
  while (!sql.empty() && (sql.back() == ';' || sql.back() == ' ' || sql.back() == '\n' ||
                          sql.back() == '\t' || sql.back() == '\r'))
    sql.remove_suffix(1);
  return std::string(sql);
}

// "\x00ff" (bytea), "sha256:00ff" or "00FF" -> raw bytes.
std::optional<std::string> parse_digest(std::string_view text) {
  if (auto colon = text.find(':'); colon != std::string_view::npos) text.remove_prefix(colon + 1);
  if (text.size() >= 2 && text[0] == '\\' && text[1] == 'x') text.remove_prefix(2);
  if (text.empty()) return std::nullopt;
  return hex_to_bytes(text);
}

std::optional<std::uint64_t> parse_size(std::string_view text) {
  std::uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
  return v;
}

class Run {
 public:
  explicit Run(const BlobRefsOptions& o) : m_o(o) {}

  // The store, once its index is loaded: before the first row() and before finish().
  void attach(BlobIndex& index, BlobFiles* files) {
    m_index = &index;
    m_files = files;
    if (files) m_states.assign(index.size(), static_cast<std::uint8_t>(BlobState::unchecked));
  }

  Result<void> resolve_columns(const std::vector<std::string>& columns) {
    auto find = [&](const std::string& name) -> Result<std::size_t> {
      for (std::size_t i = 0; i < columns.size(); ++i)
        if (columns[i] == name) return i;
      return make_error(Errc::invalid_input,
                        fmt::format("the query has no column '{}'; its columns: {}", name,
                                    fmt::join(columns, ", ")));
    };
    if (columns.empty()) return make_error(Errc::invalid_input, "the query returns no columns");
    if (!m_o.size_column.empty()) {
      auto at = find(m_o.size_column);
      if (!at) return Unexpected<Error>(std::move(at).error());
      m_size_at = *at;
    }
    if (!m_o.digest_column.empty()) {
      auto at = find(m_o.digest_column);
      if (!at) return Unexpected<Error>(std::move(at).error());
      m_digest_at = *at;
    }
    for (const auto& pk : m_o.pk_columns) {
      auto at = find(pk);
      if (!at) return Unexpected<Error>(std::move(at).error());
      m_pk_at.push_back(*at);
    }
    m_last_needed = std::max({std::size_t{0}, m_size_at.value_or(0), m_digest_at.value_or(0)});
    for (std::size_t at : m_pk_at) m_last_needed = std::max(m_last_needed, at);
    return {};
  }

  // A batch of lines ('\n' after each): rows are matched in groups whose
  // keys are hashed and whose first table slots are prefetched before the
  // group is matched, so the table's cache misses overlap instead of
  // stalling one row at a time.
  void rows(std::string_view batch) {
    constexpr std::size_t k_group = 16;
    std::string_view lines[k_group];
    BlobIndex::Hash hashes[k_group];
    bool hashed[k_group];
    while (!batch.empty()) {
      std::size_t n = 0;
      for (; n < k_group && !batch.empty(); ++n) {
        std::size_t end = batch.find('\n');
        lines[n] = batch.substr(0, end);
        batch.remove_prefix(end == std::string_view::npos ? batch.size() : end + 1);
        hashed[n] = quick_hash(lines[n], hashes[n]);
        if (hashed[n]) m_index->prefetch(hashes[n]);
      }
      for (std::size_t k = 0; k < n; ++k) row(lines[k], hashed[k] ? &hashes[k] : nullptr);
    }
  }

  // `hash`, when given, is quick_hash's for this line.
  void row(std::string_view line, const BlobIndex::Hash* hash = nullptr) {
    ++m_rows;
    m_fields.clear();
    std::size_t start = 0;
    while (m_fields.size() <= m_last_needed) {
      std::size_t tab = line.find('\t', start);
      m_fields.push_back(line.substr(start, tab == std::string_view::npos ? tab : tab - start));
      if (tab == std::string_view::npos) break;
      start = tab + 1;
    }
    m_fields.resize(m_last_needed + 1);  // a short row (never from a real engine) reads as empty
    // Keys without a backslash (nearly all) are used in place: no copy per row.
    std::string_view key = m_fields[0];
    if (key == "\\N") {
      ++m_null_keys;
      return;
    }
    if (key.find('\\') != std::string_view::npos) {
      m_key_buf = *decode_copy_field(key);
      key = m_key_buf;
    }
    std::string_view rel = key;
    if (!rel.starts_with(m_o.key_prefix)) {
      add(m_dangling, key, [&] {
        return fmt::format(
            "dangling reference: '{}' does not start with key_prefix '{}' of blob store "
            "'{}' ({})",
            key, m_o.key_prefix, m_o.store, where());
      });
      return;
    }
    rel.remove_prefix(m_o.key_prefix.size());
    if (auto why = key_escape_reason(rel)) {
      add(m_escapes, key, [&] {
        return fmt::format("key '{}' escapes blob store '{}': {}; not opened ({})", key, m_o.store,
                           *why, where());
      });
      return;
    }
    std::uint32_t i = hash ? m_index->find(*hash) : m_index->find(rel);
    if (i == BlobIndex::k_none) {
      add(m_dangling, key, [&] {
        return fmt::format("dangling reference: '{}' is not in blob store '{}' ({})", key,
                           m_o.store, where());
      });
      return;
    }
    m_index->mark_referenced(i);
    if (m_index->kind(i) == BlobIndex::Kind::symlink) {
      add(m_unusable, key, [&] {
        return fmt::format("'{}' in blob store '{}' is a symlink (never followed) ({})", key,
                           m_o.store, where());
      });
      return;
    }
    std::optional<std::uint64_t> actual_size = m_index->size_of(i);
    if (m_files) {
      BlobState state = checked_state(i, rel, actual_size);
      if (state == BlobState::missing) {
        add(m_dangling, key, [&] {
          return fmt::format(
              "dangling reference: '{}' is in the manifest of blob store '{}' but "
              "missing from its directory ({})",
              key, m_o.store, where());
        });
        return;
      }
      if (state != BlobState::regular) {
        add(m_unusable, key, [&] {
          return fmt::format("'{}' in blob store '{}' is {} ({})", key, m_o.store,
                             blob_state_text(state), where());
        });
        return;
      }
      actual_size = m_disk_sizes[i];
    }
    ++m_found;
    if (m_size_at) check_size(key, actual_size);
    if (m_digest_at) check_digest(key, rel, i);
  }

  CheckOutcome finish(std::uint64_t streamed) {
    CheckOutcome out;
    out.expected =
        fmt::format("every key exists in blob store '{}'{}{}", m_o.store,
                    m_size_at ? ", sizes match" : "", m_digest_at ? ", digests match" : "");
    std::uint64_t orphans = m_index->size() - m_index->referenced_count();
    out.observed = fmt::format(
        "{} references ({} NULL keys skipped): {} found, {} dangling, {} escaping, {} unusable, "
        "{} size and {} digest mismatches, {} unparsable; {} blobs, {} orphans",
        streamed, m_null_keys, m_found, m_dangling.count, m_escapes.count, m_unusable.count,
        m_size.count, m_digest.count, m_bad_value.count, m_index->size(), orphans);
    std::vector<std::string> problems;
    for (Tally* t : {&m_dangling, &m_escapes, &m_unusable, &m_size, &m_digest, &m_bad_value}) {
      if (t->count == 0) continue;
      problems.push_back(fmt::format("{} {}", t->count, t->what));
      for (auto& f : t->listed) out.findings.push_back(std::move(f));
      if (t->count > t->listed.size())
        out.findings.push_back(Finding{
            m_o.name, m_o.store, Severity::error,
            fmt::format("... and {} more {} (not listed)", t->count - t->listed.size(), t->what),
            ""});
    }
    out.outcome = problems.empty() ? Outcome::passed : Outcome::failed;
    if (!problems.empty())
      out.message = fmt::format("{}: {} of {} references in blob store '{}'", m_o.name,
                                fmt::join(problems, ", "), streamed, m_o.store);
    return out;
  }

  Result<void> list_orphans(std::vector<Finding>& findings) {
    std::uint64_t total = m_index->size() - m_index->referenced_count();
    if (total == 0) return {};
    std::size_t listed = 0;
    auto visited = for_each_store_key(m_o.store_manifest, m_o.store_path, [&](std::string_view k) {
      if (listed >= m_o.max_listed) return false;
      std::uint32_t i = m_index->find(k);
      if (i != BlobIndex::k_none && !m_index->referenced(i)) {
        ++listed;
        std::string key = m_o.key_prefix + std::string(k);
        findings.push_back(Finding{
            m_o.name, key, Severity::info,
            fmt::format("orphan: '{}' in blob store '{}' is referenced by no row", key, m_o.store),
            ""});
      }
      return true;
    });
    if (total > listed)
      findings.push_back(
          Finding{m_o.name, m_o.store, Severity::info,
                  fmt::format("... and {} more orphans (not listed)", total - listed), ""});
    return visited;
  }

 private:
  // The index hash of the key row() will look up, for the common line: the
  // first field without a backslash (no decoding, not NULL) and with the
  // key prefix. False for any other line: row() then hashes it itself.
  bool quick_hash(std::string_view line, BlobIndex::Hash& out) const {
    std::string_view key = line.substr(0, line.find('\t'));
    if (key.find('\\') != std::string_view::npos || !key.starts_with(m_o.key_prefix)) return false;
    key.remove_prefix(m_o.key_prefix.size());
    out = BlobIndex::hash_of(key);
    return true;
  }

  std::string where() const {
    if (m_pk_at.empty()) return fmt::format("row {}", m_rows);
    std::string out = "row ";
    for (std::size_t p = 0; p < m_pk_at.size(); ++p) {
      if (p) out += ", ";
      auto v = decode_copy_field(m_fields[m_pk_at[p]]);
      out += fmt::format("{}={}", m_o.pk_columns[p], v ? *v : "NULL");
    }
    return out;
  }

  // The message is built only for the findings listed: with millions of
  // dangling rows, formatting each would cost more than matching it.
  template <class MakeMessage>
  void add(Tally& t, std::string_view key, MakeMessage make_message) {
    ++t.count;
    if (t.listed.size() < m_o.max_listed)
      t.listed.push_back(
          Finding{m_o.name, std::string(key), Severity::error, make_message(), where()});
  }

  BlobState checked_state(std::uint32_t i, std::string_view rel,
                          std::optional<std::uint64_t>& size) {
    auto state = static_cast<BlobState>(m_states[i]);
    if (state == BlobState::unchecked) {
      if (m_disk_sizes.empty()) m_disk_sizes.assign(m_index->size(), 0);
      BlobStat st = m_files->stat(rel);
      state = st.state;
      m_states[i] = static_cast<std::uint8_t>(state);
      m_disk_sizes[i] = st.size;
    }
    if (state == BlobState::regular) size = m_disk_sizes[i];
    return state;
  }

  void check_size(std::string_view key, std::optional<std::uint64_t> actual) {
    auto text = decode_copy_field(m_fields[*m_size_at]);
    if (!text) return;  // NULL: the row expects no particular size
    auto expected = parse_size(*text);
    if (!expected) {
      add(m_bad_value, key, [&] {
        return fmt::format("'{}': {} '{}' is not a size in bytes ({})", key, m_o.size_column, *text,
                           where());
      });
    } else if (actual && *actual != *expected) {
      add(m_size, key, [&] {
        return fmt::format("size mismatch: '{}' is {} bytes, {} says {} ({})", key, *actual,
                           m_o.size_column, *expected, where());
      });
    }
  }

  void check_digest(std::string_view key, std::string_view rel, std::uint32_t i) {
    auto text = decode_copy_field(m_fields[*m_digest_at]);
    if (!text) return;
    auto expected = parse_digest(*text);
    std::size_t want_len = m_o.digest_algorithm == artifacts::Algorithm::sha256 ? 32 : 16;
    if (!expected || expected->size() != want_len) {
      add(m_bad_value, key, [&] {
        return fmt::format("'{}': {} '{}' is not a {} digest ({})", key, m_o.digest_column, *text,
                           artifacts::algorithm_name(m_o.digest_algorithm), where());
      });
      return;
    }
    std::string_view actual;
    if (!m_files) {
      actual = m_index->digest_of(i);  // the manifest's, same algorithm (checked before the run)
    } else {
      if (m_hashed.empty()) {
        m_hashed.assign(m_index->size(), 0);
        m_digests.assign(m_index->size() * want_len, '\0');
      }
      if (m_hashed[i] == 0) {
        auto d = m_files->digest(rel, m_o.digest_algorithm);
        if (!d) {
          m_hashed[i] = 2;
          add(m_unusable, key, [&] {
            return fmt::format("'{}' in blob store '{}' cannot be read: {} ({})", key, m_o.store,
                               d.error().message, where());
          });
          return;
        }
        std::copy(d->begin(), d->end(),
                  m_digests.begin() + static_cast<std::ptrdiff_t>(i * want_len));
        m_hashed[i] = 1;
      }
      if (m_hashed[i] == 2) return;  // reported with the first row that referenced it
      actual = std::string_view(m_digests).substr(i * want_len, want_len);
    }
    if (actual.empty() || actual == *expected) return;
    add(m_digest, key, [&] {
      return fmt::format("digest mismatch: '{}' has {} {}, {} says {} ({})", key,
                         artifacts::algorithm_name(m_o.digest_algorithm), bytes_to_hex(actual),
                         m_o.digest_column, bytes_to_hex(*expected), where());
    });
  }

  const BlobRefsOptions& m_o;
  BlobIndex* m_index = nullptr;
  BlobFiles* m_files = nullptr;
  std::optional<std::size_t> m_size_at;
  std::optional<std::size_t> m_digest_at;
  std::vector<std::size_t> m_pk_at;
  std::size_t m_last_needed = 0;
  std::vector<std::string_view> m_fields;
  std::string m_key_buf;
  std::uint64_t m_rows = 0;
  std::uint64_t m_null_keys = 0;
  std::uint64_t m_found = 0;
  std::vector<std::uint8_t> m_states;  // BlobState per blob, when files are read
  std::vector<std::uint64_t> m_disk_sizes;
  std::vector<std::uint8_t> m_hashed;  // 0 not yet, 1 done, 2 failed
  std::string m_digests;
  Tally m_dangling{"dangling references"};
  Tally m_escapes{"keys escaping the store"};
  Tally m_unusable{"unusable blobs"};
  Tally m_size{"size mismatches"};
  Tally m_digest{"digest mismatches"};
  Tally m_bad_value{"unparsable expected values"};
};

CheckOutcome error_outcome(const BlobRefsOptions& o, std::string message) {
  CheckOutcome out;
  out.outcome = Outcome::error;
  out.message = fmt::format("{}: {}", o.name, message);
  return out;
}

// What matching needs from the store: its index and, when blobs are read,
// its open directory. Errors carry the message shown after the check's name.
struct Store {
  BlobIndex index;
  std::optional<BlobFiles> files;
};

Result<Store> open_store(const BlobRefsOptions& o) {
  auto index =
      o.store_manifest.empty()
          ? BlobIndex::from_directory(o.store_path, o.check_files)
          : BlobIndex::from_manifest(o.store_manifest, !o.check_files && !o.digest_column.empty(),
                                     o.check_files);
  if (!index)
    return make_error(index.error().code, "blob store '" + o.store + "': " + index.error().message);
  if (!o.check_files && !o.digest_column.empty() && index->algorithm() != o.digest_algorithm)
    return make_error(
        Errc::invalid_input,
        fmt::format("blob store '{}' has check_files = false and its manifest records {} "
                    "digests, but digest_algorithm is {}: nothing to compare with",
                    o.store,
                    index->algorithm() ? artifacts::algorithm_name(*index->algorithm()) : "no",
                    artifacts::algorithm_name(o.digest_algorithm)));
  Store store{std::move(*index), std::nullopt};
  if (o.check_files) {
    auto opened = BlobFiles::open(o.store_path);
    if (!opened) return Unexpected<Error>(std::move(opened).error());
    store.files.emplace(std::move(*opened));
  }
  return store;
}

// Rows handed off but not matched yet, at most: while the index loads, the
// COPY runs ahead into this queue, then waits for the matching. A million
// blobs load in about 0.25 s, in which a COPY of short keys sends about 24 MB.
constexpr std::size_t k_queue_bytes = std::size_t{32} << 20;

// The store's loading thread and its result. wait() blocks until the store
// is loaded (the first call) and gives the same answer every time after;
// store() and files() only once wait() succeeded. Used by one thread at a
// time: the batcher's worker while it runs, the check's thread otherwise.
// The future's destructor joins the loading thread on every path.
class StoreLoader {
 public:
  explicit StoreLoader(std::future<Result<Store>> loading) : m_loading(std::move(loading)) {}

  Result<void> wait() {
    if (m_loading.valid()) {
      try {
        auto loaded = m_loading.get();
        if (loaded)
          m_store.emplace(std::move(*loaded));
        else
          m_error = std::move(loaded).error();
      } catch (const std::exception& e) {  // bad_alloc while loading: untestable, not failed
        m_error = Error{Errc::internal,
                        "blob store '" + m_store_name + "': loading its index: " + e.what()};
      }
    }
    if (m_error) return Unexpected<Error>(*m_error);
    return {};
  }
  void name(std::string store) { m_store_name = std::move(store); }
  BlobIndex& index() { return m_store->index; }
  BlobFiles* files() { return m_store->files ? &*m_store->files : nullptr; }

 private:
  std::future<Result<Store>> m_loading;
  std::string m_store_name;
  std::optional<Store> m_store;
  std::optional<Error> m_error;
};

}  // namespace

CheckOutcome BlobRefsCheck::run(const CheckContext& ctx) const {
  const BlobRefsOptions& o = m_options;
  if (o.store_path.empty()) return error_outcome(o, "blob store '" + o.store + "' has no path");
  // The store's index loads on a thread of its own while the column probe
  // runs and the COPY streams: the server's COPY, not the client, is then
  // the floor. Any failure is reported exactly as if it had loaded first:
  // the store's error comes before the query's.
  StoreLoader loader(
      std::async(std::launch::async | std::launch::deferred, [&o] { return open_store(o); }));
  loader.name(o.store);
  std::string sql = strip_query(o.query);
  auto probe = ctx.engine.query(fmt::format("SELECT * FROM ({}) AS dp_blob_refs LIMIT 0", sql));
  if (!probe) {
    if (auto ok = loader.wait(); !ok) return error_outcome(o, ok.error().message);
    return error_outcome(o, "query: " + probe.error().message);
  }
  Run run(o);
  if (auto ok = run.resolve_columns(probe->columns); !ok) {
    if (auto loaded = loader.wait(); !loaded) return error_outcome(o, loaded.error().message);
    return error_outcome(o, ok.error().message);
  }
  // Rows are matched on the batcher's worker; the first one waits there for
  // the index (the queue bounds what the COPY runs ahead meanwhile). A store
  // that failed leaves the rest of the rows unmatched: they are drained.
  bool attached = false;
  bool failed = false;
  LineBatcher batcher(
      LineBatcher::WholeBatches{},
      [&](std::string_view lines) {
        if (!attached && !failed) {
          failed = !loader.wait();
          if (!failed) run.attach(loader.index(), loader.files());
          attached = !failed;
        }
        if (attached) run.rows(lines);
      },
      std::size_t{1} << 20, k_queue_bytes);
  auto streamed = ctx.engine.stream_rows(sql, [&](std::string_view line) { batcher.add(line); });
  try {
    batcher.finish();
  } catch (const std::exception& e) {  // bad_alloc while matching: untestable, not failed
    return error_outcome(o, std::string("matching rows: ") + e.what());
  }
  // The worker has stopped: the loader is the producer's again.
  if (auto ok = loader.wait(); !ok) return error_outcome(o, ok.error().message);
  if (!streamed) return error_outcome(o, "query: " + streamed.error().message);
  if (!attached) run.attach(loader.index(), loader.files());
  CheckOutcome out = run.finish(*streamed);
  if (o.orphans) {
    if (auto listed = run.list_orphans(out.findings); !listed)
      return error_outcome(o, "listing orphans: " + listed.error().message);
  }
  return out;
}

}  // namespace dp::checks
