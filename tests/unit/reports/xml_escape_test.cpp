#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <random>
#include <string>

#include "reports/report_writers.hpp"
#include "verifier/core/temp_dir.hpp"
#include "verifier/core/text.hpp"

namespace dp::reports {
namespace {

using namespace std::string_literals;

const std::string k_fffd = "\xEF\xBF\xBD";

std::string repeat(const std::string& s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

// An independent strict checker for what XML 1.0 element text may contain
// after escaping: well-formed UTF-8 (RFC 3629), only Char code points, no
// markup characters other than the '&' that starts one of our entities.
bool is_safe_xml_text(const std::string& s) {
  for (std::size_t i = 0; i < s.size();) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    std::uint32_t cp = 0;
    std::size_t n = 0;
    if (b0 < 0x80) {
      cp = b0;
      n = 1;
    } else if ((b0 & 0xE0) == 0xC0) {
      cp = b0 & 0x1Fu;
      n = 2;
    } else if ((b0 & 0xF0) == 0xE0) {
      cp = b0 & 0x0Fu;
      n = 3;
    } else if ((b0 & 0xF8) == 0xF0) {
      cp = b0 & 0x07u;
      n = 4;
    } else
      return false;
    if (i + n > s.size()) return false;
    for (std::size_t k = 1; k < n; ++k) {
      const auto b = static_cast<unsigned char>(s[i + k]);
      if ((b & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (b & 0x3Fu);
    }
    const std::uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    if (cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') return false;
    if (cp == 0xFFFE || cp == 0xFFFF) return false;
    if (cp == '<' || cp == '>' || cp == '"' || cp == '\'') return false;
    if (cp == '&') {
      const std::string rest = s.substr(i);
      if (rest.rfind("&amp;", 0) != 0 && rest.rfind("&lt;", 0) != 0 && rest.rfind("&gt;", 0) != 0 &&
          rest.rfind("&quot;", 0) != 0 && rest.rfind("&apos;", 0) != 0)
        return false;
    }
    i += n;
  }
  return true;
}

TEST(XmlEscape, EscapesEachMarkupCharacter) {
  EXPECT_EQ(xml_escape("&"), "&amp;");
  EXPECT_EQ(xml_escape("<"), "&lt;");
  EXPECT_EQ(xml_escape(">"), "&gt;");
  EXPECT_EQ(xml_escape("\""), "&quot;");
  EXPECT_EQ(xml_escape("'"), "&apos;");
  EXPECT_EQ(xml_escape("a<b>&\"c'd"), "a&lt;b&gt;&amp;&quot;c&apos;d");
  EXPECT_EQ(xml_escape("&amp;"), "&amp;amp;");  // no double-unescaping shortcut
  EXPECT_EQ(xml_escape("]]>"), "]]&gt;");
}

TEST(XmlEscape, PlainTextIsUnchanged) {
  EXPECT_EQ(xml_escape(""), "");
  EXPECT_EQ(xml_escape("orders public.orders 1200 rows"), "orders public.orders 1200 rows");
}

TEST(XmlEscape, EveryC0ControlCharacter) {
  static const char* const k_hex = "0123456789ABCDEF";
  for (int c = 0; c < 0x20; ++c) {
    const std::string in(1, static_cast<char>(c));
    const std::string out = xml_escape(in);
    SCOPED_TRACE(c);
    if (c == '\t' || c == '\n' || c == '\r') {
      EXPECT_EQ(out, in);
    } else {
      const std::string want = "\\x"s + k_hex[c >> 4] + k_hex[c & 0xF];
      EXPECT_EQ(out, want);
    }
  }
}

TEST(XmlEscape, NulInTheMiddleIsVisible) {
  EXPECT_EQ(xml_escape("a\0b"s), "a\\x00b");
  EXPECT_EQ(xml_escape("\x1b[31mred"), "\\x1B[31mred");
}

TEST(XmlEscape, DelIsLegalXmlAndKept) { EXPECT_EQ(xml_escape("\x7F"), "\x7F"); }

TEST(XmlEscape, ValidMultibyteIsKept) {
  for (const std::string s :
       {"caf\xC3\xA9", "\xE2\x82\xAC 5", "\xE6\x97\xA5\xE6\x9C\xAC", "\xF0\x9F\x98\x80",
        "\xF4\x8F\xBF\xBF" /* U+10FFFF */, "\xC2\x85" /* U+0085 NEL, legal in XML 1.0 */,
        "\xEF\xBF\xBD" /* U+FFFD itself */, "\xEE\x80\x80" /* U+E000 */}) {
    EXPECT_EQ(xml_escape(s), s);
  }
}

TEST(XmlEscape, LoneContinuationAndBadLeadBytes) {
  EXPECT_EQ(xml_escape("a\x80z"), "a" + k_fffd + "z");
  EXPECT_EQ(xml_escape("\xBF"), k_fffd);
  EXPECT_EQ(xml_escape("\xF5"), k_fffd);
  EXPECT_EQ(xml_escape("\xFF\xFE"), k_fffd + k_fffd);
}

TEST(XmlEscape, OverlongFormsAreRejected) {
  EXPECT_EQ(xml_escape("\xC0\xAF"), k_fffd + k_fffd);  // overlong '/'
  EXPECT_EQ(xml_escape("\xC1\xBF"), k_fffd + k_fffd);
  EXPECT_EQ(xml_escape("\xE0\x80\xAF"), repeat(k_fffd, 3));      // overlong '/'
  EXPECT_EQ(xml_escape("\xF0\x80\x80\xAF"), repeat(k_fffd, 4));  // overlong '/'
  EXPECT_EQ(xml_escape("\xC0\xBC"), k_fffd + k_fffd);            // overlong '<' never becomes '<'
}

TEST(XmlEscape, SurrogatesAreRejected) {
  EXPECT_EQ(xml_escape("\xED\xA0\x80"), repeat(k_fffd, 3));  // U+D800
  EXPECT_EQ(xml_escape("\xED\xBF\xBF"), repeat(k_fffd, 3));  // U+DFFF
  EXPECT_EQ(xml_escape("\xED\x9F\xBF"), "\xED\x9F\xBF");     // U+D7FF is fine
}

TEST(XmlEscape, AboveU10FFFFIsRejected) {
  EXPECT_EQ(xml_escape("\xF4\x90\x80\x80"), repeat(k_fffd, 4));
  EXPECT_EQ(xml_escape("\xF7\xBF\xBF\xBF"), repeat(k_fffd, 4));
}

TEST(XmlEscape, TruncatedSequencesBecomeOneReplacement) {
  EXPECT_EQ(xml_escape("\xE2\x82"), k_fffd);  // end of input
  EXPECT_EQ(xml_escape("\xE2\x82"
                       "A"),
            k_fffd + "A");  // next byte is kept
  EXPECT_EQ(xml_escape("\xF0\x9F\x98"), k_fffd);
  EXPECT_EQ(xml_escape("\xC3"), k_fffd);
  EXPECT_EQ(xml_escape("\xC3<"), k_fffd + "&lt;");  // '<' is not swallowed
}

TEST(XmlEscape, NonCharactersFffeAndFfffAreReplaced) {
  EXPECT_EQ(xml_escape("\xEF\xBF\xBE"), k_fffd);
  EXPECT_EQ(xml_escape("\xEF\xBF\xBF"), k_fffd);
}

TEST(XmlEscape, RandomBytesAlwaysGiveSafeText) {
  std::mt19937 rng(20261121);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<int> length(0, 64);
  for (int round = 0; round < 5000; ++round) {
    std::string in;
    const int n = length(rng);
    for (int i = 0; i < n; ++i) in.push_back(static_cast<char>(byte(rng)));
    const std::string out = xml_escape(in);
    ASSERT_TRUE(is_safe_xml_text(out)) << "round " << round;
  }
}

TEST(XmlEscape, XmllintAcceptsEscapedHostileText) {
  auto dir = TempDir::create("dp_xml_escape_test_");
  ASSERT_TRUE(dir.has_value()) << dir.error().message;
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> byte(0, 255);
  std::string doc = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<r>\n";
  for (int round = 0; round < 300; ++round) {
    std::string in = "<script>&\"'\x01\x1b\xC0\xAF\xED\xA0\x80\xEF\xBF\xBF";
    for (int i = 0; i < 40; ++i) in.push_back(static_cast<char>(byte(rng)));
    const std::string escaped = xml_escape(in);
    doc += "<e a=\"" + escaped + "\" b='" + escaped + "'>" + escaped + "</e>\n";
  }
  doc += "</r>\n";
  const auto file = dir->path() / "escaped.xml";
  ASSERT_TRUE(write_file(file, doc).has_value());
  const std::string cmd = "xmllint --noout '" + file.string() + "'";
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
  if (HasFailure()) dir->keep();
}

}  // namespace
}  // namespace dp::reports
