#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace msgbus::core {

/// Whether base64 text ends in '=' padding to a multiple of four characters.
enum class Base64Padding { Padded, Unpadded };

/// bytes as base64 (RFC 4648 standard alphabet) on one line, without line breaks.
std::string base64Encode(std::string_view bytes, Base64Padding padding = Base64Padding::Padded);

/// Decodes base64 the lenient way of Poco's decoder (white space skipped; with Unpadded, '='
/// padding may be left out). nullopt for a character outside the alphabet.
std::optional<std::string> base64Decode(std::string_view text, Base64Padding padding);

/// Decodes only the one form base64Encode(bytes, Padded) writes: a multiple of four
/// characters of the alphabet, '=' only as the last one or two. Throws
/// msgbus::InvalidArgument(where + ": invalid base64 ...") for anything else, so that a stored
/// value has exactly one spelling.
std::string base64DecodeStrict(std::string_view text, const std::string& where);

} // namespace msgbus::core
