// Placeholder until the HTML renderer lands (issue 4, item 4).
#include "reports/html_report.hpp"

namespace dp::reports {

std::string html_escape(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string render_html(const RunReport& report, const HtmlOptions&) {
  return "<!DOCTYPE html><html><head><meta "
         "charset=\"utf-8\"><title>drillproof</title></head><body>" +
         html_escape(report.plan_name) + ": " + status_name(overall_status(report)) +
         "</body></html>\n";
}

}  // namespace dp::reports
