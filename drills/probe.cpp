// Sockets are opened non-blocking and every wait is a poll() bounded by the
// probe's deadline, so an address that blackholes SYNs or a server that
// accepts and never answers costs at most `timeout`. Messages are short:
// they land in the timeline, one per probe.
#include "drills/probe.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <memory>

#include "verifier/core/child_process.hpp"
#include "verifier/core/fd.hpp"
#include "verifier/core/text.hpp"
#include "verifier/engine/engine.hpp"
#include "verifier/engine/mysql/my_engine.hpp"
#include "verifier/engine/postgres/pg_engine.hpp"

namespace dp::drills {
namespace {

using Clock = std::chrono::steady_clock;

int remaining_ms(Deadline deadline) {
  auto left = std::chrono::duration_cast<Millis>(deadline - Clock::now()).count();
  return static_cast<int>(std::clamp<long long>(left, 0, 1 << 30));
}

// Waits for `events` on fd until the deadline; false on timeout.
bool wait_for(int fd, short events, Deadline deadline) {
  while (true) {
    struct pollfd p {
      fd, events, 0
    };
    int rc = ::poll(&p, 1, remaining_ms(deadline));
    if (rc > 0) return true;
    if (rc == 0) return false;
    if (errno != EINTR) return false;
  }
}

Result<Fd> connect_tcp(const std::string& host, int port, Deadline deadline) {
  const std::string where = fmt::format("{}:{}", host, port);
  struct addrinfo hints {};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  struct addrinfo* found = nullptr;
  int rc = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found);
  if (rc != 0) return make_error(Errc::io, fmt::format("resolve {}: {}", host, ::gai_strerror(rc)));
  std::unique_ptr<struct addrinfo, decltype(&::freeaddrinfo)> list(found, &::freeaddrinfo);
  std::string last = "no address";
  for (auto* ai = list.get(); ai; ai = ai->ai_next) {
    Fd fd(::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol));
    if (!fd.valid()) {
      last = std::strerror(errno);
      continue;
    }
    if (::connect(fd.get(), ai->ai_addr, ai->ai_addrlen) == 0) return fd;
    if (errno != EINPROGRESS) {
      last = std::strerror(errno);
      continue;
    }
    if (!wait_for(fd.get(), POLLOUT, deadline))
      return make_error(Errc::timeout, fmt::format("connect {}: timed out", where));
    int err = 0;
    socklen_t len = sizeof err;
    ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len);
    if (err == 0) return fd;
    last = std::strerror(err);
  }
  return make_error(Errc::io, fmt::format("connect {}: {}", where, last));
}

ProbeOutcome probe_tcp(const config::HealthConfig& h, Deadline deadline) {
  auto fd = connect_tcp(h.host, h.port, deadline);
  if (!fd) return {false, fd.error().message};
  return {true, fmt::format("connected to {}:{}", h.host, h.port)};
}

ProbeOutcome probe_http(const config::HealthConfig& h, Deadline deadline) {
  auto fd = connect_tcp(h.host, h.port, deadline);
  if (!fd) return {false, fd.error().message};
  std::string request = fmt::format(
      "GET {} HTTP/1.1\r\nHost: {}:{}\r\nUser-Agent: drillproof\r\nAccept: */*\r\n"
      "Connection: close\r\n\r\n",
      h.path, h.host, h.port);
  std::string_view rest = request;
  while (!rest.empty()) {
    if (!wait_for(fd->get(), POLLOUT, deadline)) return {false, "HTTP: timed out sending"};
    ssize_t n = ::send(fd->get(), rest.data(), rest.size(), MSG_NOSIGNAL);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n < 0) return {false, fmt::format("HTTP: send: {}", std::strerror(errno))};
    rest.remove_prefix(static_cast<std::size_t>(n));
  }
  // Only the status line matters: "HTTP/1.1 200 OK".
  std::string head;
  char buf[1024];
  while (head.find("\r\n") == std::string::npos && head.size() < 4096) {
    if (!wait_for(fd->get(), POLLIN, deadline)) return {false, "HTTP: no response in time"};
    ssize_t n = ::recv(fd->get(), buf, sizeof buf, 0);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n < 0) return {false, fmt::format("HTTP: recv: {}", std::strerror(errno))};
    if (n == 0) break;
    head.append(buf, static_cast<std::size_t>(n));
  }
  std::string_view line(head);
  line = line.substr(0, line.find("\r\n"));
  if (!line.starts_with("HTTP/") || line.find(' ') == std::string_view::npos)
    return {false, head.empty() ? "HTTP: connection closed without a response"
                                : "HTTP: not an HTTP response"};
  std::string_view code = line.substr(line.find(' ') + 1, 3);
  int status = 0;
  std::from_chars(code.data(), code.data() + code.size(), status);
  if (status == h.expect_status) return {true, fmt::format("HTTP {}", status)};
  return {false, fmt::format("HTTP {}, expected {}", status, h.expect_status)};
}

ProbeOutcome probe_sql(const config::HealthConfig& h, Deadline deadline) {
  engine::ConnectOptions options;
  if (h.engine == EngineKind::mysql) options = engine::mysql::source_options(h.connection);
  options.kind = h.engine;
  if (h.engine == EngineKind::postgres) options.conninfo = h.connection;
  if (h.engine == EngineKind::sqlite) options.database = h.connection;
  options.connect_timeout = h.timeout;
  options.statement_timeout = h.timeout;
  // PostgreSQL: libpq's blocking calls would wait forever on a stopped
  // server, so the whole probe runs against the deadline.
  auto rows = h.engine == EngineKind::postgres
                  ? engine::postgres::query_bounded(options, h.query, deadline, true)
                  : [&]() -> Result<engine::QueryResult> {
    auto db = engine::connect(options);
    if (!db) return Unexpected<Error>(std::move(db).error());
    return (*db)->query(h.query);
  }();
  if (!rows) return {false, rows.error().message};
  std::string first = rows->rows.empty() || rows->rows[0].empty() ? "(no rows)"
                      : !rows->rows[0][0]                         ? "NULL"
                                                                  : *rows->rows[0][0];
  if (h.expect && first != *h.expect)
    return {false, fmt::format("query returned {}, expected {}", first, *h.expect)};
  return {true, fmt::format("query returned {}", first)};
}

std::string last_line(std::string_view text) {
  text = trim(text);
  auto nl = text.rfind('\n');
  return std::string(nl == std::string_view::npos ? text : text.substr(nl + 1));
}

ProbeOutcome probe_cmd(const config::HealthConfig& h) {
  SpawnOptions options;
  options.argv = h.command;
  options.stop_grace = Millis(200);
  auto run = run_captured(std::move(options), h.timeout, 4096);
  if (!run) return {false, run.error().message};
  if (run->status.ok()) return {true, "exit code 0"};
  std::string why = last_line(run->err.empty() ? run->out : run->err);
  return {false, why.empty() ? run->status.describe() : run->status.describe() + ": " + why};
}

}  // namespace

ProbeOutcome run_probe(const config::HealthConfig& health) {
  const Deadline deadline = deadline_in(health.timeout);
  switch (health.type) {
    case config::ProbeKind::tcp:
      return probe_tcp(health, deadline);
    case config::ProbeKind::http:
      return probe_http(health, deadline);
    case config::ProbeKind::sql:
      return probe_sql(health, deadline);
    case config::ProbeKind::cmd:
      return probe_cmd(health);
  }
  return {false, "unknown probe type"};
}

}  // namespace dp::drills
