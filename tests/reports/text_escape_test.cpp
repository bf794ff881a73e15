#include <gtest/gtest.h>

#include "report_fixtures.hpp"
#include "reports/text_escape.hpp"

namespace xenrace::reports {
namespace {

TEST(TextEscape, ValidUtf8PassesUnchanged) {
  EXPECT_EQ(valid_utf8("plain /local/domain \xE2\x9A\xA1 \xF0\x9F\x90\xA7"), "plain /local/domain \xE2\x9A\xA1 \xF0\x9F\x90\xA7");
}

TEST(TextEscape, InvalidUtf8BecomesReplacementCharacters) {
  EXPECT_EQ(valid_utf8("a\xff" "b"), "a\xEF\xBF\xBD" "b");
  EXPECT_EQ(valid_utf8("\xc3("), "\xEF\xBF\xBD(");           // truncated sequence
  EXPECT_EQ(valid_utf8("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");  // overlong '/'
  EXPECT_EQ(valid_utf8("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
  EXPECT_EQ(valid_utf8("\xE2\x9A"), "\xEF\xBF\xBD\xEF\xBF\xBD");  // cut at the end
}

TEST(TextEscape, XmlTextEscapesMarkupAndControlCharacters) {
  EXPECT_EQ(xml_text("<a>&\"'"), "&lt;a&gt;&amp;\"'");
  EXPECT_EQ(xml_text("]]>"), "]]&gt;");
  EXPECT_EQ(xml_text("a\x01z\x1b"), "a\\x01z\\x1b");
  EXPECT_EQ(xml_text("\t\n\r"), "\t\n&#13;");
  EXPECT_EQ(xml_text("\xEF\xBF\xBE"), "\xEF\xBF\xBD");
}

TEST(TextEscape, XmlAttributeKeepsWhitespaceAsReferences) {
  EXPECT_EQ(xml_attribute("\"q\" 'a'\t\n"), "&quot;q&quot; &apos;a&apos;&#9;&#10;");
}

TEST(TextEscape, HtmlTextLeavesNoMarkup) {
  const std::string out = html_text(testing::nasty_text());
  EXPECT_EQ(out.find('<'), std::string::npos);
  EXPECT_EQ(out.find('>'), std::string::npos);
  EXPECT_EQ(out.find('"'), std::string::npos);
  EXPECT_EQ(out.find('\x01'), std::string::npos);
  EXPECT_NE(out.find("&lt;script&gt;"), std::string::npos);
  EXPECT_EQ(valid_utf8(out), out);
}

}  // namespace
}  // namespace xenrace::reports
