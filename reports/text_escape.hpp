// Escaping of trace text for the report formats. Trace arguments come from scenarios and fakes and may
// hold anything (binary XenStore values, control characters, markup), so every writer passes them here:
// invalid UTF-8 becomes U+FFFD, and characters a format cannot carry are replaced by a visible escape.
#pragma once
#include <string>
#include <string_view>

namespace xenrace::reports {

// The text as valid UTF-8: each byte of an invalid sequence becomes U+FFFD.
std::string valid_utf8(std::string_view text);

// Text content or attribute value of XML 1.0. Control characters XML 1.0 forbids even as character
// references (all below U+0020 except tab, LF, CR; U+FFFE, U+FFFF) are written as "\xNN" text.
// In attributes tab, LF and CR become character references so a parser keeps them.
std::string xml_text(std::string_view text);
std::string xml_attribute(std::string_view text);

// Text content or attribute value of HTML: markup characters escaped, control characters as "\xNN".
std::string html_text(std::string_view text);

}  // namespace xenrace::reports
