// [service.health] and [service.marker]. Keys that belong to another probe
// type are named as such ("'url' applies to http probes"), because a probe
// table copied from another service is the usual way they go wrong.
#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "verifier/config/read_service_parts.hpp"
#include "verifier/core/text.hpp"

namespace dp::config::detail {
namespace {

constexpr std::string_view k_common_keys[] = {"type", "interval", "timeout", "success_threshold"};
constexpr std::string_view k_all_probe_keys[] = {
    "type",       "interval", "timeout",       "success_threshold",
    "address",    "url",      "expect_status", "engine",
    "connection", "query",    "expect",        "command"};

std::vector<std::string_view> keys_of(ProbeKind kind) {
  std::vector<std::string_view> keys(std::begin(k_common_keys), std::end(k_common_keys));
  switch (kind) {
    case ProbeKind::tcp:
      keys.push_back("address");
      break;
    case ProbeKind::http:
      keys.insert(keys.end(), {"url", "expect_status"});
      break;
    case ProbeKind::sql:
      keys.insert(keys.end(), {"engine", "connection", "query", "expect"});
      break;
    case ProbeKind::cmd:
      keys.push_back("command");
      break;
  }
  return keys;
}

const char* owner_of(std::string_view key) {
  if (key == "address") return "tcp";
  if (key == "url" || key == "expect_status") return "http";
  if (key == "command") return "cmd";
  return "sql";
}

std::optional<int> parse_port(std::string_view text) {
  int port = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
  if (ec != std::errc() || end != text.data() + text.size() || port < 1 || port > 65535)
    return std::nullopt;
  return port;
}

// "host:port" or "[v6]:port" -> host, port.
bool split_host_port(std::string_view text, std::string& host, int& port) {
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  std::string_view h = text.substr(0, colon);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  auto p = parse_port(text.substr(colon + 1));
  if (h.empty() || !p) return false;
  host = std::string(h);
  port = *p;
  return true;
}

void read_tcp(Reader& reader, const toml::table& table, std::string_view where, HealthConfig& out) {
  auto address = reader.string(table, "address", where, Need::required);
  if (address && !split_host_port(*address, out.host, out.port))
    reader.report(reader.pos(*table.get("address")),
                  fmt::format("'address' must be HOST:PORT such as \"127.0.0.1:5432\", got \"{}\"",
                              *address));
}

void read_http(Reader& reader, const toml::table& table, std::string_view where,
               HealthConfig& out) {
  if (auto url = reader.string(table, "url", where, Need::required)) {
    SourcePos at = reader.pos(*table.get("url"));
    out.url = *url;
    std::string_view rest = *url;
    if (rest.starts_with("https://")) {
      reader.report(at,
                    "https is not supported by http probes; probe a plain http:// endpoint "
                    "(for example the service's loopback health port)");
    } else if (!rest.starts_with("http://")) {
      reader.report(at, fmt::format("'url' must start with http://, got \"{}\"", *url));
    } else {
      rest.remove_prefix(7);
      auto slash = rest.find('/');
      std::string_view authority = rest.substr(0, slash);
      out.path = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
      bool ok = authority.find(':') == std::string_view::npos || authority.back() == ']'
                    ? (out.host = std::string(authority), out.port = 80, !authority.empty())
                    : split_host_port(authority, out.host, out.port);
      if (!ok || authority.find('@') != std::string_view::npos)
        reader.report(at, fmt::format("'url' has no usable host[:port]: \"{}\"", *url));
    }
  }
  if (auto status = reader.integer(table, "expect_status", where, Need::optional)) {
    if (*status < 100 || *status > 599)
      reader.report(reader.pos(*table.get("expect_status")),
                    fmt::format("'expect_status' must be an HTTP status 100-599, got {}", *status));
    else
      out.expect_status = static_cast<int>(*status);
  }
}

void read_sql(Reader& reader, const toml::table& table, std::string_view where, HealthConfig& out) {
  if (auto engine = reader.string(table, "engine", where, Need::required)) {
    auto kind = parse_engine_kind(*engine);
    if (!kind)
      reader.report(
          reader.pos(*table.get("engine")),
          fmt::format("unknown engine '{}'; expected postgres, mysql or sqlite", *engine));
    else
      out.engine = *kind;
  }
  if (auto conn = reader.string(table, "connection", where, Need::required)) {
    SourcePos at = reader.pos(*table.get("connection"));
    if (conn->empty()) reader.report(at, "'connection' must not be empty");
    if (conninfo_has_password(*conn))
      reader.report(at,
                    "'connection' must not contain a password: put it in PGPASSWORD, "
                    "~/.pgpass or MYSQL_PWD");
    out.connection = *conn;
  }
  if (auto query = reader.string(table, "query", where, Need::optional)) {
    if (trim(*query).empty())
      reader.report(reader.pos(*table.get("query")), "'query' must not be empty");
    out.query = *query;
  }
  out.expect = reader.string(table, "expect", where, Need::optional);
}

void read_cmd(Reader& reader, const toml::table& table, std::string_view where, HealthConfig& out) {
  auto command = reader.string_list(table, "command", where, Need::required);
  if (!command) return;
  if (command->empty() || command->front().empty())
    reader.report(reader.pos(*table.get("command")),
                  "'command' must name a program: [\"program\", \"arg\", ...]");
  else
    out.command = *command;
}

}  // namespace

HealthConfig read_health(Reader& reader, const toml::node& node, std::string_view service) {
  HealthConfig out;
  out.pos = reader.pos(node);
  const std::string where = fmt::format("[service.health] of '{}'", service);
  const auto* table = node.as_table();
  if (!table) {
    reader.report(reader.pos(node),
                  fmt::format("'health' must be a table such as {{ type = \"tcp\", address = "
                              "\"127.0.0.1:5432\" }}, got {}",
                              type_name(node)));
    return out;
  }
  auto type = reader.string(*table, "type", where, Need::required);
  std::optional<ProbeKind> kind;
  if (type) {
    if (*type == "tcp") kind = ProbeKind::tcp;
    if (*type == "http") kind = ProbeKind::http;
    if (*type == "sql") kind = ProbeKind::sql;
    if (*type == "cmd") kind = ProbeKind::cmd;
    if (!kind)
      reader.report(reader.pos(*table->get("type")),
                    fmt::format("unknown probe type '{}'; expected tcp, http, sql or cmd", *type));
  }
  if (!kind) {
    reader.reject_unknown_keys(*table, where, k_all_probe_keys);
    return out;
  }
  out.type = *kind;
  const auto allowed = keys_of(*kind);
  for (auto&& [key, value] : *table) {
    if (std::find(allowed.begin(), allowed.end(), key.str()) != allowed.end()) continue;
    if (std::find(std::begin(k_all_probe_keys), std::end(k_all_probe_keys), key.str()) !=
        std::end(k_all_probe_keys))
      reader.report(reader.pos(key.source()), fmt::format("'{}' applies to {} probes, not {}",
                                                          key.str(), owner_of(key.str()), *type));
    else
      reader.report(reader.pos(key.source()),
                    fmt::format("unknown key '{}' in {}; expected one of: {}", key.str(), where,
                                join(std::span<const std::string_view>(allowed))));
  }
  switch (*kind) {
    case ProbeKind::tcp:
      read_tcp(reader, *table, where, out);
      break;
    case ProbeKind::http:
      read_http(reader, *table, where, out);
      break;
    case ProbeKind::sql:
      read_sql(reader, *table, where, out);
      break;
    case ProbeKind::cmd:
      read_cmd(reader, *table, where, out);
      break;
  }
  if (auto d = reader.duration(*table, "interval", where, Need::optional)) out.interval = *d;
  if (auto d = reader.duration(*table, "timeout", where, Need::optional)) out.timeout = *d;
  if (auto n = reader.integer(*table, "success_threshold", where, Need::optional)) {
    if (*n < 1 || *n > 1000)
      reader.report(reader.pos(*table->get("success_threshold")),
                    fmt::format("'success_threshold' must be 1 to 1000, got {}", *n));
    else
      out.success_threshold = static_cast<int>(*n);
  }
  return out;
}

MarkerConfig read_marker(Reader& reader, const toml::node& node, std::string_view service) {
  MarkerConfig out;
  out.pos = reader.pos(node);
  const std::string where = fmt::format("[service.marker] of '{}'", service);
  const auto* table = node.as_table();
  if (!table) {
    reader.report(reader.pos(node),
                  fmt::format("'marker' must be a table, got {}", type_name(node)));
    return out;
  }
  static constexpr std::string_view k_keys[] = {"engine", "write",    "read",
                                                "table",  "interval", "warmup"};
  reader.reject_unknown_keys(*table, where, k_keys);
  if (auto engine = reader.string(*table, "engine", where, Need::required)) {
    auto kind = parse_engine_kind(*engine);
    if (kind == EngineKind::postgres || kind == EngineKind::mysql)
      out.engine = *kind;
    else
      reader.report(reader.pos(*table->get("engine")),
                    fmt::format("marker engine must be postgres or mysql, got '{}'", *engine));
  }
  for (const char* key : {"write", "read"}) {
    auto text = reader.string(*table, key, where, key[0] == 'w' ? Need::required : Need::optional);
    if (!text) continue;
    SourcePos at = reader.pos(*table->get(key));
    if (text->empty()) reader.report(at, fmt::format("'{}' must not be empty", key));
    if (conninfo_has_password(*text))
      reader.report(at, fmt::format("'{}' must not contain a password: put it in PGPASSWORD, "
                                    "~/.pgpass or MYSQL_PWD",
                                    key));
    (key[0] == 'w' ? out.write : out.read) = *text;
  }
  if (out.read.empty()) out.read = out.write;
  if (auto name = reader.string(*table, "table", where, Need::optional)) {
    bool ok = !name->empty() && !(name->front() >= '0' && name->front() <= '9') &&
              std::all_of(name->begin(), name->end(), [](char c) {
                return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       c == '_' || c == '.';
              });
    if (!ok)
      reader.report(reader.pos(*table->get("table")),
                    fmt::format("marker 'table' must be a plain [schema.]name of letters, digits "
                                "and '_', got \"{}\"",
                                *name));
    else
      out.table = *name;
  }
  if (auto d = reader.duration(*table, "interval", where, Need::optional)) out.interval = *d;
  if (auto d = reader.duration(*table, "warmup", where, Need::optional)) out.warmup = *d;
  return out;
}

}  // namespace dp::config::detail
