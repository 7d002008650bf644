// Markers go through the engines' admin helpers (read-write sessions), one
// connection per marker, like an application that reconnects: after the
// disaster each attempt fails on its own and is counted, and nothing
// half-open survives the primary's death.
#include "drills/rpo_marker.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "verifier/core/child_process.hpp"
#include "verifier/engine/engine.hpp"
#include "verifier/engine/mysql/my_engine.hpp"
#include "verifier/engine/postgres/pg_engine.hpp"

namespace dp::drills {
namespace {

constexpr Millis k_connect_timeout{2000};
// Every marker statement ends by this budget even when the server is
// stopped or firewalled (PostgreSQL: query_bounded; MySQL: the client's
// read/write timeouts), so stop() never waits longer than one write.
constexpr Millis k_statement_budget{5000};

engine::ConnectOptions options_for(const config::MarkerConfig& c, const std::string& target) {
  engine::ConnectOptions o;
  if (c.engine == EngineKind::mysql) o = engine::mysql::source_options(target);
  o.kind = c.engine;
  if (c.engine == EngineKind::postgres) o.conninfo = target;
  o.connect_timeout = k_connect_timeout;
  o.statement_timeout = k_statement_budget;
  return o;
}

Result<void> execute(const config::MarkerConfig& c, const std::string& sql) {
  auto o = options_for(c, c.write);
  if (c.engine == EngineKind::mysql) return engine::mysql::execute_admin(o, sql);
  auto done = engine::postgres::query_bounded(o, sql, deadline_in(k_statement_budget), false);
  if (!done) return Unexpected<Error>(std::move(done).error());
  return {};
}

// Bounded by the statement budget and by `by` (the drill's deadline): a read
// after failover must not outlive the drill.
Result<engine::QueryResult> query(const config::MarkerConfig& c, const std::string& target,
                                  const std::string& sql, Deadline by = Deadline::max()) {
  auto o = options_for(c, target);
  if (c.engine == EngineKind::postgres)
    return engine::postgres::query_bounded(o, sql, std::min(deadline_in(k_statement_budget), by),
                                           true);
  auto db = engine::connect(o);
  if (!db) return Unexpected<Error>(std::move(db).error());
  return (*db)->query(sql);
}

std::optional<std::int64_t> to_int(const engine::Value& v) {
  if (!v) return std::nullopt;
  std::int64_t n = 0;
  auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  if (ec != std::errc() || end != v->data() + v->size()) return std::nullopt;
  return n;
}

}  // namespace

Result<std::unique_ptr<MarkerWriter>> MarkerWriter::start(const config::MarkerConfig& config,
                                                          const StepContext& ctx) {
  const std::string type = config.engine == EngineKind::mysql ? "DATETIME(6)" : "timestamptz";
  // PostgreSQL announces an existing table with a NOTICE that libpq would
  // print on our stderr at every drill.
  const std::string quiet =
      config.engine == EngineKind::postgres ? "SET client_min_messages = warning; " : "";
  auto created = execute(config, fmt::format("{}CREATE TABLE IF NOT EXISTS {} (seq bigint PRIMARY "
                                             "KEY, written_at {} NOT NULL)",
                                             quiet, config.table, type));
  if (!created)
    return Unexpected<Error>(std::move(created).error().context("create the marker table"));
  auto rows = query(config, config.write, fmt::format("SELECT max(seq) FROM {}", config.table));
  if (!rows) return Unexpected<Error>(std::move(rows).error().context("read the marker table"));
  std::int64_t first = 1;
  if (!rows->rows.empty() && !rows->rows[0].empty())
    if (auto max = to_int(rows->rows[0][0])) first = *max + 1;
  std::unique_ptr<MarkerWriter> writer(new MarkerWriter(config, ctx, first));
  writer->m_thread = std::thread([w = writer.get()] { w->run(); });
  return writer;
}

MarkerWriter::MarkerWriter(config::MarkerConfig config, const StepContext& ctx,
                           std::int64_t first_seq)
    : m_config(std::move(config)), m_ctx(ctx), m_first_seq(first_seq), m_next_seq(first_seq) {}

MarkerWriter::~MarkerWriter() { stop(); }

void MarkerWriter::stop() {
  {
    std::lock_guard lock(m_lock);
    m_stop = true;
  }
  m_wake.notify_all();
  if (m_thread.joinable()) m_thread.join();
}

bool MarkerWriter::wait_first_ack(Millis wait) {
  std::unique_lock lock(m_lock);
  return m_wake.wait_for(lock, wait, [&] { return !m_acked.empty() || m_stop; }) &&
         !m_acked.empty();
}

void MarkerWriter::run() {
  const std::string now = m_config.engine == EngineKind::mysql ? "NOW(6)" : "now()";
  std::unique_lock lock(m_lock);
  while (!m_stop) {
    const std::int64_t seq = m_next_seq++;
    const auto next = SteadyClock::now() + m_config.interval;
    lock.unlock();
    auto written = execute(m_config, fmt::format("INSERT INTO {} (seq, written_at) VALUES ({}, {})",
                                                 m_config.table, seq, now));
    const Millis at = m_ctx.now();
    lock.lock();
    if (written) {
      m_acked.emplace_back(seq, at);
    } else {
      ++m_failed;
      m_last_error = written.error().message;
    }
    m_wake.notify_all();
    m_wake.wait_until(lock, next, [&] { return m_stop; });
  }
}

reports::MarkerResult MarkerWriter::result() const {
  std::lock_guard lock(m_lock);
  reports::MarkerResult r;
  r.table = m_config.table;
  r.first_seq = m_first_seq;
  r.acknowledged = m_acked.size();
  r.failed_writes = m_failed;
  if (!m_acked.empty()) {
    r.last_acked_seq = m_acked.back().first;
    r.last_acked_at = m_acked.back().second;
  }
  if (m_failed > 0) r.message = fmt::format("last failed write: {}", m_last_error);
  return r;
}

Result<Millis> MarkerWriter::read_after_failover(reports::MarkerResult& out) const {
  std::lock_guard lock(m_lock);
  if (m_acked.empty())
    return make_error(Errc::engine, "no marker was acknowledged before the disaster");
  auto rows = query(m_config, m_config.read,
                    // The acknowledged range only, as after failback: a write that
                    // committed but failed to report it must not count on one
                    // side and not the other ("markers lost" when none was).
                    fmt::format("SELECT max(seq), count(*), max(written_at) FROM {} WHERE seq >= "
                                "{} AND seq <= {}",
                                m_config.table, m_first_seq, m_acked.back().first),
                    m_ctx.drill_deadline);
  if (!rows)
    return Unexpected<Error>(std::move(rows).error().context("read markers after failover"));
  const engine::Row row = rows->rows.empty() ? engine::Row{} : rows->rows[0];
  auto found = row.size() > 0 ? to_int(row[0]) : std::nullopt;
  auto count = row.size() > 1 ? to_int(row[1]) : std::nullopt;
  out.found_count = static_cast<std::size_t>(count.value_or(0));
  const Millis last = m_acked.back().second;
  if (!found) {
    // Every marker of this drill is gone: the loss reaches back at least
    // to the first acknowledged one.
    return last - m_acked.front().second;
  }
  out.found_seq = found;
  out.found_written_at = row.size() > 2 && row[2] ? *row[2] : "";
  // The newest acknowledged marker at or below what was found.
  Millis found_at = m_acked.front().second;
  for (const auto& [seq, at] : m_acked)
    if (seq <= *found) found_at = at;
  if (*found >= m_acked.back().first) found_at = last;
  out.found_at = found_at;
  return last - found_at;
}

Result<void> MarkerWriter::read_after_failback(reports::MarkerResult& out) const {
  std::lock_guard lock(m_lock);
  if (m_acked.empty()) return {};
  auto rows = query(m_config, m_config.write,
                    fmt::format("SELECT count(*), max(seq) FROM {} WHERE seq >= {} AND seq <= {}",
                                m_config.table, m_first_seq, m_acked.back().first),
                    m_ctx.drill_deadline);
  if (!rows)
    return Unexpected<Error>(std::move(rows).error().context("read markers after failback"));
  const engine::Row row = rows->rows.empty() ? engine::Row{} : rows->rows[0];
  out.after_failback_found =
      static_cast<std::size_t>((row.size() > 0 ? to_int(row[0]) : std::nullopt).value_or(0));
  out.after_failback_newest_seq = row.size() > 1 ? to_int(row[1]) : std::nullopt;
  return {};
}

}  // namespace dp::drills
