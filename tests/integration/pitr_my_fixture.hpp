#pragma once
// A MariaDB source with binary logging (log_bin in its scratch directory,
// binlog_format=ROW, server_id=1) for the point-in-time recovery tests. The
// data directory comes from drills::MyScratch::initialize like every other
// test server; the server is started here because the tool's scratch
// servers run with --skip-log-bin.
#include <fmt/format.h>
#include <unistd.h>

#include <optional>

#include "drills/my_scratch.hpp"
#include "tests/integration/support.hpp"
#include "verifier/core/text.hpp"
#include "verifier/engine/mysql/my_engine.hpp"

namespace dp::test {

class BinlogSourceMy {
 public:
  static std::optional<BinlogSourceMy> start(std::string& why) {
    auto bin = drills::find_my_binaries("");
    if (!bin) {
      why = bin.error().message;
      return std::nullopt;
    }
    auto user = server_user("mysql");
    if (!user) {
      why = user.error().message;
      return std::nullopt;
    }
    auto scratch = drills::MyScratch::create(*bin, {*user, std::chrono::seconds(60), false});
    if (!scratch) {
      why = scratch.error().message;
      return std::nullopt;
    }
    if (auto ok = scratch->initialize(); !ok) {
      why = ok.error().message;
      return std::nullopt;
    }
    BinlogSourceMy source(std::move(*scratch));
    const drills::MyScratch& s = source.m_scratch;
    SpawnOptions server;
    server.argv = {bin->server.string(),
                   "--no-defaults",
                   "--datadir=" + s.data_dir().string(),
                   "--socket=" + s.socket().string(),
                   "--pid-file=" + (s.dir() / "mysql.pid").string(),
                   "--log-error=" + s.log_file().string(),
                   "--tmpdir=" + s.dir().string()};
    for (const auto& a : drills::my_server_args())
      if (a != "--skip-log-bin") server.argv.push_back(a);
    for (const char* a : {"--server-id=1", "--binlog-format=ROW", "--binlog-checksum=CRC32"})
      server.argv.push_back(a);
    server.argv.push_back("--log-bin=" + source.binlog_base().string());
    server.run_as = *user;
    server.env = {{"TZ", "UTC"}, {"TMPDIR", s.dir().string()}};
    server.out = Redirect::to_file(s.dir() / "server.stdout");
    server.err = Redirect::to_file(s.dir() / "server.stderr");
    server.stop_signal = SIGKILL;
    server.die_with_parent = true;
    auto child = ChildProcess::spawn(std::move(server));
    if (!child) {
      why = child.error().message;
      return std::nullopt;
    }
    source.m_server.emplace(std::move(*child));
    for (int i = 0; i < 600; ++i) {
      if (source.m_server->poll()) break;
      if (engine::mysql::ping(s.connect_options(""))) return source;
      ::usleep(100'000);
    }
    why = "mariadbd with log_bin did not start: " + read_file_tail(s.log_file(), 2000);
    return std::nullopt;
  }

  const drills::MyScratch& scratch() const { return m_scratch; }
  fs::path binlog_base() const { return m_scratch.dir() / "mysql-bin"; }

  Result<CapturedRun> run(const fs::path& tool, std::vector<std::string> args) const {
    SpawnOptions o;
    o.argv = {tool.string(), "--no-defaults", "--socket=" + m_scratch.socket().string(),
              "--user=root"};
    o.argv.insert(o.argv.end(), args.begin(), args.end());
    o.env = {{"TZ", "UTC"}};
    return run_captured(std::move(o), std::chrono::minutes(5), std::size_t{1} << 28);
  }

  // mariadb -e; "" on success, else "error: ...". `out` gets stdout.
  std::string sql(const std::string& statements, std::string* out = nullptr) const {
    auto r = run(m_scratch.binaries().client, {"--batch", "--skip-column-names", "-e", statements});
    if (!r) return "error: " + r.error().message;
    if (out) *out = r->out;
    return r->status.ok() ? "" : "error: " + r->err;
  }

  // mariadb-dump ARGS... > out; returns stderr on failure.
  std::string dump(std::vector<std::string> args, const fs::path& out) const {
    fs::path dumper = m_scratch.binaries().client.parent_path() / "mariadb-dump";
    auto r = run(dumper, std::move(args));
    if (!r) return r.error().message;
    if (!r->status.ok()) return r->err;
    write_text(out, r->out);
    return "";
  }

 private:
  explicit BinlogSourceMy(drills::MyScratch s) : m_scratch(std::move(s)) {}
  drills::MyScratch m_scratch;
  std::optional<ChildProcess> m_server;  // destroyed (killed) before the directory
};

}  // namespace dp::test
