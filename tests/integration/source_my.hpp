#pragma once
// A source MariaDB server for integration tests, started exactly as the tool
// starts scratch servers (drills::MyScratch), loaded with the real mariadb
// client, dumped with the real mariadb-dump and backed up with the real
// mariadb-backup.
#include <optional>

#include "drills/my_scratch.hpp"
#include "tests/integration/support.hpp"
#include "verifier/core/text.hpp"

namespace dp::test {

class SourceMy {
 public:
  // Starts the server; nullopt (with `why`) when MariaDB is not installed.
  static std::optional<SourceMy> start(std::string& why) {
    auto bin = drills::find_my_binaries("");
    if (!bin) {
      why = bin.error().message;
      return std::nullopt;
    }
    if (bin->backup.empty()) {
      why = "mariadb-backup is not installed";
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
    if (auto ok = scratch->launch(); !ok) {
      why = ok.error().message;
      return std::nullopt;
    }
    return SourceMy(std::move(*scratch));
  }

  const drills::MyScratch& scratch() const { return m_scratch; }

  Result<CapturedRun> run(const fs::path& tool, std::vector<std::string> args,
                          const fs::path& stdin_file = {}) const {
    SpawnOptions o;
    o.argv = {tool.string(), "--no-defaults", "--socket=" + m_scratch.socket().string(),
              "--user=root"};
    o.argv.insert(o.argv.end(), args.begin(), args.end());
    if (!stdin_file.empty()) o.in = Redirect::from_file(stdin_file);
    return run_captured(std::move(o), std::chrono::minutes(5), std::size_t{1} << 28);
  }

  // mariadb < file; returns stderr on failure.
  std::string load(const fs::path& file) const {
    auto r = run(m_scratch.binaries().client, {"--batch"}, file);
    if (!r) return r.error().message;
    return r->status.ok() ? "" : r->err;
  }

  // mariadb -e; "" on success, else "error: ...".
  std::string sql(const std::string& statements, const std::string& database = "") const {
    std::vector<std::string> args = {"--batch", "-e", statements};
    if (!database.empty()) args.push_back(database);
    auto r = run(m_scratch.binaries().client, args);
    if (!r) return "error: " + r.error().message;
    return r->status.ok() ? "" : "error: " + r->err;
  }

  // mariadb-dump DATABASE > out; returns stderr on failure.
  std::string dump(const std::string& database, const fs::path& out) const {
    fs::path dumper = m_scratch.binaries().client.parent_path() / "mariadb-dump";
    auto r = run(dumper, {database});
    if (!r) return r.error().message;
    if (!r->status.ok()) return r->err;
    write_text(out, r->out);
    return "";
  }

  // mariadb-backup --backup --target-dir=DIR; returns its output on failure.
  std::string backup(const fs::path& dir) const {
    auto r = run(m_scratch.binaries().backup, {"--backup", "--target-dir=" + dir.string()});
    if (!r) return r.error().message;
    return r->status.ok() ? "" : tail_lines(r->err, 20);
  }

 private:
  explicit SourceMy(drills::MyScratch s) : m_scratch(std::move(s)) {}
  drills::MyScratch m_scratch;
};

}  // namespace dp::test
