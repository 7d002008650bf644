// Integration: report.html from a real drill, opened in Debian's headless
// Chromium. A SQLite table named <script>alert(1)</script> must show up as
// text, the page must log nothing to the console (Chromium reports script
// errors, uncaught exceptions and CSP violations there), and a screenshot is
// kept as a test artifact for people to look at.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cctype>

#include "tests/integration/support.hpp"

namespace dp::test {
namespace {

constexpr const char* k_chromium = "/usr/bin/chromium";
constexpr const char* k_table = "<script>alert(1)</script>";
constexpr const char* k_table_escaped = "&lt;script&gt;alert(1)&lt;/script&gt;";

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// Lines of Chromium's log written on behalf of the page. Chromium 156 logs
// page console output, uncaught exceptions and CSP violations as
//   [pid:tid:time:INFO:CONSOLE:4] "Uncaught ReferenceError: ...", source: file:///... (4)
// Its own noise (dbus, vaapi, gpu sandbox, bluetooth) never carries these
// markers; a deliberately broken page proves that in ChromiumLogsPageErrors.
std::vector<std::string> page_console_lines(const std::string& log) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < log.size()) {
    std::size_t end = log.find('\n', start);
    if (end == std::string::npos) end = log.size();
    const std::string line = log.substr(start, end - start);
    if (line.find(":CONSOLE") != std::string::npos || line.find("CONSOLE(") != std::string::npos ||
        line.find("Uncaught") != std::string::npos ||
        line.find("Content Security Policy") != std::string::npos)
      lines.push_back(line);
    start = end + 1;
  }
  return lines;
}

class HtmlBrowser : public ::testing::Test {
 protected:
  void SetUp() override {
    m_dir.emplace(world_dir("dp-html-"));
    fs::create_directories(home());
  }
  fs::path dir() const { return m_dir->path(); }
  fs::path home() const { return dir() / "home"; }

  // Headless Chromium with its own HOME and profile inside the temp dir, so
  // it writes nothing into the real home. --no-sandbox: tests run as root.
  CliRun chromium(const std::vector<std::string>& args) const {
    SpawnOptions o;
    o.argv = {k_chromium,
              "--headless=new",
              "--no-sandbox",
              "--disable-gpu",
              "--no-first-run",
              "--disable-extensions",
              "--hide-scrollbars",
              "--enable-logging=stderr",
              "--v=0",
              "--user-data-dir=" + (home() / "profile").string()};
    o.argv.insert(o.argv.end(), args.begin(), args.end());
    o.env = {{"HOME", home().string()},
             {"XDG_CONFIG_HOME", (home() / ".config").string()},
             {"XDG_CACHE_HOME", (home() / ".cache").string()}};
    auto run = run_captured(std::move(o), std::chrono::seconds(90));
    if (!run) return {-1, "", run.error().message};
    return {run->status.signal ? 128 + run->status.signal : run->status.code, run->out, run->err};
  }

  static std::string file_url(const fs::path& p) { return "file://" + fs::absolute(p).string(); }

  void sqlite(const fs::path& db, const std::string& sql) const {
    SpawnOptions o;
    o.argv = {"sqlite3", db.string(), sql};
    auto run = run_captured(std::move(o), std::chrono::seconds(60));
    ASSERT_TRUE(run && run->status.ok()) << (run ? run->err : run.error().message);
  }

  // A database with the hostile table, its snapshot, and a plan that
  // checks the table by name and every table against the snapshot.
  fs::path make_plan() const {
    const fs::path db = dir() / "shop.sqlite";
    sqlite(db, fmt::format(
                   "CREATE TABLE \"{0}\" (id INTEGER PRIMARY KEY, note TEXT NOT NULL);"
                   "INSERT INTO \"{0}\" (note) VALUES ('<b>bold</b>'), ('a & b'), ('\"quoted\"');"
                   "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT);"
                   "INSERT INTO customers (name) VALUES ('Ada'), ('Grace');",
                   k_table));
    auto snap = run_cli({"snapshot", "--engine", "sqlite", "--source", db.string(), "--out",
                         (dir() / "shop.snapshot.json").string()});
    EXPECT_EQ(snap.exit_code, 0) << snap.out << snap.err;
    const fs::path plan = dir() / "plan.toml";
    write_text(plan, fmt::format(R"([plan]
name = "shop nightly {0}"
owner = "dba-team"
rto = "5m"

[[backup]]
name = "shop"
engine = "sqlite"
path = "{1}"
snapshot = "{2}"

[[backup.check]]
type = "row_count"
table = "{0}"
min = 3

[[backup.check]]
type = "row_counts"

[[backup.check]]
type = "schema"

[[backup.check]]
type = "query"
name = "<img src=x onerror=alert(2)>"
sql = "SELECT count(*) FROM \"{0}\" WHERE note LIKE '%<b>%'"
expect = 1
)",
                                 k_table, db.string(), (dir() / "shop.snapshot.json").string()));
    return plan;
  }

  CliRun drill(const fs::path& plan, const fs::path& out,
               const std::vector<std::string>& extra = {}) const {
    std::vector<std::string> args = {"run",        plan.string(), "--out",
                                     out.string(), "--history",   (dir() / "history").string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_cli(args, {{"TMPDIR", dir().string()}});
  }

  std::optional<TempDir> m_dir;
};

// Negative control for the log filter: a page with a script error and a
// CSP violation must produce console lines, or the test below proves nothing.
TEST_F(HtmlBrowser, ChromiumLogsPageErrors) {
  DP_REQUIRE_OR_SKIP(fs::exists(k_chromium), "chromium not installed at /usr/bin/chromium");
  const fs::path bad = dir() / "bad.html";
  write_text(bad,
             "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><meta "
             "http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src "
             "data:\"><title>bad</title></head><body><p>x</p><script>undefinedFunction();"
             "</script></body></html>\n");
  const fs::path broken = dir() / "broken.html";
  write_text(broken,
             "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>broken</title></head>"
             "<body><script>undefinedFunction();</script></body></html>\n");
  auto csp = chromium({"--dump-dom", file_url(bad)});
  ASSERT_EQ(csp.exit_code, 0) << csp.err;
  const auto csp_lines = page_console_lines(csp.err);
  ASSERT_FALSE(csp_lines.empty()) << csp.err;
  EXPECT_NE(csp_lines[0].find("Content Security Policy"), std::string::npos) << csp_lines[0];
  auto uncaught = chromium({"--dump-dom", file_url(broken)});
  ASSERT_EQ(uncaught.exit_code, 0) << uncaught.err;
  const auto lines = page_console_lines(uncaught.err);
  ASSERT_FALSE(lines.empty()) << uncaught.err;
  EXPECT_NE(lines[0].find("Uncaught ReferenceError"), std::string::npos) << lines[0];
}

TEST_F(HtmlBrowser, HostileTableNameRendersAsTextWithoutConsoleErrors) {
  DP_REQUIRE_OR_SKIP(fs::exists(k_chromium), "chromium not installed at /usr/bin/chromium");
  DP_REQUIRE_OR_SKIP(find_program("sqlite3").has_value(), "sqlite3 CLI not installed");
  const fs::path plan = make_plan();
  const fs::path db = dir() / "shop.sqlite";

  // First a clean, unsigned drill (it passes), then a signed one with one
  // more row than the snapshot knows: row_counts fails for the hostile
  // table, with a finding naming it.
  auto passed = drill(plan, dir() / "report-1");
  ASSERT_EQ(passed.exit_code, 0) << passed.out << passed.err;
  sqlite(db, fmt::format("INSERT INTO \"{}\" (note) VALUES ('late row');", k_table));
  auto keys = run_cli({"keygen", "--out", (dir() / "keys").string()});
  ASSERT_EQ(keys.exit_code, 0) << keys.out << keys.err;
  const auto at = keys.out.find("fingerprint: sha256:");
  ASSERT_NE(at, std::string::npos) << keys.out;
  const std::string fingerprint = keys.out.substr(at + 20, 64);
  const fs::path out = dir() / "report-2";
  auto failed =
      drill(plan, out, {"--sign-key", (dir() / "keys" / "drillproof-signing.key").string()});
  ASSERT_EQ(failed.exit_code, 1) << failed.out << failed.err;

  const std::string html = read_text(out / "report.html");
  EXPECT_EQ(lower(html).find("<script"), std::string::npos);
  EXPECT_NE(html.find(k_table_escaped), std::string::npos);

  for (const auto& [report, verdict] :
       {std::pair{dir() / "report-1", "PASSED"}, std::pair{out, "FAILED"}}) {
    auto dom = chromium({"--dump-dom", file_url(report / "report.html")});
    ASSERT_EQ(dom.exit_code, 0) << dom.err;
    EXPECT_NE(dom.out.find(fmt::format("<div class=\"verdict-word\">{}</div>", verdict)),
              std::string::npos)
        << dom.out.substr(0, 4000);
    // The DOM Chromium built holds the names as text nodes: serialised
    // escaped, and no element was made from them.
    EXPECT_NE(dom.out.find(k_table_escaped), std::string::npos);
    EXPECT_NE(dom.out.find("&lt;img src=x onerror=alert(2)&gt;"), std::string::npos);
    EXPECT_EQ(lower(dom.out).find("<script"), std::string::npos);
    EXPECT_EQ(lower(dom.out).find("<img"), std::string::npos);
    EXPECT_NE(dom.out.find("<svg class=\"chart gantt\""), std::string::npos);
    EXPECT_NE(dom.out.find("<svg class=\"chart calendar\""), std::string::npos);
    const auto console = page_console_lines(dom.err);
    EXPECT_TRUE(console.empty()) << "page console output:\n"
                                 << fmt::format("{}", fmt::join(console, "\n"));
  }
  auto unsigned_dom = chromium({"--dump-dom", file_url(dir() / "report-1" / "report.html")});
  EXPECT_NE(unsigned_dom.out.find("<strong>UNSIGNED RUN.</strong>"), std::string::npos);
  auto dom = chromium({"--dump-dom", file_url(out / "report.html")});
  EXPECT_NE(dom.out.find(fmt::format("<code class=\"fp\">{}</code>", fingerprint)),
            std::string::npos)
      << fingerprint;
  EXPECT_EQ(dom.out.find("UNSIGNED"), std::string::npos);
  // The failing object and its finding, named by the hostile table.
  EXPECT_NE(dom.out.find(fmt::format("<td class=\"obj\">main.{}</td>", k_table_escaped)),
            std::string::npos);
  EXPECT_NE(dom.out.find("4 rows, snapshot has 3"), std::string::npos);
  // Two runs in the history: today is one failed and one passed run.
  // (Across midnight UTC the two runs fall on two days.)
  EXPECT_TRUE(dom.out.find("2 runs: 1 passed, 1 failed, 0 error") != std::string::npos ||
              dom.out.find("1 run: 1 passed, 0 failed, 0 error") != std::string::npos)
      << dom.out;

  const fs::path artifacts = fs::path(DP_BINARY).parent_path() / "test-artifacts";
  fs::create_directories(artifacts);
  const fs::path png = artifacts / "report.png";
  fs::remove(png);
  auto shot = chromium(
      {"--screenshot=" + png.string(), "--window-size=1280,2000", file_url(out / "report.html")});
  ASSERT_EQ(shot.exit_code, 0) << shot.err;
  EXPECT_TRUE(page_console_lines(shot.err).empty()) << shot.err;
  ASSERT_TRUE(fs::exists(png)) << shot.err;
  EXPECT_GT(fs::file_size(png), 50'000U);  // a blank 1280x2000 page is a few KB
  const std::string bytes = read_text(png);
  EXPECT_EQ(bytes.substr(0, 8), "\x89PNG\r\n\x1a\n");
  fs::copy_file(out / "report.html", artifacts / "report.html",
                fs::copy_options::overwrite_existing);
}

}  // namespace
}  // namespace dp::test
