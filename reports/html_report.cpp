// report.html: the page around the sections (html_backup.cpp,
// html_compliance.cpp) and charts (html_charts.cpp). Built by appending
// escaped text to fixed markup; every string that comes from the plan, a
// database, a tool or an error message passes through html_escape. The
// page carries a CSP that forbids scripts and every fetch except inline
// styles and data: images, so even a missed escape could not run or load
// anything; and it has no <script> of its own, so nothing is lost by that.
#include "reports/html_report.hpp"

#include <fmt/format.h>

#include <string_view>

#include "reports/failover_parts.hpp"
#include "reports/html_parts.hpp"
#include "reports/utf8.hpp"
#include "verifier/core/duration.hpp"
#include "verifier/core/text.hpp"

namespace dp::reports {
namespace {

using detail::status_badge;

constexpr std::string_view k_csp = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

// Kept in one place so print and screen stay consistent; light colours only
// in print (no dark backgrounds), and each backup avoids page breaks.
constexpr std::string_view k_style = R"css(
:root{--pass:#1a7f37;--fail:#cf222e;--err:#bc4c00;--skip:#6e7781;--ink:#1f2328;--muted:#59636e;--line:#d0d7de;--soft:#f6f8fa}
*{box-sizing:border-box}
html{-webkit-print-color-adjust:exact;print-color-adjust:exact}
body{margin:0;font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","DejaVu Sans","Helvetica Neue",Arial,sans-serif;color:var(--ink);background:#fff}
main{max-width:1120px;margin:0 auto;padding:0 28px 40px}
.verdict{padding:26px 0;color:#fff;background:var(--skip)}
.verdict-inner{max-width:1120px;margin:0 auto;padding:0 28px;display:flex;align-items:center;gap:28px}
.v-passed{background:var(--pass)}.v-failed{background:var(--fail)}.v-error{background:var(--err)}
.verdict-word{font-size:46px;font-weight:800;letter-spacing:.05em;line-height:1;padding:14px 22px;border:3px solid currentColor;border-radius:10px;white-space:nowrap}
.verdict h1{margin:0;font-size:26px;line-height:1.25;word-break:break-word}
.verdict p{margin:6px 0 0}
.flag{display:inline-block;margin-top:10px;padding:3px 12px;border-radius:4px;background:#fff;color:var(--err);font-weight:800;letter-spacing:.06em}
.alert{margin:22px 0;padding:14px 18px;border:2px solid var(--fail);border-left-width:12px;border-radius:6px;background:#fff4f4}
.alert strong{color:var(--fail)}
.signed-ok{margin:16px 0;padding:12px 18px;border:1px solid var(--pass);border-left-width:12px;border-radius:6px;background:#f1faf3}
nav.toc{margin:18px 0 0;padding:10px 14px;background:var(--soft);border:1px solid var(--line);border-radius:6px;font-size:13px}
nav.toc a{margin-right:14px;color:#0550ae;text-decoration:none}
h2{font-size:21px;margin:34px 0 12px;padding-bottom:6px;border-bottom:1px solid var(--line)}
h3{font-size:15px;margin:22px 0 6px;text-transform:uppercase;letter-spacing:.04em;color:#424a53}
dl.facts{display:grid;grid-template-columns:repeat(auto-fill,minmax(250px,1fr));gap:10px 24px;margin:12px 0}
dl.facts div{border-left:3px solid var(--line);padding-left:10px;min-width:0}
dt{font-size:11.5px;color:var(--muted);text-transform:uppercase;letter-spacing:.05em}
dd{margin:0;word-break:break-word}
code,pre{font-family:ui-monospace,"SFMono-Regular","DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:12.5px}
pre{background:var(--soft);border:1px solid var(--line);border-radius:6px;padding:10px 12px;white-space:pre-wrap;word-break:break-word;margin:6px 0}
table.data{border-collapse:collapse;width:100%;margin:8px 0 16px}
table.data th{text-align:left;font-size:11.5px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted);border-bottom:2px solid var(--line);padding:6px 8px}
table.data td{border-bottom:1px solid var(--line);padding:6px 8px;vertical-align:top;overflow-wrap:break-word}
td.msg,td.obj,td.name,table.data td code{overflow-wrap:anywhere}
td.nw,.badge,.sev{white-space:nowrap}
.msg{white-space:pre-wrap}
.badge{display:inline-block;padding:1px 9px;border-radius:999px;font-size:11.5px;font-weight:700;color:#fff;text-transform:uppercase;letter-spacing:.04em;background:var(--skip);border:1px solid transparent}
.badge.st-passed{background:var(--pass)}.badge.st-failed{background:var(--fail)}.badge.st-error{background:var(--err)}
section.backup{border:1px solid var(--line);border-top:6px solid var(--skip);border-radius:8px;padding:2px 24px 14px;margin:24px 0;break-inside:avoid;page-break-inside:avoid}
.edge-passed{border-top-color:var(--pass)!important}.edge-failed{border-top-color:var(--fail)!important}.edge-error{border-top-color:var(--err)!important}
section.backup h2{border:0;margin-top:18px;word-break:break-word}
.index{display:inline-block;min-width:30px;padding:0 8px;margin-right:6px;border-radius:6px;background:var(--soft);border:1px solid var(--line);text-align:center;color:var(--muted)}
details.evidence{border:1px solid var(--line);border-radius:6px;margin:8px 0;padding:0 14px}
details.evidence>summary{cursor:pointer;padding:8px 0}
ul.findings{margin:4px 0;padding-left:18px}
.sev{display:inline-block;font-size:10.5px;font-weight:700;text-transform:uppercase;padding:0 6px;border-radius:3px;border:1px solid currentColor}
.sev-error{color:var(--fail)}.sev-warning{color:var(--err)}.sev-info{color:var(--muted)}
.target{font-weight:600}
pre.evidence{margin:4px 0 8px;padding:6px 8px;font-size:12px}
.output-title{font-size:12px;color:var(--muted);margin-top:10px}
.omitted,.muted,.note{color:var(--muted)}
.omitted{font-style:italic}
.cs{display:inline-block;padding:2px 10px;border-radius:4px;font-weight:700;font-size:12px;white-space:nowrap}
.cs-met{background:#dafbe1;color:#116329}.cs-not-met{background:#ffebe9;color:#a40e26}.cs-incomplete{background:#fff1d6;color:#8a3c00}
td.clause{font-weight:700;white-space:nowrap}
.fp{font-size:13px;word-break:break-all}
svg.chart{display:block;max-width:100%;height:auto;margin:8px 0 12px}
svg text{font-family:system-ui,"Noto Sans","DejaVu Sans",Arial,sans-serif;font-size:12px;fill:var(--ink)}
svg text.label{font-weight:600}
svg text.muted,svg text.tick,svg text.day-detail{fill:var(--muted)}
svg text.tick{font-size:11px}
svg text.not-measured{fill:var(--muted);font-style:italic}
svg .track{fill:var(--soft)}
svg .obj-bar{fill:#afb8c1}
svg .obj-mark{stroke:#424a53;stroke-width:2;stroke-dasharray:4 2}
svg rect.st-passed{fill:var(--pass)}svg rect.st-failed{fill:var(--fail)}svg rect.st-error{fill:var(--err)}svg rect.st-skipped{fill:#afb8c1}
svg text.st-text-failed{fill:var(--fail);font-weight:700}svg text.st-text-passed{fill:var(--pass)}
svg .grid{stroke:#eaeef2}svg .axis{stroke:#8c959f}
svg .wait-bar{fill:#d0d7de}svg .probe-pass{stroke:var(--pass);stroke-width:1}svg .probe-fail{stroke:var(--fail);stroke-width:1}
svg .healthy{fill:#fff;stroke:var(--pass);stroke-width:2}svg .t0-line{stroke:var(--fail);stroke-width:2;stroke-dasharray:6 3}
svg rect.day{stroke:var(--line);stroke-width:1;fill:#fff}
svg rect.day-passed{fill:#d2f4dc;stroke:var(--pass)}svg rect.day-failed{fill:#ffdcd7;stroke:var(--fail)}
svg rect.day-error{fill:#ffe9c7;stroke:var(--err)}svg rect.day-missed{fill:#fff;stroke:var(--fail);stroke-width:2;stroke-dasharray:5 3}
svg rect.day-no-data{fill:#eef1f4;stroke:#eef1f4}svg rect.overdue{stroke-dasharray:5 3}
svg rect.current{stroke:var(--ink);stroke-width:2.5;stroke-dasharray:none}
svg text.day-date{font-weight:700}svg text.day-detail{font-size:10.5px}svg text.weekday{font-size:11px;fill:var(--muted)}
footer{margin-top:36px;padding-top:12px;border-top:1px solid var(--line);font-size:12px;color:var(--muted)}
@media print{
@page{margin:14mm}
body{font-size:11.5px}
main{max-width:none;padding:0}
nav.toc{display:none}
.verdict{background:#fff!important;color:var(--ink);border:4px solid var(--skip);padding:14px 0}
.verdict-inner{max-width:none;padding:0 18px}
.v-passed{border-color:var(--pass)}.v-failed{border-color:var(--fail)}.v-error{border-color:var(--err)}
.v-passed .verdict-word{color:var(--pass)}.v-failed .verdict-word{color:var(--fail)}.v-error .verdict-word{color:var(--err)}
.flag{border:2px solid var(--err)}
.badge{background:#fff!important;color:var(--ink);border-color:currentColor}
.badge.st-passed{color:var(--pass)}.badge.st-failed{color:var(--fail)}.badge.st-error{color:var(--err)}
section.backup{break-inside:avoid;page-break-inside:avoid}
svg.chart{max-width:none;break-inside:avoid;page-break-inside:avoid}
h2,h3{break-after:avoid;page-break-after:avoid}
tr,pre,li{break-inside:avoid}
a{color:inherit;text-decoration:none}
}
)css";

std::string esc(std::string_view s) { return html_escape(s); }

const char* verdict_word(Status s) {
  switch (s) {
    case Status::passed:
      return "PASSED";
    case Status::failed:
      return "FAILED";
    case Status::error:
      return "ERROR";
    case Status::skipped:
      return "SKIPPED";
  }
  return "ERROR";
}

const char* verdict_sentence(Status s) {
  switch (s) {
    case Status::passed:
      return "Every backup in scope was restored, met its objectives and passed every check.";
    case Status::failed:
      return "At least one backup failed a check, missed an objective or could not be restored.";
    case Status::error:
      return "At least one backup could not be tested (an error, not a finding), so this run "
             "does not prove it can be recovered.";
    case Status::skipped:
      return "No backup was tested.";
  }
  return "";
}

// A plan with only services drilled no backup: say what was drilled instead.
const char* failover_sentence(Status s) {
  switch (s) {
    case Status::passed:
      return "Every service failed over (and back, when planned) in dependency order, became "
             "healthy and met its objectives.";
    case Status::failed:
      return "At least one service failed a step, missed an objective, or the order was "
             "violated.";
    case Status::error:
      return "At least one step could not be run (an error, not a finding), so this run does not "
             "prove the services can be recovered.";
    case Status::skipped:
      return "No service was drilled.";
  }
  return "";
}

std::string head(const RunReport& report, Status verdict) {
  return fmt::format(
             "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
             "<meta http-equiv=\"Content-Security-Policy\" content=\"{}\">\n"
             "<meta name=\"referrer\" content=\"no-referrer\">\n"
             "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
             "<meta name=\"generator\" content=\"drillproof {}\">\n"
             "<link rel=\"icon\" href=\"data:,\">\n<title>{} \u2014 {} \u2014 drillproof</title>\n",
             k_csp, esc(report.tool_version), verdict_word(verdict), esc(report.plan_name)) +
         "<style>" + std::string(k_style) + "</style>\n</head>\n";
}

std::string verdict_header(const RunReport& report, Status verdict) {
  std::size_t by_status[4] = {};
  for (const auto& b : report.backups) ++by_status[static_cast<std::size_t>(b.status)];
  std::string out = fmt::format(
      "<header class=\"verdict v-{}\">\n<div class=\"verdict-inner\">\n<div "
      "class=\"verdict-word\">{}</div>\n<div>\n"
      "<h1>{}</h1>\n<p>Backup restore drill \u00b7 run <code>{}</code> \u00b7 {}</p>\n"
      "<p>{} backup{}: {} passed, {} failed, {} error, {} skipped. {}</p>\n",
      status_name(verdict), verdict_word(verdict), esc(report.plan_name), esc(report.run_id),
      esc(format_utc(report.started)), report.backups.size(), report.backups.size() == 1 ? "" : "s",
      by_status[0], by_status[1], by_status[2], by_status[3],
      report.backups.empty() && report.failover ? failover_sentence(verdict)
                                                : verdict_sentence(verdict));
  if (report.interrupted)
    out +=
        "<div class=\"flag\">INTERRUPTED</div><p>The run was interrupted before it finished: "
        "this report is partial, and backups it did not reach are marked skipped.</p>\n";
  return out + "</div>\n</div>\n</header>\n";
}

std::string unsigned_alert(const RunReport& report) {
  if (report.signer.signed_run) return {};
  return "<div class=\"alert\" role=\"alert\"><strong>UNSIGNED RUN.</strong> This report was "
         "not signed: nothing proves that it is the unaltered output of the drill. Do not rely "
         "on it as audit evidence on its own; see <a href=\"#signature\">Signature</a>.</div>\n";
}

std::string toc(const RunReport& report) {
  std::string out =
      "<nav class=\"toc\"><a href=\"#summary\">Summary</a><a href=\"#backups\">Backups</a>";
  for (std::size_t i = 0; i < report.backups.size(); ++i)
    out += fmt::format("<a href=\"#{}\">{}. {}</a>", detail::backup_anchor(i), i + 1,
                       esc(report.backups[i].name));
  if (report.failover) out += "<a href=\"#failover\">Failover drill</a>";
  return out +
         "<a href=\"#calendar\">Calendar</a><a href=\"#signature\">Signature</a>"
         "<a href=\"#compliance\">Compliance</a><a href=\"#environment\">Environment</a></nav>\n";
}

std::string scope_text(const RunReport& report) {
  if (report.scope.empty()) return "every backup in the plan";
  std::string out = "only ";
  for (std::size_t i = 0; i < report.scope.size(); ++i)
    out += (i ? ", <code>" : "<code>") + esc(report.scope[i]) + "</code>";
  return out;
}

std::string summary_section(const RunReport& report) {
  std::string out = "<section id=\"summary\">\n<h2>Run</h2>\n<dl class=\"facts\">\n";
  auto fact = [&](std::string_view term, const std::string& value) {
    out += fmt::format("<div><dt>{}</dt><dd>{}</dd></div>\n", term, value);
  };
  auto or_dash = [](std::string_view s) { return s.empty() ? std::string("\u2014") : esc(s); };
  fact("Plan", or_dash(report.plan_name));
  fact("Owner", or_dash(report.plan_owner));
  fact("Plan file", "<code>" + or_dash(report.plan_file) + "</code>");
  fact("Plan digest", "<code class=\"fp\">" + or_dash(report.plan_digest) + "</code>");
  fact("Run id", "<code>" + or_dash(report.run_id) + "</code>");
  fact("Scope", scope_text(report));
  fact("Started (UTC)", esc(format_utc(report.started)));
  fact("Finished (UTC)", esc(format_utc(report.finished)));
  fact("Duration", esc(detail::human_duration(
                       std::chrono::duration_cast<Millis>(report.finished - report.started))));
  fact("Exit code", fmt::format("{}", exit_code(report)));
  out += "</dl>\n</section>\n<section id=\"backups\">\n<h2>Backups</h2>\n";
  if (report.backups.empty()) return out + "<p class=\"muted\">No backup was drilled.</p>\n";
  out +=
      "<table class=\"data\"><thead><tr><th>#</th><th>Backup</th><th>Engine</th><th>Status</th>"
      "<th>Restore time (RTO)</th><th>Checks passed</th><th>Duration</th></tr></thead><tbody>\n";
  for (std::size_t i = 0; i < report.backups.size(); ++i) {
    const BackupResult& b = report.backups[i];
    std::string rto = "\u2014";
    for (const auto& o : b.objectives) {
      if (o.name != "rto") continue;
      rto = o.achieved ? esc(detail::human_duration(*o.achieved)) : "not measured";
      if (o.objective) rto += " / " + esc(format_duration(*o.objective));
    }
    std::size_t passed = 0;
    for (const auto& c : b.checks) passed += c.status == Status::passed ? 1 : 0;
    out += fmt::format(
        "<tr><td>{0}</td><td><a href=\"#{1}\">{2}</a></td><td>{3}</td><td>{4}</td><td>{5}</td>"
        "<td>{6}/{7}</td><td>{8}</td></tr>\n",
        i + 1, detail::backup_anchor(i), esc(b.name), esc(b.engine), status_badge(b.status), rto,
        passed, b.checks.size(), esc(detail::human_duration(b.duration)));
  }
  return out + "</tbody></table>\n";
}

std::string calendar_section(const HtmlOptions& options,
                             const std::vector<detail::CalendarDay>& days) {
  std::size_t run_days = 0, missed = 0, no_data = 0;
  for (const auto& d : days) {
    run_days += d.passed + d.failed + d.error > 0 ? 1 : 0;
    missed += d.state == detail::DayState::missed ? 1 : 0;
    no_data += d.state == detail::DayState::no_data ? 1 : 0;
  }
  const bool daily = options.expect_every == std::chrono::hours(24);
  return fmt::format(
             "<section id=\"calendar\">\n<h2>Calendar of recent runs</h2>\n"
             "<p>The last {} days (UTC) up to this run, from the run history and this run. "
             "Expected schedule: a run every {}. Days with runs: {}; missed: {}; no data: "
             "{}.</p>\n",
             days.size(), daily ? "day (24h)" : esc(format_duration(options.expect_every)),
             run_days, missed, no_data) +
         detail::calendar_chart(days) +
         (daily ? "<p class=\"note\">A day without a run started on it is missed. "
                : "<p class=\"note\">A day without a run is missed when it falls in a gap longer "
                  "than the schedule since the previous run. ") +
         "Days before the first recorded run have no data. A day's colour is the worst verdict "
         "of the runs started on it; an interrupted run counts as an error.</p>\n</section>\n";
}

std::string signature_section(const RunReport& report) {
  std::string out = "<section id=\"signature\">\n<h2>Signature</h2>\n";
  if (!report.signer.signed_run)
    return out +
           "<div class=\"alert\"><strong>UNSIGNED RUN: this report bundle has no "
           "signature.</strong> "
           "Anyone with write access to the report directory could have changed this page, "
           "report.json or junit.xml without trace. MANIFEST.sha256 still lists each file's "
           "sha256 (<code>sha256sum -c MANIFEST.sha256</code>), but nothing ties it to the "
           "drill. Create a signing key with <code>drillproof keygen</code> and sign future "
           "runs with <code>drillproof run --sign-key</code>.</div>\n</section>\n";
  return out +
         fmt::format(
             "<div class=\"signed-ok\"><strong>Signed run.</strong> MANIFEST.sha256 lists every "
             "artifact of this run with its sha256, and MANIFEST.sha256.sig is its Ed25519 "
             "signature by the key with fingerprint<br><code class=\"fp\">{}</code><br>"
             "(sha256 of the public key's DER SubjectPublicKeyInfo, hex).</div>\n",
             esc(report.signer.key_fingerprint)) +
         "<p>To verify with stock tools, in the report directory, with the public key "
         "<code>drillproof-signing.pub</code> (first compare its fingerprint: "
         "<code>openssl pkey -pubin -in drillproof-signing.pub -outform DER | sha256sum</code>):"
         "</p>\n<pre>openssl pkeyutl -verify -pubin -inkey drillproof-signing.pub -rawin "
         "-in MANIFEST.sha256 -sigfile MANIFEST.sha256.sig\nsha256sum -c MANIFEST.sha256</pre>\n"
         "<p>or with drillproof, which also checks the in-toto statement:</p>\n"
         "<pre>drillproof verify DIR --pubkey drillproof-signing.pub</pre>\n</section>\n";
}

std::string environment_section(const RunReport& report) {
  std::string out = fmt::format(
      "<section id=\"environment\">\n<h2>Environment</h2>\n<dl class=\"facts\">\n"
      "<div><dt>drillproof version</dt><dd>{}</dd></div>\n"
      "<div><dt>Host</dt><dd>{}</dd></div>\n"
      "<div><dt>Report format version</dt><dd>{}</dd></div>\n</dl>\n",
      esc(report.tool_version), esc(report.host), k_report_format_version);
  if (report.backups.empty()) return out + "</section>\n";
  out +=
      "<table class=\"data\"><thead><tr><th>Backup</th><th>Engine</th><th>Server version</th>"
      "<th>Format</th></tr></thead><tbody>\n";
  for (const auto& b : report.backups)
    out += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n", esc(b.name),
                       esc(b.engine), esc(b.server_version), esc(b.format));
  return out + "</tbody></table>\n</section>\n";
}

}  // namespace

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  for (std::size_t i = 0; i < text.size();) {
    const detail::Decoded d = detail::decode_utf8(text, i);
    i += d.size;
    if (!d.valid) {
      out += detail::k_replacement_utf8;
      continue;
    }
    switch (d.code_point) {
      case '&':
        out += "&amp;";
        continue;
      case '<':
        out += "&lt;";
        continue;
      case '>':
        out += "&gt;";
        continue;
      case '"':
        out += "&quot;";
        continue;
      case '\'':
        out += "&#39;";
        continue;
      case '\t':
      case '\n':
      case '\r':
        out.push_back(static_cast<char>(d.code_point));
        continue;
      default:
        break;
    }
    // Controls are parse errors in HTML and invisible on screen: show them
    // as "\xNN" so a reader sees that something odd was there.
    if (d.code_point < 0x20U || d.code_point == 0x7FU) {
      detail::append_hex_escape(out, static_cast<unsigned char>(d.code_point));
    } else if (d.code_point >= 0x80U && d.code_point <= 0x9FU) {
      out += fmt::format("\\u{{{:02X}}}", static_cast<unsigned>(d.code_point));
    } else {
      detail::append_utf8(out, d.code_point);
    }
  }
  return out;
}

std::string render_html(const RunReport& report, const HtmlOptions& options) {
  const Status verdict = overall_status(report);
  const std::vector<detail::CalendarDay> calendar = detail::build_calendar(report, options);
  std::string out = head(report, verdict);
  out += "<body>\n" + verdict_header(report, verdict) + "<main>\n";
  out += unsigned_alert(report) + toc(report) + summary_section(report);
  for (std::size_t i = 0; i < report.backups.size(); ++i)
    out += detail::backup_section(report.backups[i], i);
  out += "</section>\n";  // #backups, opened by summary_section
  if (report.failover) out += detail::failover_section(*report.failover);
  out += calendar_section(options, calendar);
  out += signature_section(report);
  out += detail::compliance_section(report, calendar);
  out += environment_section(report);
  out += fmt::format(
      "<footer>Generated by drillproof {} from the run's own data; times are UTC. This page is "
      "self-contained: no scripts and no external resources (Content-Security-Policy: "
      "<code>{}</code>).</footer>\n</main>\n</body>\n</html>\n",
      esc(report.tool_version), k_csp);
  return out;
}

}  // namespace dp::reports
