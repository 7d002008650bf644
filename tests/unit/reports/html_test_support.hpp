#pragma once
// Helpers for the report.html tests: a run full of hostile text, slicing one
// chart out of a page, and a tag-balance check standing in for an HTML
// parser (the renderer emits only well-formed, explicitly closed markup).
#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

#include "reports/html_report.hpp"
#include "reports/utf8.hpp"
#include "tests/unit/reports/sample_report.hpp"

namespace dp::reports::testing {

inline constexpr const char* k_xss = "<script>alert(1)</script>";
inline constexpr const char* k_xss_escaped = "&lt;script&gt;alert(1)&lt;/script&gt;";

inline std::size_t count(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1))
    ++n;
  return n;
}

inline std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

inline std::string html(const RunReport& r, const HtmlOptions& o = {}) { return render_html(r, o); }

// The page from the start of the element with `marker` up to its closing
// tag `close`: enough to look inside one chart.
inline std::string slice(const std::string& page, const std::string& marker,
                         const std::string& close, std::size_t nth = 0) {
  std::size_t pos = page.find(marker);
  for (std::size_t k = 0; k < nth && pos != std::string::npos; ++k)
    pos = page.find(marker, pos + 1);
  if (pos == std::string::npos) return {};
  return page.substr(pos, page.find(close, pos) + close.size() - pos);
}

inline bool valid_utf8(const std::string& s) {
  for (std::size_t i = 0; i < s.size();) {
    auto d = detail::decode_utf8(s, i);
    if (!d.valid) return false;
    i += d.size;
  }
  return true;
}

// Tag balance over the whole page: every element opened is closed in order
// (void elements and self-closing SVG elements excepted); <style> content is
// skipped. Returns "" when balanced, else what went wrong.
inline std::string tag_balance(const std::string& page) {
  static const std::vector<std::string> k_void = {"meta", "link", "br", "hr", "img", "input"};
  std::vector<std::string> stack;
  for (std::size_t i = page.find('<'); i != std::string::npos; i = page.find('<', i + 1)) {
    if (page.compare(i, 2, "<!") == 0) continue;
    const std::size_t end = page.find('>', i);
    if (end == std::string::npos) return "unterminated tag";
    std::string tag = page.substr(i + 1, end - i - 1);
    const bool closing = !tag.empty() && tag[0] == '/';
    const bool self_closing = !tag.empty() && tag.back() == '/';
    std::string name = tag.substr(closing ? 1 : 0);
    name = name.substr(0, name.find_first_of(" /\n"));
    if (closing) {
      if (stack.empty() || stack.back() != name)
        return "</" + name + "> closes <" + (stack.empty() ? "" : stack.back()) + ">";
      stack.pop_back();
    } else if (!self_closing && std::find(k_void.begin(), k_void.end(), name) == k_void.end()) {
      stack.push_back(name);
      if (name == "style") i = page.find("</style>", i) - 1;
    }
  }
  return stack.empty() ? "" : "unclosed <" + stack.back() + ">";
}

inline RunReport hostile_report() {
  RunReport r = make_mixed_report();
  r.plan_name = k_xss;
  r.plan_owner = k_xss;
  r.scope = {k_xss};
  r.host = k_xss;
  r.run_id = k_xss;
  r.signer = {true, k_xss};
  BackupResult& b = r.backups[0];
  b.name = k_xss;
  b.server_version = k_xss;
  b.phases[1].stderr_tail = std::string(k_xss) + "\n\xff\xfe bad bytes";
  b.phases[1].message = k_xss;
  CheckResult c = check(k_xss, k_xss, Status::failed, k_xss, k_xss);
  c.message = k_xss;
  c.findings = {Finding{k_xss, k_xss, Severity::error, k_xss, k_xss}};
  ObjectResult o;
  o.name = std::string("main.") + k_xss;
  o.status = Status::failed;
  o.message = k_xss;
  o.findings = {Finding{k_xss, k_xss, Severity::warning, k_xss, k_xss}};
  c.objects = {o};
  b.checks.push_back(c);
  b.objectives[0].name = k_xss;
  return r;
}

}  // namespace dp::reports::testing
