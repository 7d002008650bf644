// The one escaping function every XML byte we emit passes through
// (CONVENTIONS §6). XML 1.0 cannot carry most C0 controls even as character
// references, so they become visible "\xNN" text instead of being dropped:
// a reader of the report still sees that something odd was there.
#include "reports/report_writers.hpp"
#include "reports/utf8.hpp"

namespace dp::reports {

std::string xml_escape(std::string_view text) {
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
        out += "&apos;";
        continue;
      case '\t':
      case '\n':
      case '\r':
        out.push_back(static_cast<char>(d.code_point));
        continue;
      default:
        break;
    }
    if (d.code_point < 0x20U) {
      detail::append_hex_escape(out, static_cast<unsigned char>(d.code_point));
    } else if (d.code_point == 0xFFFEU || d.code_point == 0xFFFFU) {
      out += detail::k_replacement_utf8;  // outside XML 1.0's Char production
    } else {
      detail::append_utf8(out, d.code_point);
    }
  }
  return out;
}

}  // namespace dp::reports
