#include "reports/text_escape.hpp"

#include <fmt/format.h>

namespace xenrace::reports {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// Length of the valid UTF-8 sequence starting at text[i], or 0 when it is not valid
// (overlong forms, surrogates and code points above U+10FFFF are invalid).
std::size_t utf8_sequence_length(std::string_view text, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char b0 = byte(i);
  if (b0 < 0x80) return 1;
  std::size_t len = 0;
  std::uint32_t cp = 0;
  if ((b0 & 0xE0) == 0xC0) {
    len = 2;
    cp = b0 & 0x1F;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3;
    cp = b0 & 0x0F;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4;
    cp = b0 & 0x07;
  } else {
    return 0;
  }
  if (i + len > text.size()) return 0;
  for (std::size_t k = 1; k < len; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  static constexpr std::uint32_t kMinimum[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMinimum[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

// Calls `ascii(c)` for each ASCII character and `other(seq)` for each multi-byte sequence of the
// text made valid UTF-8.
template <class Ascii, class Other>
void for_each_character(std::string_view text, Ascii ascii, Other other) {
  for (std::size_t i = 0; i < text.size();) {
    std::size_t len = utf8_sequence_length(text, i);
    if (len == 0) {
      other(kReplacement);
      ++i;
    } else if (len == 1) {
      ascii(text[i]);
      ++i;
    } else {
      other(text.substr(i, len));
      i += len;
    }
  }
}

std::string hex_escape(char c) { return fmt::format("\\x{:02x}", static_cast<unsigned char>(c)); }

// U+FFFE and U+FFFF are not XML characters.
bool is_xml_noncharacter(std::string_view seq) { return seq == "\xEF\xBF\xBE" || seq == "\xEF\xBF\xBF"; }

std::string xml_escape(std::string_view text, bool attribute) {
  std::string out;
  out.reserve(text.size());
  for_each_character(
      text,
      [&](char c) {
        switch (c) {
          case '&': out += "&amp;"; break;
          case '<': out += "&lt;"; break;
          case '>': out += "&gt;"; break;
          case '"': out += attribute ? "&quot;" : "\""; break;
          case '\'': out += attribute ? "&apos;" : "'"; break;
          case '\t': out += attribute ? "&#9;" : "\t"; break;
          case '\n': out += attribute ? "&#10;" : "\n"; break;
          case '\r': out += "&#13;"; break;  // a literal CR would be normalised away by the parser
          default:
            if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F)
              out += hex_escape(c);
            else
              out += c;
        }
      },
      [&](std::string_view seq) { out += is_xml_noncharacter(seq) ? std::string(kReplacement) : std::string(seq); });
  return out;
}

}  // namespace

std::string valid_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for_each_character(text, [&](char c) { out += c; }, [&](std::string_view seq) { out += seq; });
  return out;
}

std::string xml_text(std::string_view text) { return xml_escape(text, false); }
std::string xml_attribute(std::string_view text) { return xml_escape(text, true); }

std::string html_text(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for_each_character(
      text,
      [&](char c) {
        switch (c) {
          case '&': out += "&amp;"; break;
          case '<': out += "&lt;"; break;
          case '>': out += "&gt;"; break;
          case '"': out += "&quot;"; break;
          case '\'': out += "&#39;"; break;
          case '\t':
          case '\n': out += c; break;
          default:
            if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F)
              out += hex_escape(c);
            else
              out += c;
        }
      },
      [&](std::string_view seq) { out += seq; });
  return out;
}

}  // namespace xenrace::reports
