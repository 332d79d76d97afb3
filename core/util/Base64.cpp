#include "core/util/Base64.h"

#include <msgbus/Error.h>

#include <Poco/Base64Decoder.h>
#include <Poco/Base64Encoder.h>

#include <sstream>

namespace msgbus::core {
namespace {

int pocoOptions(Base64Padding padding) {
    return padding == Base64Padding::Unpadded ? Poco::BASE64_NO_PADDING : 0;
}

bool isAlphabet(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '/';
}

// Poco's decoder skips white space, takes '=' anywhere in a group and goes on after it, so
// the shape is checked before it runs.
bool isCanonicalCharacter(std::string_view text, std::size_t i) {
    if (isAlphabet(text[i]))
        return true;
    const std::size_t fromEnd = text.size() - i;
    return text[i] == '=' && (fromEnd == 1 || (fromEnd == 2 && text.back() == '='));
}

} // namespace

std::string base64Encode(std::string_view bytes, Base64Padding padding) {
    std::ostringstream out;
    Poco::Base64Encoder encoder(out, pocoOptions(padding));
    encoder.rdbuf()->setLineLength(0);
    encoder.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    encoder.close();
    return out.str();
}

std::optional<std::string> base64Decode(std::string_view text, Base64Padding padding) {
    std::istringstream in{std::string(text)};
    Poco::Base64Decoder decoder(in, pocoOptions(padding));
    std::string out;
    char c;
    while (decoder.get(c))
        out += c;
    // A character outside the alphabet makes the decoder throw inside get(), which the stream
    // turns into badbit: it stops before the end.
    if (!decoder.eof())
        return std::nullopt;
    return out;
}

std::string base64DecodeStrict(std::string_view text, const std::string& where) {
    if (text.size() % 4 != 0)
        throw InvalidArgument(where + ": invalid base64 (length not a multiple of 4)");
    for (std::size_t i = 0; i < text.size(); ++i)
        if (!isCanonicalCharacter(text, i))
            throw InvalidArgument(where + ": invalid base64 character");
    auto bytes = base64Decode(text, Base64Padding::Padded);
    if (!bytes)
        throw InvalidArgument(where + ": invalid base64 character");
    return std::move(*bytes);
}

} // namespace msgbus::core
