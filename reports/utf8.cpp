#include "reports/utf8.hpp"

namespace dp::reports::detail {
namespace {

bool is_continuation(unsigned char b) { return (b & 0xC0U) == 0x80U; }

void append_hex2(std::string& out, unsigned char byte) {
  static constexpr char k_hex[] = "0123456789ABCDEF";
  out.push_back(k_hex[byte >> 4U]);
  out.push_back(k_hex[byte & 0x0FU]);
}

}  // namespace

Decoded decode_utf8(std::string_view text, std::size_t pos) {
  const auto lead = static_cast<unsigned char>(text[pos]);
  if (lead < 0x80U) return {static_cast<char32_t>(lead), 1, true};

  // The table of well-formed sequences (Unicode 15, table 3-7): the lead
  // byte fixes the length and the range allowed for the second byte, which
  // is where overlongs, surrogates and values above U+10FFFF are excluded.
  std::size_t length = 0;
  unsigned char second_min = 0x80U;
  unsigned char second_max = 0xBFU;
  char32_t value = 0;
  if (lead >= 0xC2U && lead <= 0xDFU) {
    length = 2;
    value = lead & 0x1FU;
  } else if (lead >= 0xE0U && lead <= 0xEFU) {
    length = 3;
    value = lead & 0x0FU;
    if (lead == 0xE0U) second_min = 0xA0U;  // overlong
    if (lead == 0xEDU) second_max = 0x9FU;  // surrogates D800-DFFF
  } else if (lead >= 0xF0U && lead <= 0xF4U) {
    length = 4;
    value = lead & 0x07U;
    if (lead == 0xF0U) second_min = 0x90U;  // overlong
    if (lead == 0xF4U) second_max = 0x8FU;  // above U+10FFFF
  } else {
    return {};  // lone continuation byte, C0/C1 overlong lead, F5-FF
  }

  for (std::size_t k = 1; k < length; ++k) {
    if (pos + k >= text.size()) return {k_replacement, k, false};  // truncated
    const auto b = static_cast<unsigned char>(text[pos + k]);
    const bool in_range = k == 1 ? (b >= second_min && b <= second_max) : is_continuation(b);
    if (!in_range) return {k_replacement, k, false};
    value = (value << 6U) | (b & 0x3FU);
  }
  return {value, length, true};
}

void append_utf8(std::string& out, char32_t cp) {
  auto byte = [&](char32_t v) { out.push_back(static_cast<char>(static_cast<unsigned char>(v))); };
  if (cp < 0x80U) {
    byte(cp);
  } else if (cp < 0x800U) {
    byte(0xC0U | (cp >> 6U));
    byte(0x80U | (cp & 0x3FU));
  } else if (cp < 0x10000U) {
    byte(0xE0U | (cp >> 12U));
    byte(0x80U | ((cp >> 6U) & 0x3FU));
    byte(0x80U | (cp & 0x3FU));
  } else {
    byte(0xF0U | (cp >> 18U));
    byte(0x80U | ((cp >> 12U) & 0x3FU));
    byte(0x80U | ((cp >> 6U) & 0x3FU));
    byte(0x80U | (cp & 0x3FU));
  }
}

void append_hex_escape(std::string& out, unsigned char byte) {
  out += "\\x";
  append_hex2(out, byte);
}

std::string terminal_safe(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const Decoded d = decode_utf8(text, i);
    i += d.size;
    if (!d.valid) {
      out += k_replacement_utf8;
    } else if (d.code_point == '\t' || d.code_point == '\n' || d.code_point == '\r') {
      out.push_back(' ');
    } else if (d.code_point < 0x20U || d.code_point == 0x7FU) {
      append_hex_escape(out, static_cast<unsigned char>(d.code_point));
    } else if (d.code_point >= 0x80U && d.code_point <= 0x9FU) {
      // C1 controls (0x9B is a one-byte CSI on some terminals).
      out += "\\u{";
      append_hex2(out, static_cast<unsigned char>(d.code_point));
      out += "}";
    } else {
      append_utf8(out, d.code_point);
    }
  }
  return out;
}

std::size_t display_width(std::string_view utf8) {
  std::size_t width = 0;
  for (char c : utf8)
    if (!is_continuation(static_cast<unsigned char>(c))) ++width;
  return width;
}

}  // namespace dp::reports::detail
