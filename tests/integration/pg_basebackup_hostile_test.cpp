// Integration: hostile tar base backups. A base.tar is rewritten with
// python3's tarfile to carry what pg_basebackup never writes -- pg_wal as a
// symlink out of the copy, a symlink to /etc/hostname, a FIFO, a device
// node -- and the drill must refuse it before anything is hashed, restored
// or written outside the scratch directory.
#include <fmt/format.h>

#include "tests/integration/pg_basebackup_fixture.hpp"

namespace dp::test {
namespace {

// Rewrites `copy`/base.tar: members named in `drop` (and everything below
// them) are left out, then `extra` (python statements adding TarInfo
// members to `out`) runs.
void rewrite_base_tar(const fs::path& copy, const std::string& drop, const std::string& extra) {
  fs::path script = copy.parent_path() / "rewrite.py";
  write_text(script, fmt::format(R"(import io, sys, tarfile
src = sys.argv[1]
with tarfile.open(src) as inp:
    members = [(m, inp.extractfile(m).read() if m.isfile() else None) for m in inp.getmembers()]
drop = "{}"
with tarfile.open(src, "w", format=tarfile.GNU_FORMAT) as out:
    for m, data in members:
        name = m.name[2:] if m.name.startswith("./") else m.name  # pg_basebackup writes "./pg_wal/..."
        if drop and (name == drop or name.startswith(drop + "/")):
            continue
        out.addfile(m, io.BytesIO(data) if data is not None else None)
{}
)",
                                 drop, extra));
  SpawnOptions o;
  o.argv = {"python3", script.string(), (copy / "base.tar").string()};
  auto run = run_captured(std::move(o), 2min);
  ASSERT_TRUE(run && run->status.ok()) << (run ? run->err : run.error().message);
}

std::string add_member(const std::string& name, const std::string& type,
                       const std::string& more = "") {
  return fmt::format("    t = tarfile.TarInfo(\"{}\"); t.type = tarfile.{}; {}\n    out.addfile(t)",
                     name, type, more);
}

// HIGH: pg_wal in base.tar is a symlink to a directory outside; pg_wal.tar
// extracted "into pg_wal" would write there as root. The drill refuses it
// in the manifest phase (the tar is extracted there first) and, with
// verify_manifest = false, in the restore phase; the outside directory
// stays empty.
TEST_F(PgBasebackup, TarWithPgWalSymlinkIsRefusedAndNothingIsWrittenOutside) {
  fs::path copy = copy_of("tar");
  fs::path outside = dir() / "outside";
  fs::create_directory(outside);
  rewrite_base_tar(
      copy, "pg_wal",
      add_member("pg_wal", "SYMTYPE", fmt::format("t.linkname = \"{}\"", outside.string())));
  const std::string expected = fmt::format(
      "{}: member pg_wal is a symbolic link to {}; drillproof restores only regular files and "
      "directories from a base backup",
      (copy / "base.tar").string(), outside.string());

  auto run = drill(plan(copy));
  EXPECT_EQ(run.exit_code, 3) << run.out << run.err;
  auto report = read_json(out() / "report.json");
  const auto& phases = report["backups"][0]["phases"];
  EXPECT_EQ(phases[0]["name"], "manifest");
  EXPECT_EQ(phases[0]["status"], "error");
  EXPECT_EQ(phases[0]["message"], expected);
  EXPECT_EQ(phases[1]["name"], "restore");
  EXPECT_EQ(phases[1]["status"], "skipped");
  EXPECT_TRUE(fs::is_empty(outside));
  EXPECT_TRUE(leftovers(tmp()).empty());

  fs::remove_all(out());
  run = drill(plan(copy, "verify_manifest = false"));
  EXPECT_EQ(run.exit_code, 3) << run.out << run.err;
  report = read_json(out() / "report.json");
  const auto& restore = report["backups"][0]["phases"][1];
  EXPECT_EQ(restore["name"], "restore");
  EXPECT_EQ(restore["status"], "error");
  EXPECT_EQ(restore["message"], expected);
  EXPECT_TRUE(fs::is_empty(outside));
  EXPECT_TRUE(leftovers(tmp()).empty());
  EXPECT_TRUE(processes_mentioning(tmp().string()).empty());
}

// MEDIUM: a symlink to /etc/hostname, a FIFO and a character device in
// base.tar are each refused by name before the manifest phase hashes
// anything (the manifest does not even list them: the finding would
// otherwise be "extra", after reading through the link).
TEST_F(PgBasebackup, TarWithSymlinkFifoOrDeviceIsRefused) {
  struct Case {
    std::string member, what;
  };
  const Case cases[] = {
      {add_member("global/hostname", "SYMTYPE", "t.linkname = \"/etc/hostname\""),
       "member global/hostname is a symbolic link to /etc/hostname"},
      {add_member("pg_stat/pipe", "FIFOTYPE"), "member pg_stat/pipe is a FIFO"},
      {add_member("pg_stat/null", "CHRTYPE", "t.devmajor = 1; t.devminor = 3"),
       "member pg_stat/null is a character device"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    fs::path copy = dir() / "hostile";
    fs::remove_all(copy);
    fs::copy(backup("tar"), copy, fs::copy_options::recursive);
    rewrite_base_tar(copy, "", c.member);
    fs::remove_all(out());
    auto run = drill(plan(copy));
    EXPECT_EQ(run.exit_code, 3) << run.out << run.err;
    auto report = read_json(out() / "report.json");
    const auto& phases = report["backups"][0]["phases"];
    EXPECT_EQ(phases[0]["name"], "manifest");
    EXPECT_EQ(phases[0]["status"], "error");
    EXPECT_EQ(phases[0]["message"],
              fmt::format("{}: {}; drillproof restores only regular files and directories from "
                          "a base backup",
                          (copy / "base.tar").string(), c.what));
    EXPECT_EQ(phases[1]["status"], "skipped");
    EXPECT_TRUE(leftovers(tmp()).empty());
  }
}

}  // namespace
}  // namespace dp::test
