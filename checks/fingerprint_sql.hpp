#pragma once
// Internal to checks/: the hashing, SQL and digest primitives that snapshot
// capture, verification and bisection share. Not a public interface.
#include <xxhash.h>

#include <algorithm>
#include <atomic>
#include <cassert>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "checks/fingerprint.hpp"

namespace dp::checks::detail {

struct StateDeleter {
  void operator()(XXH3_state_t* state) const { XXH3_freeState(state); }
};
using StatePtr = std::unique_ptr<XXH3_state_t, StateDeleter>;

// XXH3-128 over a stream of lines, each followed by "\n".
class StreamHash {
 public:
  StreamHash() : m_state(XXH3_createState()) {
    assert(m_state && "XXH3_createState: out of memory");
    reset();
  }
  void reset() { static_cast<void>(XXH3_128bits_reset(m_state.get())); }
  void add_line(std::string_view line) {
    static_cast<void>(XXH3_128bits_update(m_state.get(), line.data(), line.size()));
    static_cast<void>(XXH3_128bits_update(m_state.get(), "\n", 1));
  }
  std::string hex() const {
    XXH128_hash_t h = XXH3_128bits_digest(m_state.get());
    return hash_hex(h.high64, h.low64);
  }

 private:
  StatePtr m_state;
};

// Order-independent: the sum mod 2^128 of each row's XXH3-128 (line + "\n").
class MultisetHash {
 public:
  void add_line(std::string_view line) {
    m_buffer.assign(line);
    m_buffer.push_back('\n');
    XXH128_hash_t h = XXH3_128bits(m_buffer.data(), m_buffer.size());
    std::uint64_t low = m_low + h.low64;
    m_high += h.high64 + (low < m_low ? 1U : 0U);
    m_low = low;
  }
  std::string hex() const { return hash_hex(m_high, m_low); }

 private:
  std::uint64_t m_high = 0;
  std::uint64_t m_low = 0;
  std::string m_buffer;
};

struct Digest {
  std::uint64_t rows = 0;
  std::string hash;
  bool operator==(const Digest&) const = default;
};

// A key range: lo/hi absent means unbounded on that side.
struct KeyRange {
  std::optional<std::vector<std::string>> lo;
  bool lo_inclusive = true;
  std::optional<std::vector<std::string>> hi;
  bool hi_inclusive = true;
};

// The SQL drillproof runs for one table (exact text: docs/snapshot.md).
class TableSql {
 public:
  TableSql(const engine::Engine& engine, const engine::Table& table) : m_kind(engine.kind()) {
    m_from = engine::quote_table(engine, table.name);
    for (std::size_t i = 0; i < table.columns.size(); ++i) {
      if (i) m_columns += ", ";
      m_columns += engine.quote_identifier(table.columns[i].name);
    }
    for (const auto& key : table.primary_key) {
      std::size_t pos = 0;
      while (pos < table.columns.size() && table.columns[pos].name != key) ++pos;
      const bool found = pos < table.columns.size();
      m_key_positions.push_back(found ? pos : k_absent);
      m_key_types.push_back(found ? table.columns[pos].type : "");
      m_key_quoted.push_back(engine.quote_identifier(key));
    }
    for (std::size_t i = 0; i < m_key_quoted.size(); ++i) {
      if (i) m_key_list += ", ";
      m_key_list += m_key_quoted[i];
    }
  }

  bool keys_known() const {
    return std::find(m_key_positions.begin(), m_key_positions.end(), k_absent) ==
           m_key_positions.end();
  }
  const std::vector<std::size_t>& key_positions() const { return m_key_positions; }

  std::string select_all(bool ordered) const {
    if (!ordered) return fmt::format("SELECT {} FROM {}", m_columns, m_from);
    return fmt::format("SELECT {} FROM {} ORDER BY {}", m_columns, m_from, m_key_list);
  }
  std::string select_range(const KeyRange& range) const {
    return fmt::format("SELECT {} FROM {}{} ORDER BY {}", m_columns, m_from, where(range),
                       m_key_list);
  }
  std::string count_range(const KeyRange& range) const {
    return fmt::format("SELECT count(*) FROM {}{}", m_from, where(range));
  }
  // Rows no key range can hold: SQLite allows NULL in some primary keys.
  std::string count_null_keys() const {
    std::string any;
    for (std::size_t i = 0; i < m_key_quoted.size(); ++i)
      any += (i ? " OR " : "") + m_key_quoted[i] + " IS NULL";
    return fmt::format("SELECT count(*) FROM {} WHERE {}", m_from, any);
  }
  // Index-friendly existence test: without statistics (a fresh restore) the
  // planner would count an open-ended range like "id" < x with a seq scan.
  std::string probe_range(const KeyRange& range) const {
    return fmt::format("SELECT 1 FROM {}{} ORDER BY {} LIMIT 1", m_from, where(range), m_key_list);
  }
  std::string nth_key(const KeyRange& range, std::uint64_t offset) const {
    return fmt::format("SELECT {} FROM {}{} ORDER BY {} LIMIT 1 OFFSET {}", m_key_list, m_from,
                       where(range), m_key_list, offset);
  }

 private:
  std::string where(const KeyRange& range) const {
    std::string out;
    if (range.lo) out += " WHERE " + compare(range.lo_inclusive ? ">=" : ">", *range.lo);
    if (range.hi)
      out += (range.lo ? " AND " : " WHERE ") + compare(range.hi_inclusive ? "<=" : "<", *range.hi);
    return out;
  }
  // "id" >= '1'::integer, or ("a", "b") >= ('1'::integer, 'x'::text).
  std::string compare(const char* op, const std::vector<std::string>& key) const {
    if (m_key_quoted.size() == 1)
      return fmt::format("{} {} {}", m_key_quoted[0], op,
                         key_literal(m_kind, m_key_types[0], key[0]));
    std::string values;
    for (std::size_t i = 0; i < key.size() && i < m_key_types.size(); ++i) {
      if (i) values += ", ";
      values += key_literal(m_kind, m_key_types[i], key[i]);
    }
    return fmt::format("({}) {} ({})", m_key_list, op, values);
  }

  static constexpr std::size_t k_absent = static_cast<std::size_t>(-1);

  EngineKind m_kind;
  std::string m_from;
  std::string m_columns;
  std::string m_key_list;
  std::vector<std::size_t> m_key_positions;
  std::vector<std::string> m_key_types;
  std::vector<std::string> m_key_quoted;
};

// The key fields of one line; nullopt when one is NULL or absent.
std::optional<std::vector<std::string>> key_of(std::string_view line,
                                               const std::vector<std::size_t>& positions);
// The rows of a key range, hashed in key order.
Result<Digest> digest_range(engine::Engine& engine, const TableSql& sql, const KeyRange& range);
// The whole table as an order-independent multiset.
Result<Digest> digest_multiset(engine::Engine& engine, const TableSql& sql);
// Rows in a gap between segments: probed first (empty gaps are the normal
// case), counted only when the probe finds a row.
Result<Digest> count_digest(engine::Engine& engine, const TableSql& sql, const KeyRange& range);

// Runs task(session, i) for i in [0, tasks) on up to `jobs` sessions: `first`
// on this thread, the others from `connect`, each on its own thread. The
// first failure stops the remaining tasks and is returned.
template <class Task>
Result<void> run_parallel(engine::Engine& first, const Connector& connect, int jobs,
                          std::size_t tasks, const Task& task) {
  std::vector<std::unique_ptr<engine::Engine>> extra;
  const std::size_t wanted =
      std::min<std::size_t>(tasks, static_cast<std::size_t>(std::max(jobs, 1)));
  // A session that cannot be opened only costs parallelism.
  while (connect && extra.size() + 1 < wanted) {
    auto session = connect();
    if (!session) break;
    extra.push_back(std::move(*session));
  }
  std::atomic<std::size_t> next{0};
  std::atomic<bool> stop{false};
  std::mutex error_mutex;
  std::optional<Error> first_error;
  auto worker = [&](engine::Engine& session) {
    while (!stop.load()) {
      std::size_t i = next.fetch_add(1);
      if (i >= tasks) return;
      Result<void> done = task(session, i);
      if (!done) {
        std::lock_guard lock(error_mutex);
        if (!first_error) first_error = std::move(done).error();
        stop.store(true);
      }
    }
  };
  std::vector<std::thread> threads;
  threads.reserve(extra.size());
  for (auto& session : extra) threads.emplace_back([&worker, &session] { worker(*session); });
  worker(first);
  for (auto& t : threads) t.join();
  if (first_error) return Unexpected<Error>(std::move(*first_error));
  return {};
}

}  // namespace dp::checks::detail
