#pragma once

#include <cstddef>
#include <string>

namespace msgbus::core::console {

/// How the console shows a stored body: pretty JSON when the body is JSON, the text when it is
/// UTF-8 text, else a hex dump (offset, 16 bytes in hex, the printable ones as text). Only the
/// first kShownBytes are shown: a page must stay usable whatever was stored.
struct BodyView {
    static constexpr std::size_t kShownBytes = 1024 * 1024;

    std::string kind; ///< "json", "text" or "hex"
    std::string text;
    std::size_t size = 0;  ///< bytes stored
    std::size_t shown = 0; ///< bytes of it text shows
    bool cut = false;      ///< shown < size

    /// Pure, thread-safe. A JSON body over kShownBytes is shown as its first bytes of text
    /// (a cut JSON text cannot be re-indented).
    static BodyView of(const std::string& body);

    /// JSON text re-indented by two spaces per level, every token as it was written (numbers
    /// and strings byte for byte, key order kept). Precondition: json is valid JSON.
    static std::string pretty(const std::string& json);
    /// The hex dump of bytes.
    static std::string hexDump(const std::string& bytes);
};

} // namespace msgbus::core::console
