// [failover] and [[service]]: the failover drill's plan keys, with exact
// file:line:col diagnostics for each way a service graph goes wrong.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "verifier/config/config.hpp"

namespace dp::config {
namespace {

const char* k_file = "/plans/dr.toml";

std::string at(int line, int col, const std::string& message) {
  return fmt::format("{}:{}:{}: {}", k_file, line, col, message);
}

Result<Config, Diagnostics> parse_plan(const std::string& body) {
  return parse("[plan]\nname = \"dr\"\n" + body, k_file, {});
}

std::vector<std::string> errors(const std::string& body) {
  auto result = parse_plan(body);
  std::vector<std::string> out;
  if (result) return out;
  for (const auto& d : result.error()) out.push_back(d.format());
  return out;
}

// Line 3 is the first line of `body`.
constexpr const char* k_good = R"([failover]
deadline = "30m"
phases = ["failover", "failback"]

[[service]]
name = "db"
disaster = ["pg_ctl", "stop", "-D", "/x", "-m", "immediate"]
failover = ["/opt/dr/db-failover.sh"]
failback = { command = "pg_rewind && promote", shell = true, env = { PGHOST = "/tmp" }, cwd = "dr" }
timeout = "5m"
rto = "10m"
rpo = "1m"
[service.health]
type = "sql"
engine = "postgres"
connection = "host=/tmp/s port=5432 dbname=app user=postgres"
query = "SELECT 1"
expect = "1"
interval = "200ms"
timeout = "500ms"
success_threshold = 3
[service.marker]
engine = "postgres"
write = "host=/tmp/a dbname=app"
read = "host=/tmp/b dbname=app"
interval = "100ms"
warmup = "750ms"

[[service]]
name = "api"
depends_on = ["db"]
failover = ["/opt/dr/api-failover.sh", "--region", "secondary"]
failback = ["/opt/dr/api-failback.sh"]
drain = ["/opt/dr/api-drain.sh"]
health = { type = "http", url = "http://127.0.0.1:8080/health", expect_status = 204 }

[[service]]
name = "lb"
depends_on = ["api"]
failover = ["true"]
failback = ["true"]
health = { type = "tcp", address = "127.0.0.1:8443" }
)";

TEST(ServiceConfigTest, ReadsEveryKey) {
  auto config = parse_plan(k_good);
  ASSERT_TRUE(config) << fmt::format("{}", config.error().front().format());
  EXPECT_TRUE(config->backups.empty());
  EXPECT_EQ(config->failover.deadline, std::chrono::minutes(30));
  EXPECT_TRUE(config->failover.failback);
  ASSERT_EQ(config->services.size(), 3u);
  const ServiceConfig& db = config->services[0];
  EXPECT_EQ(db.name, "db");
  ASSERT_TRUE(db.disaster);
  EXPECT_EQ(db.disaster->argv.back(), "immediate");
  EXPECT_EQ(db.failover.argv, std::vector<std::string>{"/opt/dr/db-failover.sh"});
  ASSERT_TRUE(db.failback);
  EXPECT_TRUE(db.failback->shell);
  EXPECT_EQ(db.failback->argv, (std::vector<std::string>{"/bin/sh", "-c", "pg_rewind && promote"}));
  EXPECT_EQ(db.failback->env,
            (std::vector<std::pair<std::string, std::string>>{{"PGHOST", "/tmp"}}));
  EXPECT_EQ(db.failback->cwd, "/plans/dr");
  EXPECT_EQ(db.timeout, std::chrono::minutes(5));
  EXPECT_EQ(db.rto, std::chrono::minutes(10));
  EXPECT_EQ(db.rpo, std::chrono::minutes(1));
  EXPECT_EQ(db.health.type, ProbeKind::sql);
  EXPECT_EQ(db.health.expect, "1");
  EXPECT_EQ(db.health.interval, std::chrono::milliseconds(200));
  EXPECT_EQ(db.health.timeout, std::chrono::milliseconds(500));
  EXPECT_EQ(db.health.success_threshold, 3);
  ASSERT_TRUE(db.marker);
  EXPECT_EQ(db.marker->read, "host=/tmp/b dbname=app");
  EXPECT_EQ(db.marker->table, "drillproof_rpo_markers");
  EXPECT_EQ(db.marker->interval, std::chrono::milliseconds(100));
  EXPECT_EQ(db.marker->warmup, std::chrono::milliseconds(750));
  EXPECT_EQ(config::MarkerConfig{}.warmup, std::chrono::seconds(2));
  const ServiceConfig& api = config->services[1];
  EXPECT_EQ(api.depends_on, std::vector<std::string>{"db"});
  EXPECT_EQ(api.health.type, ProbeKind::http);
  EXPECT_EQ(api.health.host, "127.0.0.1");
  EXPECT_EQ(api.health.port, 8080);
  EXPECT_EQ(api.health.path, "/health");
  EXPECT_EQ(api.health.expect_status, 204);
  EXPECT_EQ(api.health.success_threshold, 1);
  ASSERT_TRUE(api.drain);
  EXPECT_EQ(config->services[2].health.port, 8443);
}

TEST(ServiceConfigTest, UnknownDependencyIsReportedAtTheName) {
  auto out = errors(R"([[service]]
name = "api"
depends_on = ["db", "queue"]
failover = ["true"]
failback = ["true"]
health = { type = "cmd", command = ["true"] }
[[service]]
name = "db"
failover = ["true"]
failback = ["true"]
health = { type = "cmd", command = ["true"] }
)");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0],
            at(5, 21, "service 'api' depends on unknown service 'queue'; services: api, db"));
}

// An rpo nothing can measure is a plan error at the key, not a drill that
// passes without judging it.
TEST(ServiceConfigTest, RpoWithoutMarkerIsRejectedAtTheKey) {
  auto out = errors(R"([[service]]
name = "queue"
failover = ["true"]
failback = ["true"]
rpo = "1m"
health = { type = "cmd", command = ["true"] }
)");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], at(7, 1,
                       "service 'queue' sets rpo but has no [service.marker] to measure it; add a "
                       "marker writer or remove rpo"));
}

TEST(ServiceConfigTest, CycleIsNamedAtItsFirstService) {
  auto out = errors(R"([[service]]
name = "lb"
failover = ["true"]
failback = ["true"]
health = { type = "cmd", command = ["true"] }
[[service]]
name = "db"
depends_on = ["api"]
failover = ["true"]
failback = ["true"]
health = { type = "cmd", command = ["true"] }
[[service]]
name = "api"
depends_on = ["db"]
failover = ["true"]
failback = ["true"]
health = { type = "cmd", command = ["true"] }
[[service]]
name = "self"
depends_on = ["self"]
failover = ["true"]
failback = ["true"]
health = { type = "cmd", command = ["true"] }
)");
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0], at(8, 1, "dependency cycle: db -> api -> db"));
  EXPECT_EQ(out[1], at(20, 1, "dependency cycle: self -> self"));
}

TEST(ServiceConfigTest, MissingActionsAndHealth) {
  auto out = errors(R"([[service]]
name = "db"
)");
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0], at(3, 1, "[[service]] is missing required key 'failover'"));
  EXPECT_EQ(out[1], at(3, 1,
                       "service 'db' has no failback action; add failback = [...] or run only the "
                       "failover phase with [failover] phases = [\"failover\"]"));
  EXPECT_EQ(out[2], at(3, 1, "[[service]] is missing required key 'health'"));
  // Failover only: no failback needed.
  EXPECT_TRUE(errors(R"([failover]
phases = ["failover"]
[[service]]
name = "db"
failover = ["true"]
health = { type = "cmd", command = ["true"] }
)")
                  .empty());
}

TEST(ServiceConfigTest, BadActions) {
  auto out = errors(R"([[service]]
name = "db"
failover = "/opt/dr/failover.sh --now"
failback = { command = "/opt/dr/failback.sh" }
drain = []
disaster = { command = ["x"], shell = true, colour = 1 }
health = { type = "cmd", command = ["true"] }
)");
  ASSERT_EQ(out.size(), 5u) << fmt::format("{}", fmt::join(out, "\n"));
  EXPECT_EQ(out[0], at(5, 12,
                       "'failover' must be an argv array such as [\"/opt/dr/failover.sh\"] or a "
                       "table { command = [...], env = {...}, cwd = \"...\", shell = false }, got "
                       "string"));
  EXPECT_EQ(out[1], at(6, 24,
                       "'command' must be an argv array such as [\"/opt/dr/failover.sh\", "
                       "\"--now\"]\nhint: set shell = true to run one string through /bin/sh -c"));
  EXPECT_EQ(out[2], at(7, 9, "'drain' must name a program: [\"program\", \"arg\", ...]"));
  EXPECT_EQ(out[3], at(8, 24,
                       "with shell = true, 'command' must be one non-empty string run by "
                       "/bin/sh -c"));
  EXPECT_EQ(
      out[4].rfind(at(8, 45, "unknown key 'colour' in 'disaster' action; expected one of: "), 0),
      0u)
      << out[4];
}

TEST(ServiceConfigTest, BadProbes) {
  auto out = errors(R"([[service]]
name = "a"
failover = ["true"]
failback = ["true"]
health = { type = "tcp", address = "localhost", url = "http://x/" }
[[service]]
name = "b"
failover = ["true"]
failback = ["true"]
health = { type = "http", url = "https://127.0.0.1/health", success_threshold = 0 }
[[service]]
name = "c"
failover = ["true"]
failback = ["true"]
health = { type = "ping" }
[[service]]
name = "d"
failover = ["true"]
failback = ["true"]
health = { type = "sql", engine = "oracle", connection = "host=/tmp password=x" }
)");
  ASSERT_EQ(out.size(), 7u) << fmt::format("{}", fmt::join(out, "\n"));
  EXPECT_EQ(out[0], at(7, 36,
                       "'address' must be HOST:PORT such as \"127.0.0.1:5432\", got "
                       "\"localhost\""));
  EXPECT_EQ(out[1], at(7, 49, "'url' applies to http probes, not tcp"));
  EXPECT_EQ(out[2], at(12, 33,
                       "https is not supported by http probes; probe a plain http:// "
                       "endpoint (for example the service's loopback health port)"));
  EXPECT_EQ(out[3], at(12, 81, "'success_threshold' must be 1 to 1000, got 0"));
  EXPECT_EQ(out[4], at(17, 19, "unknown probe type 'ping'; expected tcp, http, sql or cmd"));
  EXPECT_EQ(out[5], at(22, 35, "unknown engine 'oracle'; expected postgres, mysql or sqlite"));
  EXPECT_EQ(out[6], at(22, 58,
                       "'connection' must not contain a password: put it in PGPASSWORD, "
                       "~/.pgpass or MYSQL_PWD"));
}

TEST(ServiceConfigTest, DuplicateNamesAndBadPhases) {
  auto out = errors(R"([failover]
phases = ["failback"]
[[service]]
name = "db"
failover = ["true"]
health = { type = "cmd", command = ["true"] }
[[service]]
name = "db"
failover = ["true"]
health = { type = "cmd", command = ["true"] }
)");
  ASSERT_EQ(out.size(), 2u) << fmt::format("{}", fmt::join(out, "\n"));
  EXPECT_EQ(out[0], at(4, 10, "'phases' must be [\"failover\"] or [\"failover\", \"failback\"]"));
  EXPECT_EQ(out[1], at(10, 8, "duplicate service name 'db' (first at line 6)"));
}

TEST(ServiceConfigTest, PlanWithNeitherBackupsNorServices) {
  auto out = errors("");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], at(1, 1,
                       "no [[backup]] or [[service]] entries; a plan needs at least one "
                       "[[backup]] or [[service]] table"));
}

}  // namespace
}  // namespace dp::config
