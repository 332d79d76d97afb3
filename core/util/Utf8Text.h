#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace msgbus::core {

/// text with every byte that is not part of a valid UTF-8 sequence replaced by U+FFFD. For text
/// columns and logs: a utf8mb4 column refuses invalid bytes, and a failure must be storable
/// whatever bytes its reason carries.
std::string lossyUtf8(std::string_view text);

/// text for one line of the text log format: valid UTF-8 stays as it is, while a control
/// character becomes an escape (\n, \r, \t, else \xNN; the C1 controls and the Unicode line
/// and paragraph separators \uNNNN) and a byte that is not part of valid UTF-8 becomes \xNN.
/// Text from the network (message ids, header values, a plugin's error) reaches log lines, and
/// a raw line break in it would start a line that msgbus never wrote.
std::string singleLineText(std::string_view text);

/// The longest prefix of text that is at most maxBytes long and does not end inside a UTF-8
/// sequence (a cut in the middle of a multibyte character is invalid UTF-8 too).
std::string_view utf8Prefix(std::string_view text, std::size_t maxBytes);

/// lossyUtf8(text) cut to at most maxBytes; when it had to be cut, the end says by how much, so
/// a reader knows the text is not whole.
std::string storableText(std::string_view text, std::size_t maxBytes);

} // namespace msgbus::core
