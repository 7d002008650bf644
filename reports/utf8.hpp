#pragma once
// Internal to reports/: UTF-8 decoding shared by the XML escaper and the
// terminal summary. Not part of the public report API.
#include <cstddef>
#include <string>
#include <string_view>

namespace dp::reports::detail {

inline constexpr char32_t k_replacement = 0xFFFD;
inline constexpr std::string_view k_replacement_utf8 = "\xEF\xBF\xBD";

struct Decoded {
  char32_t code_point = k_replacement;  // k_replacement when !valid
  std::size_t size = 1;                 // bytes consumed, always >= 1
  bool valid = false;
};

// Decodes the code point starting at text[pos] (pos < text.size()). Rejects
// overlong forms, surrogates, values above U+10FFFF and truncated sequences;
// an invalid sequence consumes its maximal valid prefix (at least one byte),
// as Unicode's "substitution of maximal subparts" recommends, so decoding
// resumes at the first byte that could start a new sequence.
Decoded decode_utf8(std::string_view text, std::size_t pos);

void append_utf8(std::string& out, char32_t code_point);

// "\xNN" with two uppercase hex digits, for a byte that cannot be shown.
void append_hex_escape(std::string& out, unsigned char byte);

// Text safe to print on a terminal: valid UTF-8, C0/C1 control characters
// (ESC included) and DEL shown as "\xNN" (C1 as "\u{NN}"), tab and newline
// replaced by a space, so a hostile name cannot inject escape sequences.
std::string terminal_safe(std::string_view text);

// Number of code points: the display width of terminal_safe() output for
// the scripts we expect (no East Asian wide characters are accounted for).
std::size_t display_width(std::string_view utf8);

}  // namespace dp::reports::detail
