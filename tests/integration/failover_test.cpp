// Integration: a real failover and failback drill (issue 7 item 4). A
// PostgreSQL primary (node a) with a streaming-replication standby (node b),
// an API stand-in that answers only while its database is a read-write
// primary, and HAProxy in front of it, all on loopback and unix sockets.
// The built binary runs tests/integration/failover/plan.toml.in: disaster =
// the primary crashes; failover = promote b, repoint the API, reload HAProxy;
// failback = drain HAProxy, pg_rewind a and switch back, repoint, reload.
// The scripts are in tests/integration/failover/ (by-hand.sh runs them
// without drillproof).
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <optional>
#include <thread>

#include "drills/pg_scratch.hpp"
#include "tests/integration/support.hpp"
#include "verifier/core/text.hpp"

namespace dp::test {
namespace {

using nlohmann::json;

fs::path scripts() { return fs::path(DP_SOURCE_DIR) / "tests/integration/failover"; }

bool on_path(const std::string& tool) {
  for (const char* dir : {"/usr/sbin", "/usr/bin", "/sbin", "/bin"})
    if (::access((fs::path(dir) / tool).c_str(), X_OK) == 0) return true;
  return false;
}

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
  return text;
}

CapturedRun run_script(const std::string& name, const fs::path& state) {
  SpawnOptions o;
  o.argv = {(scripts() / name).string(), state.string()};
  auto run = run_captured(std::move(o), std::chrono::minutes(2));
  if (!run) return CapturedRun{{-1, 0}, "", run.error().message};
  return std::move(*run);
}

// The scratch servers and the state dir of one drill. The destructor runs
// teardown.sh (by pid: postmasters, API stand-in, every HAProxy) on every
// path, including a failed ASSERT and a setup that stopped half-way.
class Stack {
 public:
  explicit Stack(fs::path state) : m_state(std::move(state)) {}
  Stack(const Stack&) = delete;
  Stack& operator=(const Stack&) = delete;
  ~Stack() {
    auto down = run_script("teardown.sh", m_state);
    if (!down.status.ok()) std::cerr << "teardown.sh: " << down.status.describe() << down.err;
  }

  // setup.sh; "" on success, else what it printed.
  std::string setup() {
    auto up = run_script("setup.sh", m_state);
    if (!up.status.ok()) return up.status.describe() + "\n" + up.err + tail("actions.log");
    for (const auto& line : split(read_text(m_state / "ports.env"), '\n')) {
      auto eq = line.find('=');
      if (eq != std::string::npos) m_ports[line.substr(0, eq)] = line.substr(eq + 1);
    }
    return "";
  }
  const std::string& port(const std::string& name) { return m_ports[name]; }
  const fs::path& state() const { return m_state; }

  // The plan with this stack's ports and paths filled in.
  std::string plan(const std::string& api_timeout) {
    std::string text = read_text(scripts() / "plan.toml.in");
    for (const auto& [key, value] :
         std::vector<std::pair<std::string, std::string>>{{"@SCRIPTS@", scripts().string()},
                                                          {"@STATE@", m_state.string()},
                                                          {"@SOCK@", (m_state / "sock").string()},
                                                          {"@API_TIMEOUT@", api_timeout}})
      text = replace_all(text, key, value);
    for (const auto& [name, value] : m_ports) text = replace_all(text, "@" + name + "@", value);
    return text;
  }

  // One value from node a or b ("error: ..." when it does not answer).
  std::string psql(const std::string& node, const std::string& sql) {
    auto bin = drills::find_pg_binaries("");
    if (!bin) return "error: " + bin.error().message;
    SpawnOptions o;
    o.argv = {(bin->bindir / "psql").string(),
              "-X",
              "-At",
              "-v",
              "ON_ERROR_STOP=1",
              "-h",
              (m_state / "sock").string(),
              "-p",
              port(node == "a" ? "PG_A_PORT" : "PG_B_PORT"),
              "-U",
              "postgres",
              "-d",
              "app",
              "-c",
              sql};
    auto run = run_captured(std::move(o), std::chrono::seconds(30));
    if (!run) return "error: " + run.error().message;
    return run->status.ok() ? std::string(trim(run->out)) : "error: " + run->err;
  }

  // The last lines of a file in the state dir, for failure messages.
  std::string tail(const std::string& file) const {
    return "\n--- " + file + ":\n" + tail_lines(read_text(m_state / file), 40);
  }
  std::string logs() const {
    return tail("actions.log") + tail("a/server.log") + tail("b/server.log") + tail("api.log");
  }

 private:
  fs::path m_state;
  std::map<std::string, std::string> m_ports;
};

constexpr const char* k_orders_digest =
    "SELECT count(*) || ' ' || md5(string_agg(item, ',' ORDER BY id)) FROM orders";

const json* service(const json& failover, const std::string& name) {
  for (const auto& s : failover["services"])
    if (s["name"] == name) return &s;
  return nullptr;
}
const json* step(const json& s, const std::string& phase) {
  for (const auto& st : s["steps"])
    if (st["phase"] == phase) return &st;
  return nullptr;
}
const json* objective(const json& s, const std::string& name) {
  for (const auto& o : s["objectives"])
    if (o["name"] == name) return &o;
  return nullptr;
}
std::vector<std::string> phases(const json& s) {
  std::vector<std::string> out;
  for (const auto& st : s["steps"]) out.push_back(st["phase"]);
  return out;
}

class FailoverDrill : public ::testing::Test {
 protected:
  void SetUp() override {
    auto bin = drills::find_pg_binaries("");
    DP_REQUIRE_OR_SKIP(bin.has_value(), "PostgreSQL is not installed");
    DP_REQUIRE_OR_SKIP(fs::exists(bin->bindir / "pg_rewind") && fs::exists(bin->bindir / "pg_ctl"),
                       "pg_rewind or pg_ctl missing from " + bin->bindir.string());
    DP_REQUIRE_OR_SKIP(on_path("haproxy"), "haproxy is not installed (apt-get install haproxy)");
    for (const char* tool : {"python3", "socat", "curl", "runuser"})
      DP_REQUIRE_OR_SKIP(on_path(tool), std::string(tool) + " is not installed");
    m_dir.emplace(world_dir("dp-failover-"));
    fs::create_directories(state());
    ::chmod(state().c_str(), 0755);
  }
  void TearDown() override {
    if (HasFailure() && m_dir) {
      m_dir->keep();
      std::cerr << "kept " << m_dir->path() << "\n";
    }
  }

  fs::path dir() const { return m_dir->path(); }
  fs::path state() const { return dir() / "state"; }
  fs::path out() const { return dir() / "report"; }

  CliRun drill(const std::string& plan_text) {
    write_text(dir() / "plan.toml", plan_text);
    return run_cli({"run", (dir() / "plan.toml").string(), "--out", out().string()},
                   {{"TMPDIR", dir().string()}}, std::chrono::minutes(4));
  }

  std::optional<TempDir> m_dir;
};

TEST_F(FailoverDrill, FailsOverAndBackInDependencyOrderWithMeasuredObjectives) {
  Stack stack(state());
  std::string up = stack.setup();
  ASSERT_EQ(up, "") << stack.logs();

  // Application data written before the disaster, on the standby too (a
  // crash can only lose what had not been replicated yet).
  ASSERT_EQ(stack.psql("a",
                       "CREATE TABLE orders AS SELECT g AS id, md5(g::text) AS item "
                       "FROM generate_series(1, 1000) g"),
            "SELECT 1000");
  const std::string orders_digest = stack.psql("a", k_orders_digest);
  for (int i = 0; i < 300 && stack.psql("b", k_orders_digest) != orders_digest; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ASSERT_EQ(stack.psql("b", k_orders_digest), orders_digest) << stack.logs();

  auto run = drill(stack.plan("30s"));
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err << stack.logs();
  ASSERT_TRUE(fs::exists(out() / "report.json")) << run.err;
  const json report = read_json(out() / "report.json");
  ASSERT_TRUE(report.contains("failover")) << report.dump(2);
  const json& f = report["failover"];
  EXPECT_EQ(f["status"], "passed") << f.dump(2);
  EXPECT_EQ(f["levels"], json::parse(R"([["db"], ["api"], ["lb"]])"));
  EXPECT_EQ(f["order"]["status"], "passed") << f["order"].dump();
  EXPECT_TRUE(f["order"]["violations"].empty()) << f["order"].dump();
  EXPECT_EQ(f["t0_source"], "disaster");
  ASSERT_TRUE(f["t0_s"].is_number());
  const double t0 = f["t0_s"];

  const json* db = service(f, "db");
  const json* api = service(f, "api");
  const json* lb = service(f, "lb");
  ASSERT_TRUE(db && api && lb) << f.dump(2);
  EXPECT_EQ(phases(*db), (std::vector<std::string>{"disaster", "failover", "drain", "failback"}));
  EXPECT_EQ(phases(*api), (std::vector<std::string>{"failover", "failback"}));
  EXPECT_EQ(phases(*lb), (std::vector<std::string>{"failover", "drain", "failback"}));
  for (const json* s : {db, api, lb}) {
    EXPECT_EQ((*s)["status"], "passed") << s->dump(2);
    for (const auto& st : (*s)["steps"]) EXPECT_EQ(st["status"], "passed") << st.dump(2);
  }

  // The order, from the timeline itself: an action starts only after every
  // dependency has reached its health threshold in the same phase, and the
  // failback drain comes after the whole failover.
  for (const char* phase : {"failover", "failback"}) {
    for (auto [dependent, dependency] : {std::pair{api, db}, std::pair{lb, api}}) {
      const json* a = step(*dependent, phase);
      const json* d = step(*dependency, phase);
      ASSERT_TRUE(a && d);
      ASSERT_TRUE((*a)["action_start_s"].is_number() && (*d)["healthy_from_s"].is_number());
      EXPECT_GE((*a)["action_start_s"].get<double>(), (*d)["healthy_from_s"].get<double>())
          << phase << ": " << (*dependent)["name"] << " started before " << (*dependency)["name"]
          << " was healthy";
    }
  }
  EXPECT_GE((*step(*db, "failover"))["action_start_s"].get<double>(), t0);
  EXPECT_GE((*step(*lb, "drain"))["action_start_s"].get<double>(),
            (*step(*lb, "failover"))["healthy_from_s"].get<double>());
  // Drains in reverse (traffic first, data last), then failback forward.
  EXPECT_GE((*step(*db, "drain"))["action_start_s"].get<double>(),
            (*step(*lb, "drain"))["action_end_s"].get<double>());
  EXPECT_GE((*step(*db, "failback"))["action_start_s"].get<double>(),
            (*step(*db, "drain"))["action_end_s"].get<double>());
  // ...and from the scripts' own log, which drillproof does not write.
  std::vector<std::string> ran;
  for (const auto& line : split(read_text(state() / "actions.log"), '\n')) {
    auto fields = split(line, ' ');
    if (fields.size() >= 2 && fields[1] != "setup.sh" && fields[1] != "teardown.sh" &&
        (ran.empty() || ran.back() != fields[1]))
      ran.push_back(fields[1]);
  }
  EXPECT_EQ(ran, (std::vector<std::string>{"disaster.sh", "db-failover.sh", "api-repoint.sh",
                                           "lb-reload.sh", "lb-drain.sh", "db-drain.sh",
                                           "db-failback.sh", "api-repoint.sh", "lb-reload.sh"}))
      << stack.tail("actions.log");

  // Measured objectives: every service's RTO, the system's, the database's RPO.
  ASSERT_TRUE(f["system_rto_s"].is_number()) << f.dump(2);
  double slowest = 0;
  for (const json* s : {db, api, lb}) {
    const json* rto = objective(*s, "rto");
    ASSERT_TRUE(rto) << s->dump(2);
    EXPECT_EQ((*rto)["status"], "passed") << rto->dump();
    ASSERT_TRUE((*rto)["achieved_s"].is_number()) << rto->dump();
    const double achieved = (*rto)["achieved_s"];
    EXPECT_GT(achieved, 0.0);
    // Both sides are whole milliseconds printed as seconds.
    EXPECT_NEAR(achieved, (*step(*s, "failover"))["healthy_from_s"].get<double>() - t0, 0.0015);
    slowest = std::max(slowest, achieved);
  }
  EXPECT_NEAR(f["system_rto_s"].get<double>(), slowest, 0.0005);
  // Traffic comes back last: the load balancer cannot be healthy before the API.
  EXPECT_GE((*objective(*lb, "rto"))["achieved_s"].get<double>(),
            (*objective(*api, "rto"))["achieved_s"].get<double>());
  const json* rpo = objective(*db, "rpo");
  ASSERT_TRUE(rpo) << db->dump(2);
  EXPECT_EQ((*rpo)["status"], "passed") << rpo->dump();
  ASSERT_TRUE((*rpo)["achieved_s"].is_number()) << rpo->dump();
  EXPECT_GE((*rpo)["achieved_s"].get<double>(), 0.0);
  EXPECT_EQ((*rpo)["objective"], "5s");

  // Markers: those on the standby at failover are all on the original
  // primary after pg_rewind and the switch back, as drillproof reports and as
  // we read them ourselves.
  const json& m = (*db)["marker"];
  ASSERT_TRUE(m.is_object()) << db->dump(2);
  EXPECT_EQ(m["status"], "passed") << m.dump(2);
  ASSERT_TRUE(m["found_seq"].is_number_integer() && m["found_count"].is_number_integer())
      << m.dump(2);
  const std::int64_t first = m["first_seq"], found = m["found_seq"];
  const std::int64_t found_count = m["found_count"];
  EXPECT_GE(found_count, 1);
  EXPECT_LE(found, m["last_acked_seq"].get<std::int64_t>());
  ASSERT_TRUE(m["after_failback_found"].is_number_integer()) << m.dump(2);
  EXPECT_GE(m["after_failback_found"].get<std::int64_t>(), found_count);
  EXPECT_EQ(stack.psql("a", "SELECT pg_is_in_recovery()"), "f") << stack.logs();
  EXPECT_EQ(stack.psql("a", fmt::format("SELECT count(*) FROM drillproof_rpo_markers WHERE seq "
                                        "BETWEEN {} AND {}",
                                        first, found)),
            std::to_string(found_count));
  // Written before the disaster: at the latest while the crash was under way.
  const double disaster_end = (*step(*db, "disaster"))["action_end_s"];
  EXPECT_EQ(stack.psql("a", fmt::format("SELECT count(*) FROM drillproof_rpo_markers WHERE seq "
                                        "BETWEEN {} AND {} AND written_at <= '{}'::timestamptz + "
                                        "interval '{:.3f} seconds'",
                                        first, found, f["started"].get<std::string>(),
                                        disaster_end + 1.0)),
            std::to_string(found_count));

  // Data from before the disaster, and the row written on b while failed
  // over (db-drain.sh), are on a after pg_rewind and the switch back.
  EXPECT_EQ(stack.psql("a", k_orders_digest), orders_digest);
  EXPECT_EQ(stack.psql("a", "SELECT node || ': ' || event FROM drill_log"),
            "b: drained before failback");

  // The pair is as it was: a primary with b streaming from it, the API on a.
  EXPECT_EQ(stack.psql("b", "SELECT pg_is_in_recovery()"), "t");
  EXPECT_EQ(stack.psql("a", "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'"),
            "1");
  EXPECT_EQ(std::string(trim(read_text(state() / "api.target"))), stack.port("PG_A_PORT"));

  EXPECT_EQ(junit_schema_check(out() / "junit.xml"), 0);
}

// Negative control on the same real stack: the API's failover action
// "forgets" to repoint it, so it keeps asking the crashed primary and never
// becomes healthy. Its step fails on the timeout, the load balancer is
// skipped as blocked by the API, failback does not run, and the drill fails.
TEST_F(FailoverDrill, ApiLeftOnTheDeadPrimaryFailsAndBlocksTheLoadBalancer) {
  Stack stack(state());
  std::string up = stack.setup();
  ASSERT_EQ(up, "") << stack.logs();

  std::string plan = stack.plan("4s");
  const std::string repoint = fmt::format(R"(failover = ["{}/api-repoint.sh", "{}"])",
                                          scripts().string(), state().string());
  ASSERT_NE(plan.find(repoint), std::string::npos);
  plan = replace_all(plan, repoint, R"(failover = ["/bin/true"])");
  auto run = drill(plan);
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err << stack.logs();
  const json report = read_json(out() / "report.json");
  const json& f = report["failover"];
  EXPECT_EQ(f["status"], "failed") << f.dump(2);

  const json* db = service(f, "db");
  const json* api = service(f, "api");
  const json* lb = service(f, "lb");
  ASSERT_TRUE(db && api && lb) << f.dump(2);
  EXPECT_EQ((*step(*db, "failover"))["status"], "passed") << db->dump(2);
  const json* api_failover = step(*api, "failover");
  ASSERT_TRUE(api_failover);
  EXPECT_EQ((*api_failover)["status"], "failed") << api_failover->dump(2);
  EXPECT_TRUE((*api_failover)["healthy_from_s"].is_null());
  EXPECT_EQ((*api_failover)["probe_passes"], 0) << api_failover->dump(2);
  // What the API said to its probe: it still uses the crashed primary's port.
  bool saw_old_db = false;
  for (const auto& p : (*api_failover)["probes"])
    saw_old_db = saw_old_db || p["message"].get<std::string>().find("503") != std::string::npos;
  EXPECT_TRUE(saw_old_db) << api_failover->dump(2);
  EXPECT_EQ(std::string(trim(read_text(state() / "api.target"))), stack.port("PG_A_PORT"));

  const json* lb_failover = step(*lb, "failover");
  ASSERT_TRUE(lb_failover);
  EXPECT_EQ((*lb_failover)["status"], "skipped");
  EXPECT_EQ((*lb_failover)["blocked_by"], "api");
  EXPECT_EQ((*lb_failover)["message"], "blocked by api");
  EXPECT_TRUE((*lb_failover)["action_start_s"].is_null());
  for (const json* s : {db, api, lb})
    if (const json* back = step(*s, "failback")) {
      EXPECT_EQ((*back)["status"], "skipped");
    }
  // Never healthy with an rto set: a missed objective, not an unmeasured one.
  EXPECT_EQ((*objective(*api, "rto"))["status"], "failed");
  EXPECT_EQ((*objective(*api, "rto"))["message"],
            "not healthy within 4s of the failover; objective 2m");
  EXPECT_TRUE(f["system_rto_s"].is_null());
  // The database failed over: its RPO is measured although the API's
  // failover failed (each service is judged on its own failover).
  const json* rpo = objective(*db, "rpo");
  ASSERT_TRUE(rpo) << db->dump(2);
  EXPECT_EQ((*rpo)["status"], "passed") << rpo->dump();
  EXPECT_TRUE((*rpo)["achieved_s"].is_number()) << rpo->dump();
  EXPECT_EQ((*db)["marker"]["status"], "passed") << db->dump(2);
  // The load balancer's script never ran: only the disaster and the db's failover did.
  std::string actions = read_text(state() / "actions.log");
  EXPECT_EQ(actions.find("lb-reload.sh"), std::string::npos) << actions;
  EXPECT_EQ(actions.find("db-failback.sh"), std::string::npos) << actions;
}

}  // namespace
}  // namespace dp::test
